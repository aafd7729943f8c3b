"""Voice activity detection interface: is this 20 ms frame of caller audio speech?

A VAD is per call (it keeps state between frames) and not thread-safe: one caller
feeds one instance. Frames are s16le PCM bytes, exactly as the call's listener gets
them, so the hot path does no conversion before the backend needs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class VadError(Exception):
    """A VAD backend could not be loaded or was given audio it cannot handle."""


class Vad(ABC):
    """Scores fixed-size frames; ``reset`` before reusing it for another call/utterance.

    ``sample_rate`` and ``frame_ms`` fix the frame size every call must pass
    (``frame_bytes``). ``threshold`` turns the probability into a decision; a backend
    that only decides (webrtcvad) returns 0.0 or 1.0.
    """

    sample_rate: int
    frame_ms: int
    threshold: float = 0.5

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @property
    def frame_bytes(self) -> int:
        return self.frame_samples * 2

    @abstractmethod
    def speech_probability(self, frame: bytes) -> float:
        """Probability (0..1) that ``frame`` (``frame_bytes`` of s16le PCM) is speech."""

    def is_speech(self, frame: bytes) -> bool:
        return self.speech_probability(frame) >= self.threshold

    @abstractmethod
    def reset(self) -> None:
        """Forget the audio seen so far (model state, partial windows)."""

    def _check_frame(self, frame: bytes) -> None:
        if len(frame) != self.frame_bytes:
            raise VadError(
                f"expected a {self.frame_ms} ms frame of {self.frame_bytes} bytes at "
                f"{self.sample_rate} Hz, got {len(frame)} bytes"
            )
