"""RTP media path for the ARI ExternalMedia leg: packets, codecs, jitter buffer, endpoint."""

from appliance.media.codecs import (
    FRAME_MS,
    SLIN16,
    SLIN16_PAYLOAD_TYPE,
    ULAW,
    Codec,
    codec_by_name,
    send_codec_for,
)
from appliance.media.endpoint import EndpointStats, RtpEndpoint
from appliance.media.jitter import JitterBuffer, JitterStats
from appliance.media.pacer import Pacer
from appliance.media.rtp import RtpPacket, seq_delta

__all__ = [
    "FRAME_MS",
    "SLIN16",
    "SLIN16_PAYLOAD_TYPE",
    "ULAW",
    "Codec",
    "EndpointStats",
    "JitterBuffer",
    "JitterStats",
    "Pacer",
    "RtpEndpoint",
    "RtpPacket",
    "codec_by_name",
    "send_codec_for",
    "seq_delta",
]
