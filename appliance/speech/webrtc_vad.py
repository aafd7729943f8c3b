"""WebRTC VAD backend (the ``webrtcvad`` module, from the webrtcvad-wheels package).

A GMM on band energies: about a microsecond per frame, no model file, handles 8 and
16 kHz natively. It answers yes/no only, and a steady noise floor at low
aggressiveness can read as speech, so pick the mode for the line quality.
"""

from __future__ import annotations

from appliance.speech.vad import Vad, VadError

SAMPLE_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = (10, 20, 30)
# 0 flags the most audio as speech, 3 the least. Measured on TTS speech at 8 kHz, 3
# finds as much of it as 2 (~90% of frames) but is the only mode that keeps -30 dBFS
# white noise silent (0-2 call 90-100% of it speech). Whatever the mode, a new instance
# calls the first ~80 ms of a noise floor speech while it adapts: the turn detector's
# minimum speech length absorbs that.
DEFAULT_AGGRESSIVENESS = 3


class WebRtcVad(Vad):
    def __init__(
        self,
        sample_rate: int,
        frame_ms: int = 20,
        aggressiveness: int = DEFAULT_AGGRESSIVENESS,
    ) -> None:
        if sample_rate not in SAMPLE_RATES:
            raise VadError(f"webrtcvad supports {SAMPLE_RATES} Hz, not {sample_rate}")
        if frame_ms not in FRAME_MS:
            raise VadError(f"webrtcvad supports {FRAME_MS} ms frames, not {frame_ms}")
        if aggressiveness not in (0, 1, 2, 3):
            raise VadError(f"webrtcvad aggressiveness is 0..3, not {aggressiveness}")
        try:
            import webrtcvad
        except ImportError as e:
            raise VadError("webrtcvad not installed: pip install webrtcvad-wheels") from e
        self._webrtcvad = webrtcvad
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.aggressiveness = aggressiveness
        self._vad = webrtcvad.Vad(aggressiveness)

    def speech_probability(self, frame: bytes) -> float:
        return 1.0 if self.is_speech(frame) else 0.0

    def is_speech(self, frame: bytes) -> bool:
        self._check_frame(frame)
        return bool(self._vad.is_speech(frame, self.sample_rate))

    def reset(self) -> None:
        # The C object adapts its noise model over time; a new one starts clean.
        self._vad = self._webrtcvad.Vad(self.aggressiveness)
