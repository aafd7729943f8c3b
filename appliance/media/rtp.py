"""RTP packet parsing and serialization (RFC 3550 section 5.1).

Only the fixed header, CSRC list, one header extension and padding are
handled; RTCP and SRTP are out of scope for a loopback ExternalMedia leg.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

RTP_VERSION = 2
HEADER_SIZE = 12
SEQ_MOD = 1 << 16

_HEADER = struct.Struct("!BBHII")
_EXT_HEADER = struct.Struct("!HH")


@dataclass(slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrc: tuple[int, ...] = ()
    # None means "no extension"; a profile with empty data is still an extension.
    extension_profile: int | None = None
    extension: bytes = b""
    # Total padding bytes including the trailing count byte (0 = no padding).
    padding_size: int = 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        size = len(data)
        if size < HEADER_SIZE:
            raise ValueError(f"RTP packet too short: {size} bytes")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        version = first >> 6
        if version != RTP_VERSION:
            raise ValueError(f"RTP version {version} is not {RTP_VERSION}")

        pos = HEADER_SIZE
        csrc_count = first & 0x0F
        end = pos + 4 * csrc_count
        if end > size:
            raise ValueError(
                f"RTP packet truncated: {csrc_count} CSRCs need {end} bytes, got {size}"
            )
        csrc = struct.unpack_from(f"!{csrc_count}I", data, pos)
        pos = end

        profile: int | None = None
        extension = b""
        if first & 0x10:
            if pos + _EXT_HEADER.size > size:
                raise ValueError(
                    f"RTP packet truncated: extension header needs {pos + 4} bytes, got {size}"
                )
            profile, words = _EXT_HEADER.unpack_from(data, pos)
            pos += _EXT_HEADER.size
            end = pos + 4 * words
            if end > size:
                raise ValueError(f"RTP packet truncated: extension needs {end} bytes, got {size}")
            extension = bytes(data[pos:end])
            pos = end

        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or pos + padding > size:
                raise ValueError(
                    f"RTP padding length {padding} is invalid: {size - pos} bytes follow the header"
                )

        return cls(
            payload_type=second & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[pos : size - padding]),
            marker=bool(second & 0x80),
            csrc=tuple(csrc),
            extension_profile=profile,
            extension=extension,
            padding_size=padding,
        )

    def serialize(self) -> bytes:
        self._validate()
        first = RTP_VERSION << 6 | len(self.csrc)
        if self.padding_size:
            first |= 0x20
        if self.extension_profile is not None:
            first |= 0x10
        second = self.payload_type | (0x80 if self.marker else 0)
        parts = [
            _HEADER.pack(first, second, self.sequence, self.timestamp, self.ssrc),
            struct.pack(f"!{len(self.csrc)}I", *self.csrc),
        ]
        if self.extension_profile is not None:
            parts.append(_EXT_HEADER.pack(self.extension_profile, len(self.extension) // 4))
            parts.append(self.extension)
        parts.append(self.payload)
        if self.padding_size:
            # RFC 3550: the last padding octet counts the padding, itself included.
            parts.append(bytes(self.padding_size - 1) + bytes([self.padding_size]))
        return b"".join(parts)

    def _validate(self) -> None:
        if not 0 <= self.payload_type <= 0x7F:
            raise ValueError(f"RTP payload type out of range: {self.payload_type}")
        if not 0 <= self.sequence <= 0xFFFF:
            raise ValueError(f"RTP sequence out of range: {self.sequence}")
        if not 0 <= self.timestamp <= 0xFFFFFFFF:
            raise ValueError(f"RTP timestamp out of range: {self.timestamp}")
        if not 0 <= self.ssrc <= 0xFFFFFFFF:
            raise ValueError(f"RTP SSRC out of range: {self.ssrc}")
        if len(self.csrc) > 15:
            raise ValueError(f"RTP allows at most 15 CSRCs, got {len(self.csrc)}")
        if len(self.extension) % 4 or len(self.extension) > 4 * 0xFFFF:
            raise ValueError(
                f"RTP extension length must be a multiple of 4 up to 262140: "
                f"{len(self.extension)} bytes"
            )
        if self.extension and self.extension_profile is None:
            raise ValueError("RTP extension data needs an extension_profile")
        if self.extension_profile is not None and not 0 <= self.extension_profile <= 0xFFFF:
            raise ValueError(f"RTP extension profile out of range: {self.extension_profile}")
        if not 0 <= self.padding_size <= 0xFF:
            raise ValueError(f"RTP padding size out of range: {self.padding_size}")


def seq_delta(a: int, b: int) -> int:
    """Signed distance from sequence number b to a, modulo 2**16 (in [-32768, 32767])."""
    return (a - b + SEQ_MOD // 2) % SEQ_MOD - SEQ_MOD // 2
