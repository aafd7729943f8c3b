"""The GSM line end to end: the SIM7600 simulator (a separate process on pseudo-terminals,
replaying the real modem's formats) wired to a real appliance (real Asterisk, real models).

A GSM caller gets the same receptionist as a SIP caller; the USB cable can be pulled mid-call;
no SIM / no network are reported while SIP calls keep working; staff get texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from appliance.home import staff_secret_name
from appliance.pbx import runtime
from appliance.speech.wavio import read_wav, write_wav
from appliance.testcall.gsm_call import caller_audio
from tests.e2e.ari_util import heard_greeting, leftovers, similarity
from tests.e2e.conftest import Appliance, make_home, wait_until
from tests.support.baresip import BaresipUA, have_root
from tests.support.gsm_sim import SimulatedModem

pytestmark = pytest.mark.e2e

KB = Path(__file__).parent.parent / "data" / "kb"
CALLER = "+27821231234"
STAFF_MOBILE = "+27830000001"


@pytest.fixture(scope="module")
def modem():
    sim = SimulatedModem()
    yield sim
    sim.close()
    shutil.rmtree(sim.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def office(modem):
    app = Appliance(make_home(**{
        "business.name": "Maple Street Dental", "gsm.enabled": "true",
        "gsm.at_port": modem.at_port, "gsm.audio_port": modem.audio_port,
        "gsm.staff_numbers": STAFF_MOBILE, "gsm.sms_answers": "true",
        "staff.mobile": STAFF_MOBILE, "staff.ring_seconds": "3"}))
    app.cli("kb", "add", *map(str, sorted(KB.iterdir())), check=True)
    app.cli("up", check=True)
    wait_until(lambda: _status(app).get("registration") == "home", 30, "the GSM line")
    summary = json.loads(app.cli("status", "--json").stdout)["gsm"]
    assert summary.startswith("ready (home"), summary  # `appliance status` tells of the line
    yield app
    app.cli("down", timeout=60)
    shutil.rmtree(app.home.root, ignore_errors=True)


def _status(app: Appliance) -> dict[str, Any]:
    proc = app.cli("modem", "status", "--json")
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def _caller_wav(directory: Path, text: str, lead_s: float, tail_s: float) -> Path:
    """The GSM caller's side as a WAV for the simulator to play."""
    audio, _ = caller_audio(text, lead_s, tail_s)
    path = directory / f"caller-{abs(hash(text))}.wav"
    write_wav(path, audio, 8000)
    return path


def _rows(app: Appliance, sql: str, *args: Any) -> list[dict[str, Any]]:
    db = sqlite3.connect(app.home.db_file)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def _gsm_calls(app: Appliance) -> list[dict[str, Any]]:
    return _rows(app, "SELECT * FROM calls WHERE source = 'gsm' ORDER BY started_at")


def _no_leftovers(app: Appliance) -> None:
    port = app.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(app.home, port) == ([], []), 10, "no leftovers in Asterisk")


def test_a_gsm_caller_is_answered_greeted_and_answered_from_the_kb(office, modem):
    # `appliance call --gsm`: the simulator rings like a mobile caller, plays the question
    # after the greeting, records what the appliance sends back, and hangs up.
    proc = office.cli("call", "--gsm", str(modem.control), "--say",
                      "When are you open on Saturday?", "--json", timeout=120)
    report = json.loads(proc.stdout)
    assert report["errors"] == [] and proc.returncode == 0, (report, office.logs())
    assert report["rings"] <= 2, report  # answered within two rings
    assert heard_greeting(report["greeting"]["heard"]), report
    (turn,) = report["turns"]
    assert re.search(r"\b9\b.*\b1\b", turn["reply_text"]), (turn, office.logs())
    assert similarity(turn["reply_heard"], turn["reply_text"]) >= 0.3, turn
    # Generous bound: it catches a hang; latency goals live in benchmarks.
    assert 0 < turn["answer_latency_ms"] < 8000, turn
    # The far end hung up: the call is over, recorded as GSM with the caller id.
    call = wait_until(lambda: [c for c in _gsm_calls(office)
                               if c["id"] == report["call_id"] and c["ended_at"]],
                      15, "the call record to close")[0]
    assert call["caller_number"] == CALLER and call["source"] == "gsm", call
    assert call["status"] == "completed", call
    _no_leftovers(office)
    modem.wait_for(lambda s: not s["call"] and not s["cpcmreg"], 10, "the modem call to end")


def test_usb_unplugged_mid_call_cleans_up_and_the_next_call_works(office, modem):
    before = len(_gsm_calls(office))
    modem.op("ring", number="+27825550000", wav=None)
    modem.wait_for(lambda s: s["call"] and s["call"]["state"] == "active", 15, "answer")
    wait_until(lambda: len(_gsm_calls(office)) > before, 10, "the GSM call in Asterisk")
    modem.op("unplug", seconds=3.0)
    # The call is cleaned up: record closed, nothing left in Asterisk.
    wait_until(lambda: all(c["ended_at"] for c in _gsm_calls(office)), 15, "call cleanup")
    _no_leftovers(office)
    # The modem comes back and is used again.
    wait_until(lambda: _status(office).get("connected") is True and
               _status(office).get("registration") == "home", 40, "the modem to reconnect")
    wav = _caller_wav(modem.dir, "Hello", 6.0, 2.0)
    modem.op("ring", number="+27826660000", wav=str(wav))
    modem.wait_for(lambda s: s["call"] and s["call"]["state"] == "active", 15, "answer")
    calls = wait_until(lambda: [c for c in _gsm_calls(office)
                                if c["caller_number"] == "+27826660000"], 10, "the next call")
    modem.op("hangup")
    wait_until(lambda: all(c["ended_at"] for c in _gsm_calls(office)), 15, "call end")
    assert calls[0]["source"] == "gsm"
    _no_leftovers(office)


def test_a_second_caller_is_rejected_and_the_staff_get_a_text(office, modem):
    modem.op("ring", number="+27827770000", wav=None)
    modem.wait_for(lambda s: s["call"] and s["call"]["state"] == "active", 15, "answer")
    modem.op("waiting", number="+27828880000")
    st = modem.wait_for(lambda s: any("+27828880000" in m["text"] for m in s["sms_sent"]),
                        30, "the missed-call text")
    text = next(m for m in st["sms_sent"] if "+27828880000" in m["text"])
    assert text["number"] == STAFF_MOBILE and "Missed call" in text["text"], text
    assert st["call"]["number"] == "+27827770000"  # the first caller is still on
    modem.op("hangup")
    wait_until(lambda: all(c["ended_at"] for c in _gsm_calls(office)), 15, "call end")


def test_texts_from_the_cli_go_out_through_the_running_appliance(office, modem):
    texts = ["Hello from the office", "Привет, это клиника 你好 🙂",
             "Long " + "message " * 40]
    for text in texts:
        proc = office.cli("modem", "sms", "send", "+27829990000", text)
        assert proc.returncode == 0, proc.stderr
    st = modem.state()
    sent = [m for m in st["sms_sent"] if m["number"] == "+27829990000"]
    assert [m["text"] for m in sent[-3:]] == texts, sent
    assert sent[-1]["parts"] >= 2 and sent[-2]["encoding"] == "ucs2", sent


def test_incoming_texts_show_in_modem_watch_and_questions_are_answered(office, modem):
    watch = subprocess.Popen(
        [sys.executable, "-m", "appliance", "--home", str(office.home.root), "modem", "watch",
         "--json"], stdout=subprocess.PIPE, text=True)
    long_ucs2 = "Здравствуйте! " + "Можно записаться на приём в субботу утром? " * 3
    try:
        time.sleep(1.0)
        modem.op("sms", sender="+27821112222", text="When are you open on Saturday?")
        modem.op("sms", sender="+27821113333", text=long_ucs2)  # 3 UCS2 parts
        assert watch.stdout is not None
        received = []
        deadline = time.monotonic() + 30
        while len(received) < 2 and time.monotonic() < deadline:
            event = json.loads(watch.stdout.readline())
            if event["event"] == "sms_received":
                received.append(event)
    finally:
        watch.terminate()
        watch.wait(10)
    assert [(e["sender"], e["text"]) for e in received] == [
        ("+27821112222", "When are you open on Saturday?"), ("+27821113333", long_ucs2)]
    # gsm.sms_answers: the question is answered from the knowledge base in one text.
    st = modem.wait_for(lambda s: any(m["number"] == "+27821112222" for m in s["sms_sent"]),
                        60, "the answer by text")
    answer = next(m for m in st["sms_sent"] if m["number"] == "+27821112222")
    assert re.search(r"\b9\b.*\b1\b", answer["text"]) and answer["parts"] == 1, answer


def test_no_sim_and_no_network_are_reported_while_sip_calls_work(office, modem):
    modem.op("sim", state="absent")
    modem.op("unplug", seconds=1.0)  # a SIM change means a modem restart
    wait_until(lambda: _status(office).get("sim") == "not_inserted", 40, "no SIM reported")
    summary = json.loads(office.cli("status", "--json").stdout)["gsm"]
    assert summary == "no SIM card in the modem", summary
    report = office.call("--say", "Hello")
    assert report["errors"] == [], (report, office.logs())
    assert heard_greeting(report["greeting"]["heard"]), report
    modem.op("sim", state="ready")
    modem.op("network", stat=0)
    modem.op("unplug", seconds=1.0)
    wait_until(lambda: _status(office).get("registration") == "not_registered", 40,
               "no network reported")
    report = office.call("--say", "Hello")
    assert report["errors"] == [], (report, office.logs())
    modem.op("network", stat=1)
    wait_until(lambda: _status(office).get("registration") == "home", 60, "network back")


def test_a_voice_port_that_never_starts_is_cured_by_a_reset_between_calls(office, modem):
    modem.op("configure", pcm_refusals=1000)  # AT+CPCMREG=1 refused, as on degraded firmware
    try:
        modem.op("ring", number="+27824440000", wav=None)
        # The caller could not be served: the call is ended, the staff are told...
        st = modem.wait_for(lambda s: any("+27824440000" in m["text"] for m in s["sms_sent"]),
                            40, "the missed-call text")
        assert not st["call"], st
        # ...and the modem is reset before the next call (the line reconnects by itself).
        modem.wait_for(lambda s: "AT+CRESET" in s["commands"], 20, "AT+CRESET")
        modem.wait_for(lambda s: not s["plugged"], 10, "the modem to re-enumerate")
    finally:
        modem.op("configure", pcm_refusals=0)
    wait_until(lambda: _status(office).get("registration") == "home", 60, "the modem back")
    modem.op("ring", number="+27824440001", wav=None)
    modem.wait_for(lambda s: s["cpcmreg"], 20, "audio on the next call")
    modem.op("hangup")
    wait_until(lambda: all(c["ended_at"] for c in _gsm_calls(office)), 15, "call end")
    _no_leftovers(office)


def test_with_no_trunk_a_handoff_rings_the_staff_mobile_over_gsm(office, modem):
    """No staff phone answers (none is registered) and there is no SIP trunk: the staff
    mobile is dialled over the GSM line and bridged to the SIP caller."""
    wav = _caller_wav(modem.dir, "Hello, this is the front desk.", 0.5, 6.0)
    modem.op("configure", dial_wav=str(wav))
    try:
        report = office.call("--say", "I want to talk to a person.", "--pause", "8",
                             "--say", "Hello, I have a question about my bill.", timeout=180)
        st = modem.state()
    finally:
        modem.op("configure", dial_wav=None)
    assert f"ATD{STAFF_MOBILE};" in st["commands"], (st, office.logs())
    assert report["call_id"], report
    wait_until(lambda: _rows(office, "SELECT ended_at FROM calls WHERE id = ?",
                             report["call_id"])[0]["ended_at"], 15, "the call to end")
    rows = _rows(office, "SELECT status FROM calls WHERE id = ?", report["call_id"])
    assert rows[0]["status"] == "transferred", (rows, office.logs())
    # The SIP caller's voice reached the mobile (the modem's recording is not silent).
    heard = modem.dir / "mobile-heard.wav"
    modem.op("save_audio", path=str(heard))
    audio, rate = read_wav(heard)
    assert np.abs(audio.astype(np.int32)).max() > 1000, "the mobile heard nothing"
    # The caller hung up: the mobile's call is ended too, nothing left behind.
    modem.wait_for(lambda s: not s["call"], 15, "the mobile's call to end")
    _no_leftovers(office)


@pytest.mark.skipif(not have_root(), reason="no baresip in the private root")
def test_a_gsm_caller_pressing_0_is_put_through_to_a_staff_sip_phone(office, modem):
    established: list[dict] = []
    ready, done = threading.Event(), threading.Event()

    def staff_phone() -> None:
        async def run() -> None:
            password = office.home.read_secret(staff_secret_name("201"))
            assert password
            async with BaresipUA(Path(tempfile.mkdtemp(prefix="ua-", dir="/tmp")), "201",
                                 password, f"127.0.0.1:{office.cfg.asterisk.sip_port}",
                                 auto_answer=True) as phone:
                ready.set()
                with contextlib.suppress(Exception):
                    established.append(await phone.wait_call_established(40))
                await asyncio.to_thread(done.wait, 60)
        asyncio.run(run())

    thread = threading.Thread(target=staff_phone, daemon=True)
    thread.start()
    try:
        assert ready.wait(20), "the staff phone did not start"
        before = len(_gsm_calls(office))
        modem.op("ring", number="+27825551111", wav=None)
        modem.wait_for(lambda s: s["call"] and s["call"]["state"] == "active", 15, "answer")
        wait_until(lambda: len(_gsm_calls(office)) > before, 10, "the GSM call in Asterisk")
        time.sleep(5.0)  # the greeting
        modem.op("dtmf", digit="0")  # +RXDTMF: 0 -> "put me through"
        wait_until(lambda: established, 30, "the staff phone to take the call")
        modem.op("hangup")
    finally:
        done.set()
        thread.join(30)
    call = wait_until(lambda: [c for c in _gsm_calls(office)[before:] if c["ended_at"]], 15,
                      "the call to end")[0]
    assert call["status"] == "transferred" and call["caller_number"] == "+27825551111", call
    _no_leftovers(office)


def test_a_modem_plugged_in_after_start_is_picked_up_and_sip_works_meanwhile():
    directory = Path(tempfile.mkdtemp(prefix="late-", dir="/tmp"))
    at_port = directory / "sim7600-at"
    app = Appliance(make_home(**{"gsm.enabled": "true", "gsm.at_port": str(at_port),
                                 "gsm.audio_port": str(directory / "sim7600-audio")}))
    sim = None
    try:
        app.cli("up", check=True)  # no modem is no reason not to answer SIP calls
        status = _status(app)
        assert status["connected"] is False and str(at_port) in status["error"], status
        assert app.cli("modem", "status", "--json").returncode == 1
        assert json.loads(app.cli("status", "--json").stdout)["gsm"].startswith("disconnected")
        report = app.call("--say", "Hello")
        assert report["errors"] == [] and heard_greeting(report["greeting"]["heard"]), report
        sim = SimulatedModem(directory=directory)  # plugged in now
        wait_until(lambda: _status(app).get("registration") == "home", 40,
                   "the line to come up")
    finally:
        app.cli("down", timeout=60)
        if sim is not None:
            sim.close()
        shutil.rmtree(app.home.root, ignore_errors=True)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_gsm_call_left_by_a_crashed_supervisor_is_ended_by_the_next(office, modem):
    modem.op("ring", number="+27823334444", wav=None)
    modem.wait_for(lambda s: s["call"] and s["call"]["state"] == "active", 15, "answer")
    wait_until(lambda: any(c["caller_number"] == "+27823334444" for c in _gsm_calls(office)),
               10, "the GSM call in Asterisk")
    os.kill(runtime.read_pid(office.home.supervisor_pid), signal.SIGKILL)
    wait_until(lambda: runtime.read_pid(office.home.supervisor_pid) is None, 10, "the crash")
    assert modem.state()["call"], "the modem call should outlive the crashed supervisor"
    office.cli("up", check=True)
    # Nobody carries that call's audio any more: the caller must not sit in silence.
    modem.wait_for(lambda s: not s["call"], 30, "the leftover call to be hung up")
    _no_leftovers(office)  # and its channel and bridge in Asterisk are released
    wait_until(lambda: _status(office).get("registration") == "home", 30, "the line")
