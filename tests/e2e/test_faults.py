"""Fault behaviour: restarts, a stopped supervisor, bad config, wrong credentials, bad input."""

from __future__ import annotations

import os
import signal
import socket
import uuid
import wave

import pytest

from appliance.pbx import runtime
from tests.e2e.ari_util import app_registered, heard_greeting, leftovers, words
from tests.e2e.conftest import wait_until
from tests.e2e.fallback_call import call_without_supervisor

pytestmark = pytest.mark.e2e

def _greeting_ok(report: dict) -> bool:
    return heard_greeting(report["greeting"]["heard"])


def test_asterisk_restart_does_not_need_a_supervisor_restart(appliance):
    sup_pid = runtime.read_pid(appliance.home.supervisor_pid)
    assert runtime.stop(appliance.home)  # Asterisk goes away under the running supervisor
    assert runtime.read_pid(appliance.home.supervisor_pid) == sup_pid
    appliance.cli("up", check=True)  # starts Asterisk again; the supervisor is left alone
    wait_until(lambda: appliance.cli("status").returncode == 0, 30,
               "the supervisor to reconnect to the new Asterisk")
    assert runtime.read_pid(appliance.home.supervisor_pid) == sup_pid
    report = appliance.call()
    assert _greeting_ok(report), (report, appliance.logs())


def test_stopped_supervisor_falls_back_to_the_recorded_message(appliance):
    pid = runtime.read_pid(appliance.home.supervisor_pid)
    os.kill(pid, signal.SIGKILL)  # a crash: no chance to clean up
    wait_until(lambda: runtime.read_pid(appliance.home.supervisor_pid) is None, 10,
               "the supervisor to die")
    wait_until(lambda: not app_registered(appliance), 10, "Asterisk to drop the dead app")
    # No staff phone is registered: Dial fails at once and the message plays.
    heard = call_without_supervisor(appliance)
    assert {"call", "back"} <= words(heard) or {"nobody", "call"} <= words(heard), heard
    port = appliance.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10, "no leftovers")


def test_invalid_config_is_a_clear_error_and_starts_nothing(appliance_factory):
    app = appliance_factory(start=False)
    text = app.home.config_file.read_text().replace("codec = \"slin16\"", "codec = \"mp3\"")
    app.home.config_file.write_text(text)
    proc = app.cli("up")
    assert proc.returncode == 2
    assert "media.codec" in proc.stderr and str(app.home.config_file) in proc.stderr
    assert runtime.read_pid(app.home.asterisk_pid) is None
    assert runtime.read_pid(app.home.supervisor_pid) is None


def test_missing_voice_names_the_path_and_starts_nothing(appliance_factory):
    missing = f"/tmp/{uuid.uuid4().hex}/voice.onnx"
    app = appliance_factory(start=False, **{"speech.voice": missing})
    proc = app.cli("up")
    assert proc.returncode != 0
    assert missing in proc.stderr
    assert runtime.read_pid(app.home.asterisk_pid) is None
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", app.cfg.asterisk.ari_port)) != 0


def test_wrong_ari_credentials_fail_clearly(appliance):
    """An Asterisk run by the OS (asterisk.managed = false) whose ARI password differs."""
    home = appliance.home
    os.kill(runtime.read_pid(home.supervisor_pid), signal.SIGTERM)
    wait_until(lambda: runtime.read_pid(home.supervisor_pid) is None, 20, "supervisor stop")
    appliance.cli("config", "set", "asterisk.managed", "false", check=True)
    (home.secrets_dir / "ari.password").write_text("not-the-password\n")
    for command in ("run", "up"):
        proc = appliance.cli(command, timeout=120)
        assert proc.returncode == 1, proc
        assert "rejected the credentials" in proc.stderr, proc.stderr
        assert runtime.read_pid(home.supervisor_pid) is None


def test_call_tool_rejects_bad_input(appliance, tmp_path):
    missing = tmp_path / "nope.wav"
    proc = appliance.cli("call", "--audio", str(missing))
    assert proc.returncode == 2 and "file not found" in proc.stderr and str(missing) in proc.stderr
    text = tmp_path / "notes.wav"
    text.write_text("hello")
    proc = appliance.cli("call", "--audio", str(text))
    assert proc.returncode == 2 and "not a WAV" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_call_tool_when_appliance_is_down(appliance_factory, tmp_path):
    app = appliance_factory(start=False)
    wav = tmp_path / "ok.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    proc = app.cli("call", "--audio", str(wav))
    assert proc.returncode == 1
    assert "not running" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
