"""Speech-to-text interface: whole utterances and streaming sessions."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


def with_noise_floor(audio: np.ndarray, dbfs: float | None,
                     rng: np.random.Generator) -> np.ndarray:
    """``audio`` (int16) plus white noise at ``dbfs``: recognizers estimate noise and
    cepstral means badly on the exact digital silence of synthetic or VoIP audio (see the
    adapters for the measurements). None: unchanged."""
    if dbfs is None or len(audio) == 0:
        return audio
    noise = rng.standard_normal(len(audio)) * (32768.0 * 10 ** (dbfs / 20))
    return np.clip(audio + noise, -32768, 32767).astype(np.int16)


class SttError(Exception):
    """An STT engine could not be loaded or failed while decoding."""


class SttStream(ABC):
    """One utterance decoded as its audio arrives.

    Call ``finish`` (or ``close`` to abandon) exactly once at the end: an engine
    may hold a decoder for the stream's lifetime. Not thread-safe: one caller
    feeds one stream.
    """

    @abstractmethod
    def accept(self, chunk: np.ndarray) -> None:
        """Feed the next chunk of mono int16 audio at the stream's sample rate."""

    @abstractmethod
    def partial(self) -> str:
        """Best guess so far ("" when nothing is recognized yet); cheap, may change."""

    @abstractmethod
    def finish(self) -> str:
        """End the utterance and return the final transcript; idempotent."""

    def endpointed(self) -> bool:
        """True once the engine's own endpointer has detected the end of the utterance.

        Sticky: it reflects all audio accepted so far. Engines without an endpointer
        (PocketSphinx) always say False; the caller's VAD decides the turn's end then.
        """
        return False

    def close(self) -> None:
        """Abandon the utterance (caller hung up); releases the engine's resources."""
        self.finish()

    def __enter__(self) -> SttStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SpeechToText(ABC):
    """A loaded recognizer. All methods block; async callers use ``asyncio.to_thread``.

    ``sample_rate`` is the engine's native rate. Audio at another rate may be
    passed with ``rate=``; the engine resamples it.
    """

    sample_rate: int

    @abstractmethod
    def transcribe(self, audio: np.ndarray, rate: int | None = None) -> str:
        """Transcribe one whole utterance (mono int16 at ``rate``, default ``sample_rate``)."""

    @abstractmethod
    def start(self, rate: int | None = None) -> SttStream:
        """Begin a streaming utterance whose chunks arrive at ``rate`` (default ``sample_rate``)."""
