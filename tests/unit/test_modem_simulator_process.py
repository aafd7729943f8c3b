"""`python -m modem.simulator` as the end-to-end tests run it: a subprocess, scripted over its
JSON-lines control socket, stopped with SIGTERM leaving nothing behind."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from modem.simulator import request_sync
from tests.unit.modem_sim_host import Host

NUMBER = "+27821231234"


def _start(directory: Path, *extra: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "modem.simulator", "--dir", str(directory), "--boot-delay", "0.3",
         "--ring-interval", "0.5", "--reset-seconds", "0.5", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    assert ready, "the simulator printed nothing within 10 s"
    return proc, json.loads(proc.stdout.readline())


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_subprocess_control_round_trip_and_clean_shutdown(tmp_path: Path) -> None:
    proc, info = _start(tmp_path)
    try:
        assert info == {"at": str(tmp_path / "sim7600-at"),
                        "audio": str(tmp_path / "sim7600-audio"),
                        "control": str(tmp_path / "control.sock")}
        host = Host(info["at"])
        host.read_until(b"PB DONE\r\n")
        host.command("ATE0")
        host.command("AT+CLCC=1")
        ctl = info["control"]
        assert request_sync(ctl, {"op": "ring", "number": NUMBER}) == {"ok": True}
        assert host.read_until(b"145\r\n") == \
            b'\r\nRING\r\n\r\n+CLCC: 1,1,4,0,0,"+27821231234",145\r\n'
        assert host.command("ATA", b"145\r\n") == (
            b'\r\nVOICE CALL: BEGIN\r\n\r\nOK\r\n\r\n+CLCC: 1,1,0,0,0,"+27821231234",145\r\n')
        state = request_sync(ctl, {"op": "state"})
        assert state["ok"] is True and state["cpcmreg"] is False
        assert state["call"] == {"id": 1, "direction": "in", "state": "active", "number": NUMBER,
                                 "rings": 1}
        assert "ATA" in state["commands"]
        assert request_sync(ctl, {"op": "hangup"}) == {"ok": True}
        assert host.read_until(b"NO CARRIER\r\n").startswith(b'\r\n+CLCC: 1,1,6')

        # Bad requests get exact reasons and leave the connection usable.
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(ctl)
            f = s.makefile("rwb")
            for line, error in [(b"not json", "Expecting value"),
                                (b'{"op": "fly"}', "unknown op 'fly'"),
                                (b'{"op": "ring"}', "op 'ring' needs 'number'"),
                                (b'{"op": "network", "stat": 9}', "network stat must be 0..5"),
                                (b'{"op": "ring", "number": "1", "wav": "/nope.wav"}',
                                 "cannot read WAV /nope.wav")]:
                f.write(line + b"\n")
                f.flush()
                reply = json.loads(f.readline())
                assert reply["ok"] is False and error in reply["error"], reply
            f.write(b'{"op": "sms", "sender": "+0123456789", "text": "hi"}\n')
            f.flush()
            assert json.loads(f.readline()) == {"ok": True, "indexes": [0]}

        assert request_sync(ctl, {"op": "state"})["call"] is None
        assert request_sync(ctl, {"op": "unplug", "seconds": 0.4}) == {"ok": True}
        assert not Path(info["at"]).exists()
        deadline = time.monotonic() + 3
        while not Path(info["at"]).exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        host.close()
        host = Host(info["at"])
        assert host.read_until(b"PB DONE\r\n").startswith(b"\r\nRDY\r\n")
        host.close()
    finally:
        code = _stop(proc)
    assert code == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert list(tmp_path.iterdir()) == []  # no links, no socket (no audio: no recording)


def test_subprocess_without_sim(tmp_path: Path) -> None:
    proc, info = _start(tmp_path, "--no-sim")
    try:
        host = Host(info["at"])
        assert host.read_until(b"REMOVED\r\n") == b"\r\nRDY\r\n\r\n+CPIN: SIM REMOVED\r\n"
        reply = request_sync(info["control"], {"op": "ring", "number": NUMBER})
        assert reply["ok"] is False and "not registered" in reply["error"]
        host.close()
    finally:
        assert _stop(proc) == 0
    assert list(tmp_path.iterdir()) == []
