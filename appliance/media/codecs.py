"""Wire codecs for the ExternalMedia leg.

Application-side PCM is always signed 16-bit little-endian mono ("s16le") at
the codec's sample rate; `encode` turns it into an RTP payload and `decode`
turns a payload back into s16le.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FRAME_MS = 20

# Asterisk maps slin16 to payload type 118 (main/rtp_engine.c:
# add_static_payload(118, ast_format_slin16, 0)). It is the only place we send it from.
SLIN16_PAYLOAD_TYPE = 118
PCMU_PAYLOAD_TYPE = 0


def _check_pcm(pcm: bytes) -> None:
    if len(pcm) % 2:
        raise ValueError(f"PCM length is odd: {len(pcm)} bytes")


@dataclass(frozen=True)
class Codec:
    name: str
    sample_rate: int
    payload_type: int
    frame_bytes: int  # encoded payload bytes per 20 ms frame
    # Dynamic payload types are negotiated, so on receive any PT is taken as ours.
    dynamic_payload_type: bool = False

    @property
    def samples_per_frame(self) -> int:
        return self.sample_rate * FRAME_MS // 1000

    @property
    def pcm_frame_bytes(self) -> int:
        """s16le bytes per 20 ms frame."""
        return self.samples_per_frame * 2

    @property
    def frame_seconds(self) -> float:
        return FRAME_MS / 1000

    def accepts(self, payload_type: int) -> bool:
        return self.dynamic_payload_type or payload_type == self.payload_type

    def encode(self, pcm: bytes) -> bytes:
        raise NotImplementedError

    def decode(self, payload: bytes) -> bytes:
        raise NotImplementedError


# --- G.711 mu-law -----------------------------------------------------------
# Sign-magnitude segment coding as in ITU-T G.711 (and Asterisk's ulaw.c):
# bias 0x84, clip at 32635, 8 segments of 16 steps, all bits inverted on the wire.
_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635


def _build_ulaw_decode() -> npt.NDArray[np.int16]:
    inverted = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(inverted & 0x80, -magnitude, magnitude).astype(np.int16)


def _build_ulaw_encode() -> npt.NDArray[np.uint8]:
    # Indexed by the sample's 16-bit pattern, so encoding is one table lookup.
    samples = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16).astype(np.int32)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), _ULAW_CLIP) + _ULAW_BIAS
    exponent = np.zeros_like(magnitude)
    for step in range(1, 8):
        exponent += magnitude >= (0x80 << step)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


_ULAW_DECODE = _build_ulaw_decode()
_ULAW_ENCODE = _build_ulaw_encode()


@dataclass(frozen=True)
class MuLawCodec(Codec):
    def encode(self, pcm: bytes) -> bytes:
        _check_pcm(pcm)
        patterns = np.frombuffer(pcm, dtype="<u2")
        return bytes(_ULAW_ENCODE[patterns].tobytes())

    def decode(self, payload: bytes) -> bytes:
        codes = np.frombuffer(payload, dtype=np.uint8)
        return bytes(_ULAW_DECODE[codes].astype("<i2").tobytes())


# --- signed linear ------------------------------------------------------------
# Asterisk puts slin on RTP in network byte order: it byte-swaps received slin
# frames with ast_frame_byteswap_be() and feeds outgoing ones through a smoother
# flagged AST_SMOOTHER_FLAG_BE (res_rtp_asterisk.c, codec_builtin.c).


@dataclass(frozen=True)
class LinearCodec(Codec):
    def encode(self, pcm: bytes) -> bytes:
        _check_pcm(pcm)
        return bytes(np.frombuffer(pcm, dtype="<i2").astype(">i2").tobytes())

    def decode(self, payload: bytes) -> bytes:
        if len(payload) % 2:
            raise ValueError(f"{self.name} payload length is odd: {len(payload)} bytes")
        return bytes(np.frombuffer(payload, dtype=">i2").astype("<i2").tobytes())


ULAW: Codec = MuLawCodec(
    name="ulaw", sample_rate=8000, payload_type=PCMU_PAYLOAD_TYPE, frame_bytes=160
)
SLIN16: Codec = LinearCodec(
    name="slin16",
    sample_rate=16000,
    payload_type=SLIN16_PAYLOAD_TYPE,
    frame_bytes=640,
    dynamic_payload_type=True,
)

_CODECS = {codec.name: codec for codec in (ULAW, SLIN16)}


def codec_by_name(name: str) -> Codec:
    """Codec for an ARI ExternalMedia `format` name ("ulaw" or "slin16")."""
    try:
        return _CODECS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(_CODECS))
        raise ValueError(f"unknown codec {name!r}; expected one of: {known}") from None


def send_codec_for(codec: Codec) -> Codec:
    """What to send back on an ExternalMedia channel of format ``codec``.

    Asterisk 22's ExternalMedia RTP only maps static payload types on receive: slin16 on
    PT 118 is silently dropped (checked against the real Asterisk; asterisk/documentation
    issue 142), and PT 10/11 are read as 8 kHz. It transcodes any static type, so toward
    Asterisk we send G.711 ulaw - the band a telephone caller gets anyway.
    """
    return ULAW if codec.payload_type not in _STATIC_TYPES else codec


_STATIC_TYPES = frozenset({ULAW.payload_type})
