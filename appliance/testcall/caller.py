"""A test caller: places a real call through the running appliance's Asterisk.

It originates a Local channel into the ``from-trunk`` context (the path an outside call
takes) under its own Stasis app, bridges that leg with its own ExternalMedia/RTP endpoint
(ulaw, like a phone), and records every frame it receives with its arrival time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from appliance.ari.client import AriClient, AriError, AriSettings, rtp_peer
from appliance.ari.events import AriEvent, ChannelDestroyed, StasisEnd, StasisStart
from appliance.ari.stream import EventStream
from appliance.media import ULAW, RtpEndpoint

FRAME_S = 0.02
# A frame counts as sound when its RMS is above this (int16): ~ -45 dBFS, well above
# the silence Asterisk sends and below any spoken syllable.
SPEECH_RMS = 180.0


class CallFailed(Exception):
    """The test call could not be placed or broke down."""


@dataclass
class Received:
    """Audio the caller heard, frame by frame, with loop-time arrival stamps."""

    frames: list[tuple[float, bytes]] = field(default_factory=list)

    def audio(self, start: float, end: float) -> np.ndarray:
        chunks = [f for t, f in self.frames if start <= t < end]
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.int16)

    def first_sound(self, after: float) -> float | None:
        for t, f in self.frames:
            if t >= after and _rms(f) >= SPEECH_RMS:
                return t
        return None

    def quiet_after(self, after: float, silence: float) -> float | None:
        """Start of the first stretch of ``silence`` seconds without sound after ``after``
        (no packets at all counts as quiet: Asterisk sends nothing while nobody talks)."""
        quiet_from = after
        for t, f in self.frames:
            if t < after or _rms(f) < SPEECH_RMS:
                continue
            if t - quiet_from >= silence:
                return quiet_from
            quiet_from = t + FRAME_S
        return quiet_from

    def last_sound(self) -> float | None:
        for t, f in reversed(self.frames):
            if _rms(f) >= SPEECH_RMS:
                return t
        return None


def _rms(frame: bytes) -> float:
    a = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


class TestCall:
    """One call; use ``async with`` so every channel and bridge is released."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, settings: AriSettings, extension: str, caller_id: str,
                 context: str = "from-trunk") -> None:
        self.context = context
        self.app = f"caller-{uuid.uuid4().hex[:12]}"
        self.settings = AriSettings(settings.host, settings.port, settings.user,
                                    settings.password, self.app)
        self.extension = extension
        self.caller_id = caller_id
        self.tag = uuid.uuid4().hex
        self.channel_id = f"tc-{uuid.uuid4().hex}"
        self.media_id = f"tcm-{uuid.uuid4().hex}"
        self.bridge_id: str | None = None
        self.received = Received()
        self.answered_at = 0.0
        self.answered_wall = 0.0
        self.hung_up = asyncio.Event()
        self._ari = AriClient(self.settings)
        self._events: asyncio.Queue[AriEvent] = asyncio.Queue()
        self._endpoint: RtpEndpoint | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop = asyncio.get_running_loop()
        self._closed = False

    async def __aenter__(self) -> TestCall:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _on_event(self, event: AriEvent) -> None:
        if event.channel_id == self.channel_id and isinstance(event, StasisEnd | ChannelDestroyed):
            self.hung_up.set()
        self._events.put_nowait(event)

    async def dial(self, answer_timeout: float) -> None:
        stream = EventStream(self._ari, self.app, self._on_event)
        self._tasks.append(asyncio.create_task(stream.run()))
        try:
            await asyncio.wait_for(stream.connected.wait(), 5.0)
        except TimeoutError:
            raise CallFailed("could not subscribe to ARI events") from None
        self._endpoint = await RtpEndpoint.open(ULAW)
        await self._ari.post(
            "/channels", endpoint=f"Local/{self.extension}@{self.context}/n", app=self.app,
            channelId=self.channel_id, callerId=self.caller_id, timeout=int(answer_timeout),
            body={"variables": {"__APPLIANCE_TAG": self.tag}})
        try:
            await self._wait_stasis_start(self.channel_id, answer_timeout)
        except TimeoutError:
            raise CallFailed(
                f"the appliance did not answer within {answer_timeout:.0f} s") from None
        self.answered_at = self._loop.time()
        self.answered_wall = time.time()
        media = await self._ari.external_media(self.app, "127.0.0.1", self._endpoint.local_port,
                                               ULAW.name, channel_id=self.media_id)
        peer = rtp_peer(media)
        if peer is None:
            raise CallFailed("Asterisk did not say where its ExternalMedia channel takes RTP")
        self._endpoint.set_remote(*peer)
        await self._wait_stasis_start(self.media_id, 5.0)
        bridge = await self._ari.create_bridge(f"testcall-{self.tag[:8]}")
        self.bridge_id = str(bridge["id"])
        await self._ari.add_to_bridge(self.bridge_id, self.channel_id, self.media_id)
        self._tasks.append(asyncio.create_task(self._collect()))

    async def _wait_stasis_start(self, channel_id: str, limit_s: float) -> None:
        async with asyncio.timeout(limit_s):
            while True:
                event = await self._events.get()
                if isinstance(event, StasisStart) and event.channel.id == channel_id:
                    return
                if isinstance(event, ChannelDestroyed) and event.channel.id == channel_id:
                    raise CallFailed(f"the call failed: {event.cause_txt or 'hung up'}")

    async def _collect(self) -> None:
        assert self._endpoint is not None
        async for frame in self._endpoint.frames():
            self.received.frames.append((self._loop.time(), frame))

    async def speak(self, audio_8k: np.ndarray) -> float:
        """Send caller speech (int16, 8 kHz) paced in real time; returns when it ended."""
        assert self._endpoint is not None
        self._endpoint.enqueue(audio_8k.astype("<i2").tobytes())
        await self._endpoint.drain()
        return self._loop.time()

    async def wait_for_speech(self, after: float, start_timeout: float,
                              silence: float, max_len: float) -> tuple[float, float] | None:
        """Wait for audio that starts after ``after`` and ends with ``silence`` seconds of
        quiet; returns (start, end) loop times, or None if nothing came."""
        start = None
        deadline = after + start_timeout
        while True:
            await asyncio.sleep(0.05)
            now = self._loop.time()
            if start is None:
                start = self.received.first_sound(after)
                if start is None and (now > deadline or self.hung_up.is_set()):
                    return None
                continue
            last = self.received.last_sound() or start
            if now - last >= silence or now - start > max_len or self.hung_up.is_set():
                return start, last + FRAME_S

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for coro in (self._ari.hangup(self.channel_id), self._ari.hangup(self.media_id)):
            with contextlib.suppress(AriError):
                await coro
        if self.bridge_id:
            with contextlib.suppress(AriError):
                await self._ari.destroy_bridge(self.bridge_id)
        if self._endpoint is not None:
            await self._endpoint.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._ari.close()
