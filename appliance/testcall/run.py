"""Run a scripted test call and build the ``appliance call --json`` report."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from appliance.ari.client import AriError, AriSettings
from appliance.records.store import CallStore, TurnRecord
from appliance.speech.resample import resample
from appliance.testcall.caller import FRAME_S, SPEECH_RMS, CallFailed, TestCall

CALLER_RATE = 8000
GREETING_START_TIMEOUT = 5.0
REPLY_START_TIMEOUT = 8.0
END_SILENCE = 1.2


BARGE_STOP_SILENCE = 0.3  # the bot counts as stopped after this much quiet


@dataclass
class CallerTurn:
    label: str  # the --say text, or the --audio path
    audio_8k: np.ndarray
    pause_s: float = 0.0  # wait this long after the previous reply before speaking
    barge_in_ms: int | None = None  # speak this long after the previous reply *started*


@dataclass
class Engines:
    """Blocking helpers, run in threads: caller voice and caller-side transcription."""

    transcribe_8k: Any  # Callable[[np.ndarray], str]


def speech_onset(audio_8k: np.ndarray) -> float:
    """Seconds of leading quiet before the caller's voice starts in a turn's audio."""
    frame = int(CALLER_RATE * FRAME_S)
    for i in range(0, len(audio_8k) - frame + 1, frame):
        chunk = audio_8k[i:i + frame].astype(np.float32)
        if float(np.sqrt(np.mean(chunk * chunk))) >= SPEECH_RMS:
            return i / CALLER_RATE
    return 0.0


def trailing_quiet(audio_8k: np.ndarray) -> float:
    """Seconds of quiet after the caller's voice ends in a turn's audio."""
    frame = int(CALLER_RATE * FRAME_S)
    end = len(audio_8k)
    for i in range(end - frame, -1, -frame):
        chunk = audio_8k[i:i + frame].astype(np.float32)
        if float(np.sqrt(np.mean(chunk * chunk))) >= SPEECH_RMS:
            return (end - (i + frame)) / CALLER_RATE
    return 0.0


def _ms(start: float, end: float | None) -> int | None:
    return None if end is None else int(round((end - start) * 1000))


async def run_call(settings: AriSettings, extension: str, turns: list[CallerTurn],
                   engines: Engines, db: Path, limit_s: float,
                   caller_id: str = "Test Caller <+15550100>") -> dict[str, Any]:
    report: dict[str, Any] = {"call_id": None, "greeting": {"heard": "", "first_audio_ms": None},
                              "turns": [], "errors": []}
    errors: list[str] = report["errors"]

    async def transcribe(audio: np.ndarray) -> str:
        return str(await asyncio.to_thread(engines.transcribe_8k, audio)) if audio.size else ""

    async with TestCall(settings, extension, caller_id) as call:
        try:
            async with asyncio.timeout(limit_s):
                await call.dial(answer_timeout=min(15.0, limit_s))
                g = await call.wait_for_speech(call.answered_at, GREETING_START_TIMEOUT,
                                               END_SILENCE, 30.0)
                if g is None:
                    errors.append(f"no greeting heard within {GREETING_START_TIMEOUT:.0f} s "
                                  "of answer")
                else:
                    report["greeting"] = {
                        "heard": await transcribe(call.received.audio(call.answered_at, g[1])),
                        "first_audio_ms": _ms(call.answered_at, g[0]),
                    }
                for i, turn in enumerate(turns, 1):
                    if call.hung_up.is_set():
                        errors.append(f"turn {i}: the appliance hung up")
                        break
                    await asyncio.sleep(turn.pause_s)
                    spoke_start = asyncio.get_running_loop().time()
                    spoke_end = await call.speak(turn.audio_8k)
                    nxt = turns[i] if i < len(turns) else None
                    if nxt is not None and nxt.barge_in_ms is not None:
                        # The next turn interrupts this reply: only wait for it to start.
                        start = await call.wait_for_speech(spoke_end, REPLY_START_TIMEOUT,
                                                           0.0, 0.0)
                        if start is not None:
                            await asyncio.sleep(nxt.barge_in_ms / 1000)
                            now = asyncio.get_running_loop().time()
                            reply = (start[0], now)
                        else:
                            reply = None
                    else:
                        reply = await call.wait_for_speech(spoke_end, REPLY_START_TIMEOUT,
                                                           END_SILENCE, 60.0)
                    entry: dict[str, Any] = {
                        "caller": turn.label, "heard_by_bot": None, "reply_text": None,
                        "reply_heard": "", "answer_latency_ms": None, "first_audio_ms": None,
                        "route": None, "barge_in": None, "stages_ms": stages_ms(None)}
                    if reply is None:
                        errors.append(f"turn {i}: no reply heard within "
                                      f"{REPLY_START_TIMEOUT:.0f} s")
                    else:
                        entry["reply_heard"] = await transcribe(
                            call.received.audio(spoke_end, reply[1]))
                        # From the end of the caller's voice, not of the clip: a clip's
                        # trailing quiet would otherwise flatter the latency.
                        voice_end = spoke_end - trailing_quiet(turn.audio_8k)
                        entry["first_audio_ms"] = _ms(voice_end, reply[0])
                        entry["answer_latency_ms"] = entry["first_audio_ms"]
                    if turn.barge_in_ms is not None:
                        onset = spoke_start + speech_onset(turn.audio_8k)
                        stop = call.received.quiet_after(onset, BARGE_STOP_SILENCE)
                        # How long the bot went on talking once the caller's voice began.
                        entry["bot_stopped_ms"] = _ms(onset, stop)
                    report["turns"].append(entry)
        except TimeoutError:
            errors.append(f"the call did not finish within --timeout {limit_s:.0f} s")
        except (CallFailed, AriError) as e:
            errors.append(str(e))
    report["call_id"] = await _fill_from_records(db, call.tag, report)
    return report


# Supervisor-side stage durations in a report turn, each measured from the moment the
# supervisor decided the caller had finished speaking (TurnRecord.speech_end).
STAGES = {"stt_ms": "stt_final", "retrieval_ms": "retrieval_done",
          "first_token_ms": "first_token", "first_clause_ms": "first_clause",
          "first_tts_ms": "first_tts_audio", "first_rtp_ms": "first_rtp_sent"}


def stages_ms(rec: TurnRecord | None) -> dict[str, int | None]:
    """Stage times of one turn in ms after its speech_end; None where a time is missing."""
    start = rec.speech_end if rec is not None else None
    out: dict[str, int | None] = {}
    for key, attr in STAGES.items():
        at = getattr(rec, attr) if rec is not None else None
        out[key] = None if start is None or at is None else _ms(start, at)
    return out


async def _fill_from_records(db: Path, tag: str, report: dict[str, Any]) -> str | None:
    """Add the supervisor's view of the call: its id and, per caller turn, what it heard,
    what it replied, how (route), whether the caller barged in, and its stage times.

    Report turn i takes the call's i-th turn record; the engine writes a turn's record
    before the call's record is closed, so waiting for ``ended_at`` is enough.
    """
    if not await asyncio.to_thread(db.exists):
        return None
    store = await asyncio.to_thread(CallStore, db)
    try:
        deadline = time.monotonic() + 5.0
        record = None
        while time.monotonic() < deadline:
            record = await asyncio.to_thread(store.by_tag, tag)
            if record is not None and record.ended_at is not None:
                break
            await asyncio.sleep(0.1)
        if record is None:
            report["errors"].append("the supervisor has no record of this call")
            return None
        records = await asyncio.to_thread(store.turns, record.id)
        for turn, rec in zip(report["turns"], records):
            turn["heard_by_bot"] = rec.heard
            turn["reply_text"] = rec.reply
            turn["route"] = rec.route
            turn["barge_in"] = rec.barge_in_at is not None
            turn["stages_ms"] = stages_ms(rec)
        return record.id
    finally:
        store.close()


def load_turn_audio(say: str | None, wav: Path | None, voice: Any) -> CallerTurn:
    """Turn one --say / --audio argument into 8 kHz caller audio (blocking)."""
    from appliance.speech.wavio import read_wav

    if wav is not None:
        audio, rate = read_wav(wav)
        return CallerTurn(str(wav), resample(audio, rate, CALLER_RATE))
    assert say is not None
    return CallerTurn(say, resample(voice.synthesize_all(say), voice.sample_rate, CALLER_RATE))
