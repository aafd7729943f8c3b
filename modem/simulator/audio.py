"""The modem's voice port: the far end's WAV out to the host, the host's audio recorded.

Like the SIM7600 after AT+CPCMREG=1: raw s16le mono at 8 kHz (16 kHz after AT+CPCMFRM=1),
one 20 ms frame at a time on a steady clock, silence once the WAV has been played. A frame
the host does not read in time is dropped (the pty buffer is full), never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import wave
from pathlib import Path

import numpy as np
import soxr

log = logging.getLogger(__name__)
PERIOD_S = 0.02


def load_wav(path: str | Path, rate: int) -> bytes:
    """Any PCM WAV -> s16le mono at `rate`; ValueError naming the file if it cannot be read."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, src_rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise ValueError(f"cannot read WAV {path}: {e}") from e
    dtypes = {1: np.uint8, 2: np.int16, 4: np.int32}
    if width not in dtypes:
        raise ValueError(f"WAV {path}: {8 * width}-bit samples are not supported (8/16/32-bit PCM)")
    samples = np.frombuffer(raw, dtypes[width]).astype(np.float64)
    if width == 1:
        samples = (samples - 128.0) * 256.0
    elif width == 4:
        samples = samples / 65536.0
    mono = samples.reshape(-1, channels).mean(axis=1) / 32768.0
    if src_rate != rate:
        mono = soxr.resample(mono, src_rate, rate)
    return (np.clip(mono, -1.0, 32767 / 32768) * 32768.0).astype("<i2").tobytes()


def write_wav(path: str | Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


class AudioPump:
    """Streams one call's audio into the port's master fd and records what comes back."""

    def __init__(self) -> None:
        self.rate = 8000
        self.streaming = False
        self.received = bytearray()  # host -> modem during this (or the last) call
        self.sent_bytes = 0
        self.dropped_frames = 0
        self._wav: str | None = None
        self._source = b""
        self._pos = 0
        self._task: asyncio.Task[None] | None = None

    def new_call(self, wav: str | None) -> None:
        self.stop()
        self.received.clear()
        self._wav, self._source, self._pos = wav, b"", 0

    def start(self, fd: int, rate: int) -> None:
        """AT+CPCMREG=1 accepted: frames flow until stop()."""
        self.stop()
        if rate != self.rate or not self._source:
            self._source = load_wav(self._wav, rate) if self._wav else b""
            self._pos = self._pos * rate // self.rate  # keep the place after a rate switch
            self.rate = rate
        self.streaming = True
        self._task = asyncio.get_running_loop().create_task(self._stream(fd))

    def stop(self) -> None:
        self.streaming = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def on_readable(self, fd: int) -> None:
        """Reader callback on the audio master: keeps the host's audio while streaming."""
        try:
            data = os.read(fd, 65536)
        except OSError:
            return
        if self.streaming:
            self.received += data

    async def _stream(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        frame = self.rate // 50 * 2
        deadline = loop.time()
        while True:
            chunk = self._source[self._pos:self._pos + frame]
            self._pos += frame
            chunk += bytes(frame - len(chunk))
            try:
                written = os.write(fd, chunk)
            except BlockingIOError:
                written = 0
            except OSError as e:  # the port went away under us
                log.debug("audio port closed while streaming: %s", e)
                return
            self.sent_bytes += written
            if written < frame:
                self.dropped_frames += 1
            deadline += PERIOD_S
            now = loop.time()
            if deadline < now - 0.2:  # we were starved (CPU): resync instead of bursting
                deadline = now
            await asyncio.sleep(max(0.0, deadline - now))

    async def close(self) -> None:
        task, self._task = self._task, None
        self.streaming = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
