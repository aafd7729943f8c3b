"""Taking a message: the caller's audio after the tone, its transcript, saved with the call.

The audio is kept from the raw frames (not from the STT), so a message is never lost to a
recognizer failure; the transcript is what the STT heard in the message's turns, or a whole-
buffer transcription when the streaming turns gave nothing. Saved on every exit path,
including the caller hanging up mid-message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from appliance.conversation.ear import Ear, Utterance
from appliance.conversation.waiting import get
from appliance.records.store import CallStore
from appliance.speech.stt import SpeechToText
from appliance.speech.wavio import write_wav

log = logging.getLogger(__name__)


def tone(rate: int, hz: float = 1000.0, seconds: float = 0.35) -> np.ndarray:
    """The "speak after the tone" beep, with short fades so it does not click."""
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * hz * t)
    fade = min(len(t) // 10, int(rate * 0.01))
    ramp = np.linspace(0.0, 1.0, fade)
    wave[:fade] *= ramp
    wave[len(wave) - fade:] *= ramp[::-1]
    return (wave * 32767).astype(np.int16)


@dataclass
class Message:
    call_id: str
    caller_number: str
    rate: int
    frames: list[bytes] = field(default_factory=list)  # the ear's tap
    texts: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    saved: bool = False

    @property
    def seconds(self) -> float:
        return sum(len(f) for f in self.frames) / 2 / self.rate

    async def capture(self, events: asyncio.Queue[Any], ear: Ear | None, max_s: float,
                      start_wait_s: float, end_silence_s: float) -> None:
        """Keep the caller's words until they stop talking (or ``max_s``); the audio itself
        arrives through the ear's tap into ``frames``."""
        last = time.monotonic()
        spoke = False
        while time.monotonic() - self.started < max_s:
            try:
                event = await get(events, 0.2)
            except TimeoutError:
                talking = ear is not None and ear.detector.in_speech
                # Callers take a moment to start after the tone; once they have spoken,
                # a shorter silence means they are done.
                limit = end_silence_s if spoke else start_wait_s
                if not talking and time.monotonic() - last >= limit:
                    return
                continue
            spoke = True
            last = time.monotonic()
            if isinstance(event, Utterance) and event.text.strip():
                self.texts.append(event.text)

    async def save(self, store: CallStore, stt: SpeechToText | None, directory: Path,
                   notify: Callable[[str, str], None] | None = None) -> str:
        """Write the WAV and the record once, then tell ``notify(caller, transcript)`` (the
        staff's SMS); returns the transcript."""
        if self.saved:
            return " ".join(self.texts)
        self.saved = True
        audio = np.frombuffer(b"".join(self.frames), dtype="<i2").astype(np.int16)
        path = directory / f"{self.call_id}-message.wav"
        await asyncio.to_thread(write_wav, path, audio, self.rate)
        transcript = " ".join(t for t in self.texts if t)
        if not transcript and stt is not None and audio.size:
            try:
                transcript = (await asyncio.to_thread(stt.transcribe, audio, self.rate)).strip()
            except Exception as e:
                log.error("call %s: message transcription failed: %s", self.call_id, e)
        await asyncio.to_thread(store.add_message, self.call_id, time.time(),
                                self.caller_number, str(path), self.seconds, transcript)
        log.info("call %s: message saved (%.1f s): %r", self.call_id, self.seconds, transcript)
        if notify is not None:
            try:
                notify(self.caller_number, transcript)
            except Exception:
                log.exception("call %s: message notification failed", self.call_id)
        return transcript
