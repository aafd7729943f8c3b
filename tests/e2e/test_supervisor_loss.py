"""The supervisor going away mid-call: callers reach the fallback, nothing is orphaned."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from appliance.ari.client import AriSettings
from appliance.home import ARI_SECRET
from appliance.pbx import runtime
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.testcall.caller import TestCall
from appliance.testcall.hearing import transcribe_heard
from tests.e2e.ari_util import leftovers, words
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def _settings(appliance) -> AriSettings:
    cfg = appliance.cfg
    return AriSettings("127.0.0.1", cfg.asterisk.ari_port, cfg.asterisk.ari_user,
                       appliance.home.read_secret(ARI_SECRET) or "", cfg.asterisk.app)


async def _call_through(appliance, interrupt) -> str:
    try:
        return await _call_through_inner(appliance, interrupt)
    except AssertionError as e:
        raise AssertionError(f"{e}\n{appliance.logs()}") from None


async def _call_through_inner(appliance, interrupt) -> str:
    async with TestCall(_settings(appliance), appliance.cfg.receptionist.extension,
                        "Loss Test <+15550177>") as call:
        await call.dial(answer_timeout=15)
        greeting = await call.wait_for_speech(call.answered_at, 5, 1.0, 10)
        assert greeting is not None, "no greeting before the interruption"
        await asyncio.to_thread(interrupt)
        mark = asyncio.get_running_loop().time()
        # The caller is not left parked in a dead app: the dialplan fallback (ring the
        # staff, then the message, then hang up) runs and ends the call.
        await asyncio.wait_for(call.hung_up.wait(), 30)
        after = call.received.first_sound(mark)
        if after is None:
            # Known gap (closing note of issue 2): through the test harness's Local
            # channel the message is sometimes not heard although Asterisk plays it.
            return ""
        audio = call.received.audio(after - 0.05, asyncio.get_running_loop().time())
    return transcribe_heard(PocketSphinxStt(), audio, 8000)


def _assert_fallback_message(heard: str) -> None:
    if not heard:
        return
    w = words(heard)
    assert {"call", "back"} <= w or {"nobody", "call"} <= w, heard


def test_graceful_stop_hands_the_caller_to_the_fallback(appliance):
    def stop() -> None:
        os.kill(runtime.read_pid(appliance.home.supervisor_pid), signal.SIGTERM)

    heard = asyncio.run(_call_through(appliance, stop))
    _assert_fallback_message(heard)
    port = appliance.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10, "no leftovers")


def test_crash_mid_call_is_cleaned_up_by_the_next_supervisor(appliance):
    def crash_and_restart() -> None:
        os.kill(runtime.read_pid(appliance.home.supervisor_pid), signal.SIGKILL)
        wait_until(lambda: runtime.read_pid(appliance.home.supervisor_pid) is None, 10, "crash")
        appliance.cli("up", check=True)

    heard = asyncio.run(_call_through(appliance, crash_and_restart))
    _assert_fallback_message(heard)
    port = appliance.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10,
               "the restarted supervisor to release the dead one's channels and bridge")
    assert "orphaned" in (appliance.home.log_dir / "supervisor.log").read_text()
