"""Sample-rate conversion for int16 mono audio (telephony 8 kHz <-> engine rates)."""

from __future__ import annotations

import numpy as np
import soxr

# "HQ" is soxr's default: flat passband to ~0.91 of Nyquist, more than enough
# for 8 kHz telephony while costing a fraction of "VHQ".
QUALITY = "HQ"


def _as_int16(audio: np.ndarray) -> np.ndarray:
    if audio.dtype != np.int16 or audio.ndim != 1:
        raise ValueError(f"expected mono int16 audio, got {audio.dtype} with shape {audio.shape}")
    return audio


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a whole mono int16 buffer; returns the input unchanged when rates match."""
    _as_int16(audio)
    if from_rate == to_rate:
        return audio
    if len(audio) == 0:
        return np.zeros(0, dtype=np.int16)
    # soxr resamples int16 natively (and clips on overflow), so no float round trip.
    out: np.ndarray = soxr.resample(audio, from_rate, to_rate, QUALITY)
    return out


class Resampler:
    """Streaming resampler: feed chunks as they arrive, call ``flush`` at the end.

    soxr keeps filter state between chunks, so chunk boundaries leave no clicks
    and the total output length matches a one-shot ``resample`` of the same audio.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream: soxr.ResampleStream | None = None
        if from_rate != to_rate:
            self._stream = soxr.ResampleStream(
                from_rate, to_rate, 1, dtype="int16", quality=QUALITY
            )

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Resample one chunk; the output may be shorter than its share (filter delay)."""
        _as_int16(chunk)
        if self._stream is None:
            return chunk
        out: np.ndarray = self._stream.resample_chunk(chunk)
        return out

    def flush(self) -> np.ndarray:
        """Return the samples still held back by the filter; the stream can then be reused."""
        if self._stream is None:
            return np.zeros(0, dtype=np.int16)
        out: np.ndarray = self._stream.resample_chunk(np.zeros(0, dtype=np.int16), last=True)
        self._stream.clear()
        return out
