"""A call placed with `appliance call` through the real Asterisk hears the greeting."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.speech.wavio import read_wav
from tests.e2e.ari_util import call_record, heard_greeting, leftovers, similarity
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def test_test_call_hears_greeting_and_leaves_nothing_behind(appliance):
    report = appliance.call("--say", "Hello, I would like to book an appointment please.")
    assert report["errors"] == [], (report, appliance.logs())
    assert heard_greeting(report["greeting"]["heard"]), (report, appliance.logs())
    assert report["greeting"]["first_audio_ms"] is not None
    # Generous bound: only catches a hang, the 500 ms goal lives in `appliance bench`.
    assert report["greeting"]["first_audio_ms"] < 3000
    # The receptionist heard the turn and answered it (an empty knowledge base: it says so).
    (turn,) = report["turns"]
    assert turn["heard_by_bot"] and turn["reply_text"] and turn["reply_heard"], report

    port = appliance.cfg.asterisk.ari_port
    assert wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10,
                      "channels and bridges to be released")
    record = wait_until(lambda: call_record(appliance.home, report["call_id"]), 5, "record")
    assert record["status"] == "completed"
    assert record["caller_number"] == "+15550100"
    assert record["answered_at"] is not None and record["ended_at"] is not None
    assert record["duration_s"] > 1

    # The caller's audio reached the supervisor's listener.
    audio, rate = read_wav(record["caller_audio"])
    assert rate == 16000
    voiced = np.abs(audio.astype(np.int32)) > 500
    assert voiced.sum() > rate * 0.5, "the caller's speech did not arrive"


def test_config_change_applies_at_the_next_up(appliance):
    old = appliance.cfg.business.greeting
    # A text PocketSphinx hears well over the phone band (0.78-0.83 similarity in trials).
    new = "Welcome to the music school. Who would you like to speak to?"
    appliance.cli("config", "set", "business.greeting", new, check=True)
    appliance.cli("config", "set", "receptionist.extension", "300", check=True)
    appliance.cli("up", check=True)  # reloads Asterisk, restarts the supervisor
    report = appliance.call()  # dials the new extension 300
    heard = report["greeting"]["heard"]
    # Telephone-band recognition is rough: ask that the new text fits clearly better.
    assert similarity(heard, new) >= 0.5, report
    assert similarity(heard, new) > similarity(heard, old) + 0.15, report


def test_two_simultaneous_calls_are_both_greeted(appliance):
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "appliance", "--home", str(appliance.home.root), "call",
           "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    reports = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    for report in reports:
        assert report["errors"] == [], report
        assert heard_greeting(report["greeting"]["heard"]), report
        assert report["greeting"]["first_audio_ms"] < 3000
    assert reports[0]["call_id"] != reports[1]["call_id"]
    port = appliance.cfg.asterisk.ari_port
    assert wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10, "no leftovers")
