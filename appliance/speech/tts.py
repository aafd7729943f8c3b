"""Text-to-speech interface shared by every TTS backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np


class TtsError(Exception):
    """A TTS engine could not be loaded or could not synthesize."""


class TextToSpeech(ABC):
    """A loaded voice. Synthesis is blocking; async callers run each chunk in a thread.

    ``sample_rate`` is the rate of every chunk ``synthesize`` yields.
    ``voice_id`` identifies the voice and its settings, so caches keyed on it
    are invalidated when the voice changes.
    """

    sample_rate: int
    voice_id: str

    @abstractmethod
    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield mono int16 audio, one chunk per sentence, as soon as each is ready.

        A generator (not a list) so the first sentence can play while later ones
        are still being synthesized: ``await asyncio.to_thread(next, it, None)``.
        """

    def synthesize_all(self, text: str) -> np.ndarray:
        """The whole text as one buffer (at ``sample_rate``)."""
        chunks = list(self.synthesize(text))
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(chunks)
