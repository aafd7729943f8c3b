"""The SIM7600's USB voice port: raw s16le mono 8 kHz, once ``AT+CPCMREG=1`` is accepted.

The modem wants exactly one 320-byte frame every 20 ms in each direction. The writer keeps
that clock itself and sends silence when it has nothing to say; a frame that cannot be
written within ``write_timeout`` is dropped, never queued (queued audio only grows delay,
and some firmware stalls host->modem writes: see the notes). Reads are re-framed to 320
bytes whatever the USB transfer size.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import termios
import time
import tty
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

RATE = 8000
FRAME_BYTES = 320  # 20 ms of s16le at 8 kHz
PERIOD_S = 0.02
SILENCE = bytes(FRAME_BYTES)


class AudioPortError(Exception):
    """The audio port cannot be opened or went away (USB unplugged)."""


@dataclass
class AudioStats:
    frames_read: int = 0
    frames_written: int = 0
    silence_written: int = 0
    frames_dropped: int = 0  # write timeouts and queue overflow


class AudioPort:
    """Use ``await AudioPort.open(path)``; ``close()`` on every exit path."""

    def __init__(self, fd: int, path: str, *, write_timeout: float = 1.0,
                 max_queue_frames: int = 10) -> None:
        self.path = path
        self.stats = AudioStats()
        self._fd = fd
        self._write_timeout = write_timeout
        self._out: deque[bytes] = deque(maxlen=max_queue_frames)
        self._pending = b""  # a partial frame from write()
        self._in = bytearray()
        self._readable = asyncio.Event()
        self._gone: str | None = None
        self._closed = False
        loop = asyncio.get_running_loop()
        loop.add_reader(fd, self._readable.set)
        self._writer = loop.create_task(self._write_loop(), name=f"audio-out:{path}")

    @classmethod
    async def open(cls, path: str, **kwargs: float | int) -> AudioPort:
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as e:
            raise AudioPortError(f"cannot open the modem audio port {path}: "
                                 f"{e.strerror}") from None
        with contextlib.suppress(termios.error):
            tty.setraw(fd)  # a tty (real or pty) must not echo or translate the PCM bytes
        return cls(fd, path, **kwargs)  # type: ignore[arg-type]

    @property
    def gone(self) -> str | None:
        """Why the port stopped working, or None while it works."""
        return self._gone

    # -- caller audio (modem -> host) -----------------------------------------------

    async def frames(self) -> AsyncIterator[bytes]:
        """320-byte frames as the modem sends them; ends when the port closes or goes."""
        while not self._closed and self._gone is None:
            while len(self._in) >= FRAME_BYTES:
                frame = bytes(self._in[:FRAME_BYTES])
                del self._in[:FRAME_BYTES]
                self.stats.frames_read += 1
                yield frame
            await self._readable.wait()
            self._readable.clear()
            self._read_available()

    def _read_available(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 4096)
            except BlockingIOError:
                return
            except OSError as e:
                self._lost(e.strerror or str(e))
                return
            if not data:
                self._lost("end of file")
                return
            self._in += data

    def _lost(self, reason: str) -> None:
        if self._gone is None:
            self._gone = reason
            log.warning("modem audio port %s went away: %s", self.path, reason)
            self._readable.set()  # a waiting frames() reader ends
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._fd)

    # -- bot audio (host -> modem) ------------------------------------------------

    def write(self, pcm: bytes) -> None:
        """Queue s16le 8 kHz audio; sent one frame per 20 ms. Oldest frames are dropped
        when more than ``max_queue_frames`` wait (latency stays bounded)."""
        data = self._pending + pcm
        cut = len(data) - len(data) % FRAME_BYTES
        for i in range(0, cut, FRAME_BYTES):
            if len(self._out) == self._out.maxlen:
                self.stats.frames_dropped += 1
            self._out.append(data[i:i + FRAME_BYTES])
        self._pending = data[cut:]

    def clear(self) -> None:
        self._out.clear()
        self._pending = b""

    async def _write_loop(self) -> None:
        next_at = time.monotonic()
        while self._gone is None:
            frame = self._out.popleft() if self._out else SILENCE
            if await self._write_frame(frame):
                if frame is SILENCE:
                    self.stats.silence_written += 1
                else:
                    self.stats.frames_written += 1
            next_at += PERIOD_S
            delay = next_at - time.monotonic()
            if delay < -0.2:  # fell far behind (a stall): restart the clock, no burst
                next_at = time.monotonic()
                delay = 0
            await asyncio.sleep(max(0.0, delay))

    async def _write_frame(self, frame: bytes) -> bool:
        view = memoryview(frame)
        deadline = time.monotonic() + self._write_timeout
        while view:
            try:
                n = os.write(self._fd, view)
                view = view[n:]
                continue
            except BlockingIOError:
                pass
            except OSError as e:
                if e.errno in (errno.EIO, errno.ENXIO, errno.EBADF, errno.ENODEV):
                    self._lost(e.strerror or str(e))
                    return False
                raise
            if time.monotonic() >= deadline:
                self.stats.frames_dropped += 1
                return False
            await asyncio.sleep(0.005)
        return True

    async def close(self) -> None:
        """Stop the writer and release the fd. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._readable.set()  # wake a frames() reader so it ends
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._fd)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        log.info("modem audio port %s closed: %s", self.path, self.stats)
