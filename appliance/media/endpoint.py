"""One call's RTP leg: a UDP socket, a paced sender and a jitter-buffered receiver.

Receive: datagram -> parse -> decode to s16le -> jitter buffer -> playout task
(one frame per frame duration) -> bounded queue -> `frames()`.
Send: `enqueue(pcm)` -> 20 ms encoded frames -> sender task -> one packet per 20 ms.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, replace
from typing import Any

from appliance.media.codecs import Codec
from appliance.media.jitter import JitterBuffer
from appliance.media.pacer import Pacer
from appliance.media.rtp import RtpPacket

log = logging.getLogger(__name__)

Address = tuple[str, int]

# RTCP packet types 200-204 read as marker + PT 72-76 when multiplexed (RFC 5761).
_RTCP_AS_RTP_PT = range(72, 77)


@dataclass
class EndpointStats:
    packets_received: int = 0  # valid RTP handed to the jitter buffer
    bad_packets: int = 0  # unparseable datagrams or undecodable payloads
    ignored_packets: int = 0  # valid RTP we do not play (RTCP, foreign payload type, empty)
    frames_played: int = 0  # frames handed to the consumer queue
    frames_dropped: int = 0  # oldest frames discarded because the consumer fell behind
    frames_sent: int = 0
    socket_errors: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, endpoint: RtpEndpoint) -> None:
        self._endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._endpoint._on_datagram(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        # e.g. ICMP port unreachable before the peer's socket exists; RTP just carries on.
        self._endpoint.stats.socket_errors += 1
        log.debug("RTP socket error: %s", exc)


class RtpEndpoint:
    """Use `await RtpEndpoint.open(codec)`; the constructor does no I/O."""

    def __init__(
        self,
        codec: Codec,
        *,
        send_codec: Codec | None = None,
        jitter_depth: int = 3,
        queue_frames: int = 50,
        on_frame: Callable[[bytes], None] | None = None,
    ) -> None:
        self.codec = codec
        # Asterisk's ExternalMedia RTP sends slin16 (dynamic PT 118) but only accepts static
        # payload types back, so a slin16 endpoint sends ulaw: ``send_codec`` allows that.
        self.send_codec = send_codec or codec
        self.stats = EndpointStats()
        self.jitter = JitterBuffer(codec.pcm_frame_bytes, depth_frames=jitter_depth)
        self.last_start_time: float | None = None  # loop time the current utterance began
        self._on_frame = on_frame
        self._transport: asyncio.DatagramTransport | None = None
        self._remote: Address | None = None
        self._closed = False
        self._tasks: list[asyncio.Task[None]] = []
        # Receive side.
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=queue_frames)
        self._rx_wake = asyncio.Event()
        self._rx_pacer = Pacer(codec.frame_seconds)
        # Send side: encoded 20 ms payloads waiting for their slot.
        self._out: deque[bytes] = deque()
        self._tx_wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tx_pacer = Pacer(self.send_codec.frame_seconds)
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._new_utterance = True
        self._last_sent_at: float | None = None

    @classmethod
    async def open(
        cls,
        codec: Codec,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        send_codec: Codec | None = None,
        jitter_depth: int = 3,
        queue_frames: int = 50,
        on_frame: Callable[[bytes], None] | None = None,
    ) -> RtpEndpoint:
        endpoint = cls(
            codec, send_codec=send_codec, jitter_depth=jitter_depth, queue_frames=queue_frames,
            on_frame=on_frame,
        )
        loop = asyncio.get_running_loop()
        endpoint._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(endpoint), local_addr=(host, port)
        )
        endpoint._tasks = [
            loop.create_task(endpoint._send_loop(), name=f"rtp-send:{endpoint.local_port}"),
            loop.create_task(endpoint._playout_loop(), name=f"rtp-playout:{endpoint.local_port}"),
        ]
        for task in endpoint._tasks:
            task.add_done_callback(_log_crash)
        return endpoint

    async def __aenter__(self) -> RtpEndpoint:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def local_port(self) -> int:
        if self._transport is None:
            raise RuntimeError("RTP endpoint is not open")
        return int(self._transport.get_extra_info("sockname")[1])

    @property
    def remote(self) -> Address | None:
        return self._remote

    @property
    def closed(self) -> bool:
        return self._closed

    def set_remote(self, host: str, port: int) -> None:
        self._remote = (host, port)
        self._tx_wake.set()

    # --- receive -------------------------------------------------------------

    def _on_datagram(self, data: bytes, addr: Address) -> None:
        if self._closed:
            return
        try:
            packet = RtpPacket.parse(data)
        except ValueError as exc:
            self.stats.bad_packets += 1
            log.debug("dropping bad RTP packet from %s: %s", addr, exc)
            return
        pt = packet.payload_type
        if pt in _RTCP_AS_RTP_PT or not self.codec.accepts(pt) or not packet.payload:
            self.stats.ignored_packets += 1
            return
        try:
            pcm = self.codec.decode(packet.payload)
        except ValueError as exc:
            self.stats.bad_packets += 1
            log.debug("dropping undecodable RTP payload from %s: %s", addr, exc)
            return
        if self._remote is None:
            # Symmetric RTP: answer wherever the peer sends from.
            self.set_remote(*addr)
        self.stats.packets_received += 1
        self.jitter.push(replace(packet, payload=pcm))
        self._rx_wake.set()

    async def _playout_loop(self) -> None:
        bytes_per_second = self.codec.sample_rate * 2
        while True:
            frame = self.jitter.pop()
            if frame is None:
                # Prebuffering or underrun: nothing due until more packets arrive.
                self._rx_wake.clear()
                await self._rx_wake.wait()
                continue
            self._rx_pacer.start()
            while frame is not None:
                self._deliver(frame)
                # Pace by the frame's real duration in case the peer uses another ptime.
                await self._rx_pacer.wait_next(len(frame) / bytes_per_second)
                frame = self.jitter.pop()

    def _deliver(self, frame: bytes) -> None:
        if self._frames.full():
            self._frames.get_nowait()
            self.stats.frames_dropped += 1
        self._frames.put_nowait(frame)
        self.stats.frames_played += 1
        if self._on_frame is not None:
            try:
                self._on_frame(frame)
            except Exception:
                log.exception("RTP on_frame callback failed")

    async def frames(self) -> AsyncGenerator[bytes, None]:
        """Decoded s16le frames in playout order; ends once the endpoint is closed.

        Meant for a single consumer; frames queued before close() are still yielded.
        """
        while True:
            frame = await self._frames.get()
            if frame is None:
                self._frames.put_nowait(None)  # leave the end mark for any later reader
                return
            yield frame

    # --- send ------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """True while queued audio remains to be sent."""
        return not self._idle.is_set()

    def enqueue(self, pcm: bytes) -> None:
        """Queue s16le audio at the send codec's rate; the tail is zero-padded to a frame."""
        if self._closed:
            raise RuntimeError("RTP endpoint is closed")
        if len(pcm) % 2:
            raise ValueError(f"PCM length is odd: {len(pcm)} bytes")
        if not pcm:
            return
        codec = self.send_codec
        pad = -len(pcm) % codec.pcm_frame_bytes
        payload = codec.encode(bytes(pcm) + bytes(pad))
        step = codec.frame_bytes
        self._out.extend(payload[i : i + step] for i in range(0, len(payload), step))
        self._idle.clear()
        self._tx_wake.set()

    def clear(self) -> None:
        """Drop all queued audio at once (barge-in); what follows starts a new utterance."""
        self._out.clear()
        self._idle.set()
        self._new_utterance = True

    async def drain(self) -> None:
        """Wait until every queued frame has been sent (or dropped by clear/close)."""
        await self._idle.wait()

    async def _send_loop(self) -> None:
        while True:
            while not (self._out and self._remote is not None):
                self._tx_wake.clear()
                await self._tx_wake.wait()
            self._tx_pacer.start()
            while self._out:
                self._send_frame(self._out.popleft())
                if not self._out:
                    self._idle.set()
                await self._tx_pacer.wait_next()
            # A whole slot passed with nothing to send: the next packet opens a talkspurt.
            self._new_utterance = True

    def _send_frame(self, payload: bytes) -> None:
        assert self._transport is not None and self._remote is not None
        now = self._tx_pacer.now()
        marker = self._new_utterance
        if marker:
            self._new_utterance = False
            self.last_start_time = now
            if self._last_sent_at is not None:
                # RTP timestamps track the sampling clock, so silence advances them too.
                frame_s = self.send_codec.frame_seconds
                gap_frames = round((now - self._last_sent_at) / frame_s)
                self._ts += max(0, gap_frames - 1) * self.send_codec.samples_per_frame
        packet = RtpPacket(
            payload_type=self.send_codec.payload_type,
            sequence=self._seq,
            timestamp=self._ts & 0xFFFFFFFF,
            ssrc=self._ssrc,
            payload=payload,
            marker=marker,
        )
        self._transport.sendto(packet.serialize(), self._remote)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + self.send_codec.samples_per_frame) & 0xFFFFFFFF
        self._last_sent_at = now
        self.stats.frames_sent += 1

    async def close(self) -> None:
        """Stop both tasks, close the socket and end `frames()`. Idempotent."""
        if self._closed:
            return
        self._closed = True
        # Everything synchronous first, so a cancelled close() still leaves no live socket.
        for task in self._tasks:
            task.cancel()
        if self._transport is not None:
            self._transport.close()
        self._out.clear()
        self._idle.set()
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(None)
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("RTP task %s crashed", task.get_name(), exc_info=task.exception())
