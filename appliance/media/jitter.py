"""A small fixed-delay jitter buffer keyed by RTP sequence number.

Synchronous and clock-free: the caller pushes packets as they arrive and pops
one frame per playout tick. Each packet is taken to carry one frame; payloads
are stored and returned as-is, so callers should push packets whose payload is
already decoded PCM (RtpEndpoint does) because a lost frame is replaced by
`frame_bytes` zero bytes, which is silence only for linear PCM.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.media.rtp import SEQ_MOD, RtpPacket, seq_delta

# RFC 3550 appendix A.1: jumps beyond these mean a new stream, not loss or reordering.
MAX_DROPOUT = 3000
MAX_MISORDER = 100


@dataclass
class JitterStats:
    received: int = 0  # every packet pushed
    lost: int = 0  # missing packets: played as silence or skipped
    late: int = 0  # arrived after their slot was played
    duplicate: int = 0  # same sequence number already buffered
    overflow: int = 0  # buffered frames discarded to keep within max_frames
    resync: int = 0  # restarts after an SSRC change or a large sequence jump


class JitterBuffer:
    def __init__(self, frame_bytes: int, depth_frames: int = 3, max_frames: int = 50) -> None:
        if frame_bytes <= 0:
            raise ValueError(f"frame_bytes must be positive, got {frame_bytes}")
        if not 1 <= depth_frames <= max_frames:
            raise ValueError(
                f"depth_frames must be between 1 and max_frames ({max_frames}), got {depth_frames}"
            )
        self.frame_bytes = frame_bytes
        self.depth_frames = depth_frames
        self.max_frames = max_frames
        self.stats = JitterStats()
        self._silence = bytes(frame_bytes)
        # Keys are "extended" sequence numbers that keep counting past 65535,
        # so ordering survives wrap-around.
        self._frames: dict[int, bytes] = {}
        self._next: int | None = None  # extended sequence number to play next
        self._ssrc: int | None = None
        self._playing = False

    @property
    def playing(self) -> bool:
        """True once the playout delay was reached and until the buffer runs dry."""
        return self._playing

    def __len__(self) -> int:
        return len(self._frames)

    def reset(self) -> None:
        """Forget the stream (stats are kept)."""
        self._frames.clear()
        self._next = None
        self._ssrc = None
        self._playing = False

    def push(self, packet: RtpPacket) -> None:
        self.stats.received += 1
        if self._next is None or packet.ssrc != self._ssrc:
            if self._next is not None:
                self.stats.resync += 1
            self._restart(packet)
            return

        delta = seq_delta(packet.sequence, self._next % SEQ_MOD)
        if not -MAX_MISORDER <= delta < MAX_DROPOUT:
            # Far outside any plausible reordering or loss: the sender restarted.
            self.stats.resync += 1
            self._restart(packet)
            return
        ext = self._next + delta
        if delta < 0:
            if self._playing:
                self.stats.late += 1
                return
            # Still prebuffering: an earlier packet overtook this one; start from it.
            self._next = ext
        if ext in self._frames:
            self.stats.duplicate += 1
            return
        self._frames[ext] = packet.payload
        newest = max(self._frames)
        if newest - self._next >= self.max_frames:
            self._slide(newest - self.max_frames + 1)

    def pop(self) -> bytes | None:
        """Next frame in sequence order, silence for a gap, or None when nothing is due."""
        if not self._playing:
            if len(self._frames) < self.depth_frames:
                return None
            self._playing = True
        if not self._frames or self._next is None:
            # Underrun: rebuffer so the playout delay is restored before resuming.
            self._playing = False
            return None
        frame = self._frames.pop(self._next, None)
        self._next += 1
        if frame is None:
            # Later packets are here but this one is not: after the playout delay, call it lost.
            self.stats.lost += 1
            return self._silence
        return frame

    def _restart(self, packet: RtpPacket) -> None:
        self._frames = {SEQ_MOD + packet.sequence: packet.payload}
        self._next = SEQ_MOD + packet.sequence
        self._ssrc = packet.ssrc
        self._playing = False

    def _slide(self, lowest: int) -> None:
        """Keep at most max_frames sequence numbers: drop older frames, skip older gaps."""
        assert self._next is not None
        for ext in range(self._next, lowest):
            if self._frames.pop(ext, None) is None:
                self.stats.lost += 1
            else:
                self.stats.overflow += 1
        # Skip a leading gap too, rather than play it out as silence.
        first = min(self._frames)
        self.stats.lost += first - lowest
        self._next = first
