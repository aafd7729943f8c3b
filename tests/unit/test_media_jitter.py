import pytest

from appliance.media.jitter import JitterBuffer
from appliance.media.rtp import RtpPacket

FRAME = 4
SILENCE = bytes(FRAME)


def pkt(seq: int, ssrc: int = 1) -> RtpPacket:
    seq %= 65536
    return RtpPacket(0, seq, seq * 160, ssrc, payload=seq.to_bytes(2, "big") * 2)


def frame(seq: int) -> bytes:
    return (seq % 65536).to_bytes(2, "big") * 2


def drain(jb: JitterBuffer) -> list[bytes]:
    out = []
    while (item := jb.pop()) is not None:
        out.append(item)
    return out


def test_waits_for_depth_then_plays_in_order() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    jb.push(pkt(10))
    jb.push(pkt(11))
    assert jb.pop() is None
    assert not jb.playing
    jb.push(pkt(12))
    assert jb.pop() == frame(10)
    assert jb.playing
    jb.push(pkt(13))
    assert drain(jb) == [frame(11), frame(12), frame(13)]
    assert jb.stats.received == 4
    assert (jb.stats.lost, jb.stats.late, jb.stats.duplicate) == (0, 0, 0)


def test_reorder_while_prebuffering() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    for seq in (12, 10, 11):
        jb.push(pkt(seq))
    assert drain(jb) == [frame(10), frame(11), frame(12)]
    assert jb.stats.late == 0


def test_reorder_while_playing() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2)
    for seq in (1, 2):
        jb.push(pkt(seq))
    assert jb.pop() == frame(1)
    for seq in (4, 3, 5):
        jb.push(pkt(seq))
    assert drain(jb) == [frame(2), frame(3), frame(4), frame(5)]
    assert jb.stats.lost == 0


def test_duplicate_is_dropped() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2)
    jb.push(pkt(1))
    jb.push(pkt(1))
    jb.push(pkt(2))
    jb.push(pkt(2))
    assert drain(jb) == [frame(1), frame(2)]
    assert jb.stats.duplicate == 2
    assert jb.stats.received == 4


def test_late_packet_is_dropped() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2)
    for seq in (1, 2, 3):
        jb.push(pkt(seq))
    assert jb.pop() == frame(1)
    assert jb.pop() == frame(2)
    jb.push(pkt(1))
    jb.push(pkt(2))
    assert drain(jb) == [frame(3)]
    assert jb.stats.late == 2


def test_loss_plays_silence_when_later_frames_exist() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    for seq in (1, 2, 3, 5, 7):
        jb.push(pkt(seq))
    assert drain(jb) == [frame(1), frame(2), frame(3), SILENCE, frame(5), SILENCE, frame(7)]
    assert jb.stats.lost == 2


def test_late_arrival_fills_gap_before_its_slot() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2)
    for seq in (1, 2, 4):
        jb.push(pkt(seq))
    assert jb.pop() == frame(1)
    jb.push(pkt(3))
    assert drain(jb) == [frame(2), frame(3), frame(4)]
    assert jb.stats.lost == 0


def test_sequence_wraps_around() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    for seq in (65534, 0, 65535, 2, 1):
        jb.push(pkt(seq))
    assert drain(jb) == [frame(s) for s in (65534, 65535, 0, 1, 2)]
    assert jb.stats.late == 0 and jb.stats.resync == 0


def test_wrap_while_playing_long_stream() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    played = []
    for seq in range(65500, 65600):
        jb.push(pkt(seq))
        if (item := jb.pop()) is not None:
            played.append(item)
    played += drain(jb)
    assert played == [frame(s) for s in range(65500, 65600)]


def test_underrun_rebuffers_to_depth() -> None:
    jb = JitterBuffer(FRAME, depth_frames=3)
    for seq in (1, 2, 3):
        jb.push(pkt(seq))
    assert len(drain(jb)) == 3
    assert not jb.playing
    jb.push(pkt(4))
    jb.push(pkt(5))
    assert jb.pop() is None
    jb.push(pkt(6))
    assert drain(jb) == [frame(4), frame(5), frame(6)]


def test_overflow_drops_oldest() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2, max_frames=5)
    for seq in range(1, 9):
        jb.push(pkt(seq))
    assert len(jb) == 5
    assert jb.stats.overflow == 3
    assert drain(jb) == [frame(s) for s in range(4, 9)]
    assert jb.stats.lost == 0


def test_early_packet_outside_window_while_prebuffering_is_dropped() -> None:
    jb = JitterBuffer(FRAME, depth_frames=4, max_frames=5)
    for seq in (10, 11, 12):
        jb.push(pkt(seq))
    jb.push(pkt(5))  # would make the window 5..12, wider than 5 frames
    jb.push(pkt(13))
    assert drain(jb) == [frame(s) for s in (10, 11, 12, 13)]
    assert jb.stats.overflow == 1


def test_ssrc_change_resyncs() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2)
    for seq in (100, 101, 102):
        jb.push(pkt(seq))
    assert jb.pop() == frame(100)
    jb.push(pkt(7, ssrc=2))
    assert jb.stats.resync == 1
    assert jb.pop() is None  # prebuffering the new stream
    jb.push(pkt(8, ssrc=2))
    assert drain(jb) == [frame(7), frame(8)]
    assert jb.stats.late == 0


def test_long_gap_skips_ahead_without_playing_the_gap() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2, max_frames=50)
    for seq in (1, 2):
        jb.push(pkt(seq))
    assert jb.pop() == frame(1)
    for seq in (200, 201):
        jb.push(pkt(seq))
    assert drain(jb) == [frame(200), frame(201)]
    assert jb.stats.overflow == 1  # frame 2 fell out of the window
    assert jb.stats.lost == 197  # 3..199 never arrived
    assert jb.stats.resync == 0


def test_huge_jump_resyncs() -> None:
    jb = JitterBuffer(FRAME, depth_frames=2, max_frames=50)
    for seq in (1, 2):
        jb.push(pkt(seq))
    assert jb.pop() == frame(1)
    for seq in (10000, 10001):
        jb.push(pkt(seq))
    assert jb.stats.resync == 1
    assert drain(jb) == [frame(10000), frame(10001)]
    assert jb.stats.lost == 0


def test_big_backwards_jump_resyncs() -> None:
    jb = JitterBuffer(FRAME, depth_frames=1)
    jb.push(pkt(5000))
    assert jb.pop() == frame(5000)
    jb.push(pkt(10))
    assert jb.stats.resync == 1 and jb.stats.late == 0
    assert jb.pop() == frame(10)


def test_reset_forgets_stream() -> None:
    jb = JitterBuffer(FRAME, depth_frames=1)
    jb.push(pkt(1))
    jb.reset()
    assert len(jb) == 0 and jb.pop() is None
    jb.push(pkt(500))
    assert jb.pop() == frame(500)
    assert jb.stats.resync == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, 50), "frame_bytes must be positive, got 0"),
        ((4, 0, 50), "depth_frames must be between 1 and max_frames (50), got 0"),
        ((4, 6, 5), "depth_frames must be between 1 and max_frames (5), got 6"),
    ],
)
def test_rejects_bad_sizes(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(ValueError) as info:
        JitterBuffer(*args)
    assert str(info.value) == message
