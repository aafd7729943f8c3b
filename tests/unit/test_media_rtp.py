import random

import pytest

from appliance.media.rtp import RtpPacket, seq_delta

# V=2 P=1 X=1 CC=2 | M=1 PT=96 | seq 0x1234 | ts 0xDEADBEEF | ssrc 0x01020304
# | 2 CSRCs | ext profile 0xBEDE, 1 word | payload 01 02 03 | 4 padding bytes
GOLDEN = bytes.fromhex(
    "b2e0 1234 deadbeef 01020304 0a0b0c0d 11223344 bede0001 10aa0000 010203 00000004"
)


def test_parse_golden_packet_with_csrc_extension_and_padding() -> None:
    packet = RtpPacket.parse(GOLDEN)
    assert packet == RtpPacket(
        payload_type=96,
        sequence=0x1234,
        timestamp=0xDEADBEEF,
        ssrc=0x01020304,
        payload=b"\x01\x02\x03",
        marker=True,
        csrc=(0x0A0B0C0D, 0x11223344),
        extension_profile=0xBEDE,
        extension=bytes.fromhex("10aa0000"),
        padding_size=4,
    )


def test_serialize_golden_packet() -> None:
    assert RtpPacket.parse(GOLDEN).serialize() == GOLDEN


def test_plain_packet_bytes() -> None:
    packet = RtpPacket(payload_type=0, sequence=65535, timestamp=160, ssrc=7, payload=b"\xff\xfe")
    data = packet.serialize()
    assert data == bytes.fromhex("8000 ffff 000000a0 00000007 fffe")
    assert RtpPacket.parse(data) == packet


def test_empty_extension_is_kept() -> None:
    packet = RtpPacket(8, 1, 2, 3, b"x", extension_profile=0x1000)
    data = packet.serialize()
    assert data[0] == 0x90
    assert data[12:16] == bytes.fromhex("10000000")
    assert RtpPacket.parse(data) == packet


def test_random_round_trip() -> None:
    rng = random.Random(1234)
    for _ in range(200):
        packet = RtpPacket(
            payload_type=rng.randrange(128),
            sequence=rng.randrange(1 << 16),
            timestamp=rng.randrange(1 << 32),
            ssrc=rng.randrange(1 << 32),
            payload=rng.randbytes(rng.randrange(0, 200)),
            marker=rng.random() < 0.5,
            csrc=tuple(rng.randrange(1 << 32) for _ in range(rng.randrange(16))),
            extension_profile=rng.choice([None, rng.randrange(1 << 16)]),
            padding_size=rng.choice([0, 1, 3, 255]),
        )
        if packet.extension_profile is not None:
            packet.extension = rng.randbytes(4 * rng.randrange(4))
        assert RtpPacket.parse(packet.serialize()) == packet


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80\x00\x00\x01\x00", "RTP packet too short: 5 bytes"),
        (b"", "RTP packet too short: 0 bytes"),
        (bytes.fromhex("4000000100000000 00000000"), "RTP version 1 is not 2"),
        (bytes.fromhex("0000000100000000 00000000"), "RTP version 0 is not 2"),
        (
            bytes.fromhex("8200000100000000 00000000 00000001"),
            "RTP packet truncated: 2 CSRCs need 20 bytes, got 16",
        ),
        (
            bytes.fromhex("9000000100000000 00000000 bede"),
            "RTP packet truncated: extension header needs 16 bytes, got 14",
        ),
        (
            bytes.fromhex("9000000100000000 00000000 bede0002 00000000"),
            "RTP packet truncated: extension needs 24 bytes, got 20",
        ),
        (
            bytes.fromhex("a000000100000000 00000000 aabb00"),
            "RTP padding length 0 is invalid: 3 bytes follow the header",
        ),
        (
            bytes.fromhex("a000000100000000 00000000 aabb04"),
            "RTP padding length 4 is invalid: 3 bytes follow the header",
        ),
    ],
)
def test_parse_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as info:
        RtpPacket.parse(data)
    assert str(info.value) == message


def test_padding_may_consume_whole_payload() -> None:
    packet = RtpPacket.parse(bytes.fromhex("a000000100000000 00000000 000003"))
    assert packet.payload == b""
    assert packet.padding_size == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"payload_type": 128}, "RTP payload type out of range: 128"),
        ({"sequence": 65536}, "RTP sequence out of range: 65536"),
        ({"timestamp": -1}, "RTP timestamp out of range: -1"),
        ({"ssrc": 1 << 32}, "RTP SSRC out of range: 4294967296"),
        ({"csrc": tuple(range(16))}, "RTP allows at most 15 CSRCs, got 16"),
        ({"padding_size": 256}, "RTP padding size out of range: 256"),
        ({"extension": b"abcd"}, "RTP extension data needs an extension_profile"),
    ],
)
def test_serialize_rejects_out_of_range(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "payload_type": 0,
        "sequence": 0,
        "timestamp": 0,
        "ssrc": 0,
        "payload": b"",
    }
    packet = RtpPacket(**{**base, **fields})  # type: ignore[arg-type]
    with pytest.raises(ValueError) as info:
        packet.serialize()
    assert str(info.value) == message


def test_seq_delta_wraps() -> None:
    assert seq_delta(1, 0) == 1
    assert seq_delta(0, 65535) == 1
    assert seq_delta(65535, 0) == -1
    assert seq_delta(10, 65530) == 16
    assert seq_delta(32767, 0) == 32767
    assert seq_delta(32768, 0) == -32768
