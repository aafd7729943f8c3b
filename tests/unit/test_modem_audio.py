"""The modem's audio port on a real pseudo-terminal: framing, pacing, silence, unplug."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import tty

import pytest

from modem.audio import FRAME_BYTES, AudioPort, AudioPortError


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    yield master, path
    for fd in (master, slave):
        with contextlib.suppress(OSError):
            os.close(fd)


def _drain(fd: int, seconds: float) -> bytes:
    os.set_blocking(fd, False)
    out = bytearray()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            out += os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.005)
    return bytes(out)


async def test_writes_one_frame_per_20_ms_with_silence_between(pty_pair) -> None:
    master, path = pty_pair
    port = await AudioPort.open(path)
    try:
        speech = bytes([1, 2]) * (FRAME_BYTES // 2) * 5  # 5 frames of a non-silent pattern
        port.write(speech)
        got = await asyncio.to_thread(_drain, master, 1.0)
    finally:
        await port.close()
    # ~1 s at 16 kB/s: paced, neither a burst nor starved (generous: a loaded CI box).
    assert 12000 <= len(got) <= 20000, len(got)
    assert got.startswith(speech)  # what was queued goes first, intact
    assert set(got[len(speech):len(speech) + 8 * FRAME_BYTES]) == {0}  # then silence
    assert port.stats.frames_written == 5


async def test_reframes_reads_into_320_byte_frames(pty_pair) -> None:
    master, path = pty_pair
    port = await AudioPort.open(path)
    data = bytes(range(256)) * 5  # 1280 bytes = 4 frames, written in odd-sized pieces
    try:
        for i in range(0, len(data), 333):
            os.write(master, data[i:i + 333])
        frames = []
        async with asyncio.timeout(5):
            async for frame in port.frames():
                frames.append(frame)
                if len(frames) == 4:
                    break
    finally:
        await port.close()
    assert [len(f) for f in frames] == [FRAME_BYTES] * 4
    assert b"".join(frames) == data


async def test_unplug_ends_the_frames_and_says_why(pty_pair) -> None:
    master, path = pty_pair
    port = await AudioPort.open(path)
    try:
        os.write(master, bytes(FRAME_BYTES))
        frames = []

        async def read() -> None:
            async for frame in port.frames():
                frames.append(frame)

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.1)
        os.close(master)  # what a USB unplug looks like on the host side of a tty
        async with asyncio.timeout(5):
            await reader
        assert frames == [bytes(FRAME_BYTES)]
        assert port.gone
    finally:
        await port.close()


async def test_queue_is_bounded_oldest_dropped(pty_pair) -> None:
    _master, path = pty_pair
    port = await AudioPort.open(path, max_queue_frames=3)
    try:
        port.write(bytes(FRAME_BYTES) * 10)
        assert port.stats.frames_dropped >= 6
    finally:
        await port.close()


async def test_missing_port_names_the_path() -> None:
    with pytest.raises(AudioPortError, match="/dev/nonexistent-audio"):
        await AudioPort.open("/dev/nonexistent-audio")
