import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest

from appliance.media.codecs import SLIN16, ULAW, Codec
from appliance.media.endpoint import RtpEndpoint
from appliance.media.rtp import RtpPacket, seq_delta

# A hang in the socket/task plumbing must fail, not stall the suite.
pytestmark = pytest.mark.timeout(10)

LOCALHOST = "127.0.0.1"


def numbered_frames(codec: Codec, count: int, first: int = 1) -> list[bytes]:
    """Frames whose samples all equal 100 * index, so order and content are checkable."""
    n = codec.samples_per_frame
    return [np.full(n, 100 * i, dtype="<i2").tobytes() for i in range(first, first + count)]


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a counter-style condition for up to 2 s."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met within 2 s")


async def collect(endpoint: RtpEndpoint, count: int) -> list[bytes]:
    out: list[bytes] = []
    async with asyncio.timeout(5), contextlib.aclosing(endpoint.frames()) as frames:
        async for frame in frames:
            out.append(frame)
            if len(out) == count:
                break
    return out


class Capture(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.packets.append(RtpPacket.parse(data))


@pytest.fixture
async def capture() -> AsyncIterator[tuple[Capture, int]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Capture, local_addr=(LOCALHOST, 0))
    yield protocol, transport.get_extra_info("sockname")[1]
    transport.close()


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RtpEndpoint, RtpEndpoint]]:
    sender = await RtpEndpoint.open(SLIN16)
    receiver = await RtpEndpoint.open(SLIN16)
    sender.set_remote(LOCALHOST, receiver.local_port)
    try:
        yield sender, receiver
    finally:
        await sender.close()
        await receiver.close()


async def test_audio_arrives_in_order_and_paced(pair: tuple[RtpEndpoint, RtpEndpoint]) -> None:
    sender, receiver = pair
    frames = numbered_frames(SLIN16, 50)
    loop = asyncio.get_running_loop()

    receiving = asyncio.create_task(collect(receiver, 50))
    started = loop.time()
    sender.enqueue(b"".join(frames))
    assert sender.playing
    await sender.drain()
    send_time = loop.time() - started
    got = await receiving
    receive_time = loop.time() - started

    assert got == frames
    assert not sender.playing
    assert sender.stats.frames_sent == 50
    assert 0.8 <= send_time <= 2.0
    assert 0.8 <= receive_time <= 2.0
    assert sender.last_start_time is not None and sender.last_start_time >= started
    assert receiver.jitter.stats.lost == 0
    assert receiver.stats.packets_received == 50
    # Symmetric RTP: the receiver now answers the sender's address.
    assert receiver.remote == (LOCALHOST, sender.local_port)


async def test_reply_goes_back_to_learned_address(pair: tuple[RtpEndpoint, RtpEndpoint]) -> None:
    sender, receiver = pair
    sender.enqueue(numbered_frames(SLIN16, 1)[0])
    await wait_until(lambda: receiver.remote is not None)
    reply = numbered_frames(SLIN16, 3, first=7)
    receiver.enqueue(b"".join(reply))
    assert await collect(sender, 3) == reply


async def test_ulaw_audio_round_trips_approximately() -> None:
    tone = (8000 * np.sin(np.arange(160 * 5) * 2 * np.pi * 440 / 8000)).astype("<i2")
    async with await RtpEndpoint.open(ULAW) as a, await RtpEndpoint.open(ULAW) as b:
        a.set_remote(LOCALHOST, b.local_port)
        a.enqueue(tone.tobytes())
        got = np.frombuffer(b"".join(await collect(b, 5)), dtype="<i2").astype(np.int32)
    assert np.max(np.abs(got - tone)) <= 8000 // 32 + 5


async def test_packets_on_the_wire(capture: tuple[Capture, int]) -> None:
    protocol, port = capture
    async with await RtpEndpoint.open(SLIN16) as endpoint:
        endpoint.set_remote(LOCALHOST, port)
        endpoint.enqueue(b"".join(numbered_frames(SLIN16, 3)) + b"\x01\x00")  # 1 extra sample
        await endpoint.drain()
        await wait_until(lambda: len(protocol.packets) == 4)
        first_start = endpoint.last_start_time

        await asyncio.sleep(0.1)  # idle for several frame slots
        endpoint.enqueue(numbered_frames(SLIN16, 1)[0])
        await endpoint.drain()
        await wait_until(lambda: len(protocol.packets) == 5)

    packets = protocol.packets
    assert [p.marker for p in packets] == [True, False, False, False, True]
    assert {p.payload_type for p in packets} == {118}
    assert len({p.ssrc for p in packets}) == 1
    assert all(seq_delta(b.sequence, a.sequence) == 1 for a, b in zip(packets, packets[1:]))
    steps = [(b.timestamp - a.timestamp) % (1 << 32) for a, b in zip(packets, packets[1:])]
    assert steps[:3] == [320, 320, 320]
    assert steps[3] >= 320 * 5  # the idle gap advances the RTP clock
    # Big-endian slin on the wire, last frame zero-padded.
    assert packets[0].payload[:4] == b"\x00\x64\x00\x64"
    assert packets[3].payload == b"\x00\x01" + bytes(638)
    assert first_start is not None and endpoint.last_start_time is not None
    assert endpoint.last_start_time - first_start >= 0.1


async def test_sequence_and_timestamp_wrap(capture: tuple[Capture, int]) -> None:
    protocol, port = capture
    async with await RtpEndpoint.open(SLIN16) as endpoint:
        endpoint._seq, endpoint._ts = 65534, 0xFFFFFF00  # start just below both wraps
        endpoint.set_remote(LOCALHOST, port)
        endpoint.enqueue(bytes(SLIN16.pcm_frame_bytes * 4))
        await endpoint.drain()
        await wait_until(lambda: len(protocol.packets) == 4)
    assert [p.sequence for p in protocol.packets] == [65534, 65535, 0, 1]
    assert [p.timestamp for p in protocol.packets] == [0xFFFFFF00, 0x40, 0x180, 0x2C0]


async def test_clear_stops_sending_at_once(capture: tuple[Capture, int]) -> None:
    protocol, port = capture
    async with await RtpEndpoint.open(SLIN16) as endpoint:
        endpoint.set_remote(LOCALHOST, port)
        endpoint.enqueue(bytes(SLIN16.pcm_frame_bytes * 50))
        await wait_until(lambda: endpoint.stats.frames_sent >= 3)
        endpoint.clear()
        assert not endpoint.playing
        async with asyncio.timeout(0.01):
            await endpoint.drain()
        sent = endpoint.stats.frames_sent
        await asyncio.sleep(0.1)
        assert endpoint.stats.frames_sent == sent < 50

        endpoint.enqueue(bytes(SLIN16.pcm_frame_bytes))
        await endpoint.drain()
        await wait_until(lambda: len(protocol.packets) == sent + 1)
    assert protocol.packets[-1].marker  # audio after a barge-in opens a new utterance


async def test_sender_waits_for_a_remote_address() -> None:
    async with await RtpEndpoint.open(SLIN16) as endpoint:
        endpoint.enqueue(bytes(SLIN16.pcm_frame_bytes))
        await asyncio.sleep(0.05)
        assert endpoint.stats.frames_sent == 0 and endpoint.playing


async def test_bad_packets_are_counted_not_raised(pair: tuple[RtpEndpoint, RtpEndpoint]) -> None:
    sender, receiver = pair
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        target = (LOCALHOST, receiver.local_port)
        raw.sendto(b"\x80\x00\x00", target)  # too short
        raw.sendto(bytes.fromhex("4000000100000000 00000000 aa"), target)  # version 1
        raw.sendto(RtpPacket(118, 1, 0, 9, b"\x00\x01\x02").serialize(), target)  # odd slin
        raw.sendto(bytes.fromhex("80c8000600000001") + bytes(20), target)  # RTCP sender report
        await wait_until(
            lambda: receiver.stats.bad_packets == 3 and receiver.stats.ignored_packets == 1
        )
    assert receiver.remote is None  # junk does not claim the symmetric-RTP address
    frames = numbered_frames(SLIN16, 5)
    sender.enqueue(b"".join(frames))
    assert await collect(receiver, 5) == frames


async def test_slow_consumer_loses_oldest_frames(pair: tuple[RtpEndpoint, RtpEndpoint]) -> None:
    sender = pair[0]
    async with await RtpEndpoint.open(SLIN16, queue_frames=4) as receiver:
        sender.set_remote(LOCALHOST, receiver.local_port)
        frames = numbered_frames(SLIN16, 10)
        sender.enqueue(b"".join(frames))
        await wait_until(lambda: receiver.stats.frames_played == 10)
        assert receiver.stats.frames_dropped == 6
        assert await collect(receiver, 4) == frames[6:]


async def test_on_frame_callback_sees_frames(pair: tuple[RtpEndpoint, RtpEndpoint]) -> None:
    sender = pair[0]
    seen: list[bytes] = []
    async with await RtpEndpoint.open(SLIN16, on_frame=seen.append) as receiver:
        sender.set_remote(LOCALHOST, receiver.local_port)
        frames = numbered_frames(SLIN16, 4)
        sender.enqueue(b"".join(frames))
        await wait_until(lambda: len(seen) == 4)
    assert seen == frames


async def test_close_ends_frames_and_leaves_no_tasks() -> None:
    endpoint = await RtpEndpoint.open(SLIN16)
    port = endpoint.local_port

    async def consume() -> list[bytes]:
        return [frame async for frame in endpoint.frames()]

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.01)
    drain = asyncio.create_task(endpoint.drain())
    endpoint.set_remote(LOCALHOST, port)  # talk to itself
    endpoint.enqueue(bytes(SLIN16.pcm_frame_bytes * 100))
    await asyncio.sleep(0.1)
    await endpoint.close()
    await endpoint.close()  # idempotent

    async with asyncio.timeout(1):
        got = await consumer
        await drain
    assert 0 < len(got) < 100
    assert endpoint.closed and not endpoint.playing
    assert [frame async for frame in endpoint.frames()] == []  # later readers end too
    with pytest.raises(RuntimeError, match=r"^RTP endpoint is closed$"):
        endpoint.enqueue(bytes(2))
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()
    # The port was released.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCALHOST, port))


async def test_enqueue_rejects_odd_length() -> None:
    async with await RtpEndpoint.open(SLIN16) as endpoint:
        with pytest.raises(ValueError, match=r"^PCM length is odd: 3 bytes$"):
            endpoint.enqueue(b"\x00\x00\x00")
        endpoint.enqueue(b"")
        assert not endpoint.playing
