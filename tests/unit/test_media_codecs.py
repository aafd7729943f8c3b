import numpy as np
import pytest

from appliance.media.codecs import SLIN16, SLIN16_PAYLOAD_TYPE, ULAW, codec_by_name


def s16(*samples: int) -> bytes:
    return np.array(samples, dtype="<i2").tobytes()


def samples(pcm: bytes) -> list[int]:
    return [int(v) for v in np.frombuffer(pcm, dtype="<i2")]


ALL_SAMPLES = np.arange(-32768, 32768, dtype="<i2")


def test_codec_shapes() -> None:
    assert (ULAW.name, ULAW.sample_rate, ULAW.payload_type) == ("ulaw", 8000, 0)
    assert (ULAW.samples_per_frame, ULAW.frame_bytes, ULAW.pcm_frame_bytes) == (160, 160, 320)
    assert (SLIN16.name, SLIN16.sample_rate, SLIN16.payload_type) == ("slin16", 16000, 118)
    assert SLIN16_PAYLOAD_TYPE == 118
    assert (SLIN16.samples_per_frame, SLIN16.frame_bytes, SLIN16.pcm_frame_bytes) == (320, 640, 640)


def test_payload_type_acceptance() -> None:
    assert ULAW.accepts(0)
    assert not ULAW.accepts(8)
    # slin16 rides a dynamic payload type, so whatever the peer picked is fine.
    assert SLIN16.accepts(118) and SLIN16.accepts(96) and SLIN16.accepts(11)


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        (0, 0xFF),
        (1, 0xFF),
        (-1, 0x7F),
        (1000, 0xCE),
        (-1000, 0x4E),
        (32767, 0x80),
        (-32768, 0x00),
        (32124, 0x80),
        (-32124, 0x00),
        (8, 0xFE),
        (132, 0xEF),
    ],
)
def test_ulaw_encode_known_values(sample: int, code: int) -> None:
    assert ULAW.encode(s16(sample)) == bytes([code])


@pytest.mark.parametrize(
    ("code", "sample"),
    [
        (0xFF, 0),
        (0x7F, 0),
        (0x80, 32124),
        (0x00, -32124),
        (0xFE, 8),
        (0xEF, 132),
        (0xCE, 988),
        (0x4E, -988),
        (0xF0, 120),
        (0xDF, 396),
    ],
)
def test_ulaw_decode_known_values(code: int, sample: int) -> None:
    assert samples(ULAW.decode(bytes([code]))) == [sample]


def test_ulaw_decode_is_monotonic_per_sign() -> None:
    decoded = samples(ULAW.decode(bytes(range(256))))
    negative, positive = decoded[:128], decoded[128:]
    assert negative == sorted(negative) and len(set(negative)) == 128
    assert positive == sorted(positive, reverse=True) and len(set(positive)) == 128
    assert negative == [-v for v in positive]


def test_ulaw_codes_survive_decode_encode() -> None:
    codes = bytes(range(256))
    expected = bytes(0xFF if c == 0x7F else c for c in codes)  # negative zero -> zero
    assert ULAW.encode(ULAW.decode(codes)) == expected


def test_ulaw_round_trip_error_is_within_half_a_step() -> None:
    x = ALL_SAMPLES.astype(np.int64)
    y = np.frombuffer(ULAW.decode(ULAW.encode(ALL_SAMPLES.tobytes())), dtype="<i2").astype(np.int64)
    assert np.all(np.sign(y) * np.sign(x) >= 0)
    in_range = np.abs(x) <= 32635
    # Segment e spans 2**(e+3) per step and decodes to its middle: error <= (|x| + 132) / 32.
    assert np.all(np.abs(y - x)[in_range] * 32 <= np.abs(x)[in_range] + 132)
    assert np.all(np.abs(y[~in_range]) == 32124)


def test_ulaw_lengths() -> None:
    assert ULAW.encode(b"") == b""
    assert len(ULAW.encode(bytes(320))) == 160
    assert len(ULAW.decode(bytes(160))) == 320
    with pytest.raises(ValueError, match=r"^PCM length is odd: 3 bytes$"):
        ULAW.encode(b"\x00\x00\x00")


def test_slin16_is_big_endian_on_the_wire() -> None:
    assert SLIN16.encode(s16(1)) == b"\x00\x01"
    assert SLIN16.encode(s16(0x0102, -2)) == b"\x01\x02\xff\xfe"
    assert samples(SLIN16.decode(b"\x01\x02\xff\xfe")) == [0x0102, -2]


def test_slin16_round_trip_is_exact() -> None:
    pcm = ALL_SAMPLES.tobytes()
    assert SLIN16.decode(SLIN16.encode(pcm)) == pcm


def test_slin16_rejects_odd_lengths() -> None:
    with pytest.raises(ValueError, match=r"^PCM length is odd: 1 bytes$"):
        SLIN16.encode(b"\x00")
    with pytest.raises(ValueError, match=r"^slin16 payload length is odd: 3 bytes$"):
        SLIN16.decode(b"\x00\x00\x00")


def test_codec_by_name() -> None:
    assert codec_by_name("ulaw") is ULAW
    assert codec_by_name("slin16") is SLIN16
    assert codec_by_name("SLIN16") is SLIN16
    with pytest.raises(ValueError, match=r"^unknown codec 'alaw'; expected one of: slin16, ulaw$"):
        codec_by_name("alaw")
