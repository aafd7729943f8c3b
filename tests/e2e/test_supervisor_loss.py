"""The supervisor going away mid-call: the caller hears the fallback, nothing is orphaned.

The caller arrives over a real SIP trunk (a second appliance plays the ITSP, as in
test_trunk), so the office sees a PJSIP channel exactly as with a provider's call.
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from appliance.ari.local import local_settings
from appliance.pbx import runtime
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.testcall.caller import TestCall
from appliance.testcall.hearing import transcribe_heard
from tests.e2e.ari_util import leftovers, words
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


async def _call_through(office, itsp, interrupt) -> str:
    """Call the office, let the greeting play, run ``interrupt``; return what came after."""
    cfg = itsp.cfg
    settings = local_settings(cfg, itsp.home)
    async with TestCall(settings, "301", "PSTN Caller <+15550177>", context="from-staff") as call:
        await call.dial(answer_timeout=15)
        greeting = await call.wait_for_speech(call.answered_at, 5, 1.0, 10)
        assert greeting is not None, f"no greeting before the interruption\n{office.logs()}"
        await asyncio.to_thread(interrupt)
        mark = asyncio.get_running_loop().time()
        after = await call.wait_for_speech(mark, 15, 1.5, 30)
        assert after is not None, f"dead air after the supervisor went away\n{office.logs()}"
        # The message ends the call: nobody is left parked in a dead app.
        await asyncio.wait_for(call.hung_up.wait(), 30)
        audio = call.received.audio(mark, after[1])
    return transcribe_heard(PocketSphinxStt(), audio, 8000)


def _assert_fallback_message(heard: str) -> None:
    w = words(heard)
    assert {"call", "back"} <= w or {"nobody", "call"} <= w, heard


def test_graceful_stop_hands_the_caller_to_the_fallback(office_and_itsp):
    office, itsp = office_and_itsp

    def stop() -> None:
        os.kill(runtime.read_pid(office.home.supervisor_pid), signal.SIGTERM)

    _assert_fallback_message(asyncio.run(_call_through(office, itsp, stop)))
    port = office.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(office.home, port) == ([], []), 10, "no leftovers")


def test_crash_mid_call_is_cleaned_up_by_the_next_supervisor(office_and_itsp):
    office, itsp = office_and_itsp

    def crash_and_restart() -> None:
        os.kill(runtime.read_pid(office.home.supervisor_pid), signal.SIGKILL)
        wait_until(lambda: runtime.read_pid(office.home.supervisor_pid) is None, 10, "crash")
        office.cli("up", check=True)

    _assert_fallback_message(asyncio.run(_call_through(office, itsp, crash_and_restart)))
    port = office.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(office.home, port) == ([], []), 10,
               "the restarted supervisor to release the dead one's channels and bridge")
    assert "orphaned" in (office.home.log_dir / "supervisor.log").read_text()
