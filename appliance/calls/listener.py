"""Where caller audio goes: the listener interface, and the recorder used until the
conversation engine plugs in.

A listener gets every decoded 20 ms frame of the caller's audio. ``feed`` must be cheap
and never block (it runs on the event loop); heavy work belongs in the listener's own task
or a thread.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from appliance.speech.wavio import write_wav


@dataclass(frozen=True)
class CallInfo:
    call_id: str
    caller_number: str
    sample_rate: int


class CallerAudioListener(ABC):
    @abstractmethod
    async def start(self, call: CallInfo) -> None:
        """Called once the caller's audio path is up."""

    @abstractmethod
    def feed(self, frame: bytes) -> None:
        """One 20 ms frame of s16le PCM at ``call.sample_rate``."""

    @abstractmethod
    async def stop(self) -> str:
        """Called on every exit path; returns a path or note for the call record."""


# Called with the call session (the conversation talks back through it: see
# conversation.engine.CallPort).
ListenerFactory = Callable[[Any], CallerAudioListener]


class RecordingListener(CallerAudioListener):
    """Keeps the caller's audio and writes it as a WAV when the call ends."""

    # Ten minutes at 16 kHz is ~19 MB: plenty for a receptionist call, bounded memory.
    MAX_SECONDS = 600

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._chunks: list[bytes] = []
        self._bytes = 0
        self._call: CallInfo | None = None

    async def start(self, call: CallInfo) -> None:
        self._call = call

    def feed(self, frame: bytes) -> None:
        if self._call and self._bytes < self.MAX_SECONDS * self._call.sample_rate * 2:
            self._chunks.append(frame)
            self._bytes += len(frame)

    async def stop(self) -> str:
        if self._call is None:
            return ""
        path = self._dir / f"{self._call.call_id}-caller.wav"
        audio = np.frombuffer(b"".join(self._chunks), dtype="<i2").astype(np.int16)
        self._chunks.clear()
        await asyncio.to_thread(write_wav, path, audio, self._call.sample_rate)
        return str(path)
