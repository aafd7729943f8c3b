"""A test call over the GSM line, placed by the SIM7600 simulator (``appliance call --gsm``).

The simulator rings the appliance like a mobile caller: once answered it plays the caller's
WAV (silence while the greeting plays, the question, silence for the answer) into the
modem's voice port and records what the appliance sends back; that recording is then
transcribed the way the SIP test caller transcribes what it hears.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.home import Home
from appliance.speech.espeak import EspeakTts
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.resample import resample
from appliance.speech.wavio import read_wav, write_wav
from appliance.testcall.hearing import SOUND_LEVEL, transcribe_heard
from appliance.testcall.run import speech_onset, trailing_quiet
from modem.simulator import control

RATE = 8000
LEAD_S = 7.0  # the caller listens to the greeting first
TAIL_S = 12.0  # then to the answer
CALLER = "+27821231234"


def caller_audio(text: str, lead_s: float = LEAD_S,
                 tail_s: float = TAIL_S) -> tuple[np.ndarray, float]:
    """The caller's side as one 8 kHz clip (``lead_s`` of silence, the words, ``tail_s``
    of silence), and where the caller's voice ends (s)."""
    tts = EspeakTts()
    speech = resample(np.concatenate(list(tts.synthesize(text))), tts.sample_rate, RATE)
    silence = np.zeros(int(lead_s * RATE), np.int16)
    clip = np.concatenate([silence, speech, np.zeros(int(tail_s * RATE), np.int16)])
    return clip, lead_s + len(speech) / RATE - trailing_quiet(speech)


def reply_onset(audio: np.ndarray, after_s: float) -> float | None:
    """Seconds from ``after_s`` until the appliance's reply sounds; None if it never does."""
    rest = audio[int(after_s * RATE):]
    if not np.any(np.abs(rest.astype(np.int32)) > SOUND_LEVEL):
        return None
    return speech_onset(rest)


async def request(sock: Path, op: dict[str, object]) -> dict[str, Any]:
    try:
        async with asyncio.timeout(15):
            answer = await control.request(sock, op)
    except (OSError, TimeoutError) as e:
        raise SimulatorError(f"no modem simulator at {sock}: {e}") from None
    if not answer.get("ok"):
        raise SimulatorError(f"the simulator refused {op['op']}: {answer.get('error')}")
    return answer


class SimulatorError(Exception):
    """The simulator is not there or refused an operation."""


async def _wait_state(sock: Path, ok: Any, limit_s: float, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        st = await request(sock, {"op": "state"})
        if ok(st):
            return st
        await asyncio.sleep(0.2)
    raise TimeoutError(f"timed out after {limit_s:.0f} s waiting for {what}")


def _latest_gsm_turn(home: Home, number: str, since: float) -> tuple[str, dict[str, Any]]:
    db = sqlite3.connect(home.db_file)
    db.row_factory = sqlite3.Row
    try:
        call = db.execute("SELECT id FROM calls WHERE source = 'gsm' AND caller_number = ? "
                          "AND started_at >= ? ORDER BY started_at DESC", (number, since)
                          ).fetchone()
        if call is None:
            return "", {}
        turn = db.execute("SELECT heard, reply, route FROM turns WHERE call_id = ? "
                          "ORDER BY idx", (call["id"],)).fetchone()
        return str(call["id"]), dict(turn) if turn else {}
    finally:
        db.close()


async def gsm_call(home: Home, sock: Path, text: str) -> dict[str, Any]:
    report: dict[str, Any] = {"call_id": None, "greeting": {"heard": ""}, "turns": [],
                              "rings": None, "errors": []}
    clip, question_end = await asyncio.to_thread(caller_audio, text)
    with tempfile.TemporaryDirectory(prefix="gsm-call-") as tmp:
        wav, heard = Path(tmp) / "caller.wav", Path(tmp) / "heard.wav"
        await asyncio.to_thread(write_wav, wav, clip, RATE)
        since = time.time()
        await request(sock, {"op": "ring", "number": CALLER, "wav": str(wav)})
        try:
            st = await _wait_state(sock, lambda s: s["call"] and s["call"]["state"] == "active",
                                   20, "the appliance to answer")
            report["rings"] = st["call"]["rings"]
            await asyncio.sleep(len(clip) / RATE)  # the whole conversation plays out
            await request(sock, {"op": "save_audio", "path": str(heard)})
        except TimeoutError as e:
            report["errors"].append(str(e))
            return report
        finally:
            await request(sock, {"op": "hangup"})
        audio, rate = await asyncio.to_thread(read_wav, heard)
    stt = PocketSphinxStt()
    report["greeting"]["heard"] = await asyncio.to_thread(
        transcribe_heard, stt, audio[: int((LEAD_S - 0.5) * rate)], rate)
    reply_heard = await asyncio.to_thread(transcribe_heard, stt,
                                          audio[int(question_end * rate):], rate)
    onset = reply_onset(audio, question_end) if rate == RATE else None
    call_id, turn = await asyncio.to_thread(_latest_gsm_turn, home, CALLER, since - 1)
    report["call_id"] = call_id or None
    report["turns"].append({"caller": text, "heard_by_bot": turn.get("heard"),
                            "reply_text": turn.get("reply"), "route": turn.get("route"),
                            "reply_heard": reply_heard,
                            # from the end of the caller's voice to the reply's first sound
                            "answer_latency_ms": None if onset is None else round(onset * 1000)})
    if not call_id:
        report["errors"].append("the appliance has no record of a GSM call from " + CALLER)
    return report
