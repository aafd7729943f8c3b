"""Place a call while the supervisor is down (``appliance call`` refuses to) and transcribe it."""

from __future__ import annotations

import asyncio

from appliance.ari.client import AriSettings
from appliance.ari.local import local_settings
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.testcall.caller import TestCall
from appliance.testcall.hearing import transcribe_heard


async def _call(settings: AriSettings, extension: str) -> tuple[float, object]:
    async with TestCall(settings, extension, "Fallback Test <+15550199>") as call:
        await call.dial(answer_timeout=30)
        span = await call.wait_for_speech(call.answered_at, 10.0, 1.5, 30.0)
        assert span is not None, "dead air: nothing was played to the caller"
        return span[0] - call.answered_at, call.received.audio(call.answered_at, span[1])


def call_without_supervisor(appliance) -> str:
    cfg = appliance.cfg
    settings = local_settings(cfg, appliance.home)
    _, audio = asyncio.run(_call(settings, cfg.receptionist.extension))
    return transcribe_heard(PocketSphinxStt(), audio, 8000)
