"""`appliance modem status|watch|sms send --at-port PATH`: the CLI contract with the modem
opened directly (no appliance running), against the simulator process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from tests.support.gsm_sim import SimulatedModem


@pytest.fixture
def modem():
    sim = SimulatedModem()
    yield sim
    sim.close()
    shutil.rmtree(sim.dir, ignore_errors=True)


def _cli(home, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", "--home", str(home), "modem",
                           *args], capture_output=True, text=True, timeout=timeout)


def test_status_reports_sim_registration_operator_and_signal(tmp_path, modem):
    proc = _cli(tmp_path, "status", "--at-port", modem.at_port, "--json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["connected"] is True and status["sim"] == "ready", status
    assert status["registration"] == "home" and status["operator"], status
    assert status["signal_dbm"] == -113 + 2 * 22 and status["calls"] == [], status


def test_status_says_no_sim_and_no_modem(tmp_path, modem):
    modem.op("sim", state="absent")
    modem.op("unplug", seconds=0.5)
    time.sleep(1.5)
    status = json.loads(_cli(tmp_path, "status", "--at-port", modem.at_port, "--json").stdout)
    assert status["sim"] == "not_inserted" and "SIM" in status["error"], status
    proc = _cli(tmp_path, "status", "--at-port", str(tmp_path / "nothing"), "--json")
    assert proc.returncode == 1
    assert str(tmp_path / "nothing") in json.loads(proc.stdout)["error"]


def test_watch_prints_one_json_object_per_event(tmp_path, modem):
    watch = subprocess.Popen(
        [sys.executable, "-m", "appliance", "--home", str(tmp_path), "modem", "watch",
         "--at-port", modem.at_port, "--json"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # connected and initialised
        modem.op("ring", number="+27821231234", wav=None)
        assert watch.stdout is not None
        events = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(e["event"] == "clip" for e in events):
            events.append(json.loads(watch.stdout.readline()))
    finally:
        watch.terminate()
        watch.wait(10)
    kinds = [e["event"] for e in events]
    assert "ring" in kinds, kinds
    assert {"event": "clip", "number": "+27821231234"}.items() <= \
        next(e for e in events if e["event"] == "clip").items()


def test_sms_send_goes_out_and_bad_numbers_are_refused(tmp_path, modem):
    proc = _cli(tmp_path, "sms", "send", "+27829990000", "Привет", "--at-port", modem.at_port)
    assert proc.returncode == 0, proc.stderr
    sent = modem.state()["sms_sent"]
    assert [(m["number"], m["text"]) for m in sent] == [("+27829990000", "Привет")]
    proc = _cli(tmp_path, "sms", "send", "call-me", "hi", "--at-port", modem.at_port)
    assert proc.returncode == 2 and "call-me" in proc.stderr
