"""Cache of fixed prompts (greeting, goodbye, ...) synthesized once, at the line rate.

Prompts are the same on every call, so synthesizing them per call would only add
latency. Each phrase is kept in memory and as a WAV file named by the sha256 of
(voice, rate, text): a restart reuses the files, and changing the voice or the
text simply misses the cache instead of playing stale audio.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from appliance.speech.resample import resample
from appliance.speech.tts import TextToSpeech
from appliance.speech.wavio import read_wav, write_wav

log = logging.getLogger(__name__)


class PhraseCache:
    """Blocking and thread-safe; async callers use ``asyncio.to_thread(cache.get, text)``."""

    def __init__(self, tts: TextToSpeech, rate: int, cache_dir: Path | None = None) -> None:
        self.tts = tts
        self.rate = rate
        self.cache_dir = cache_dir
        self._memory: dict[str, np.ndarray] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def key(self, text: str) -> str:
        ident = f"{self.tts.voice_id}\n{self.rate}\n{text}"
        return hashlib.sha256(ident.encode()).hexdigest()

    def path(self, text: str) -> Path | None:
        return self.cache_dir / f"{self.key(text)}.wav" if self.cache_dir else None

    def get(self, text: str) -> np.ndarray:
        """The whole phrase as read-only int16 audio at ``rate``."""
        key = self.key(text)
        with self._guard:
            hit = self._memory.get(key)
            if hit is not None:
                return hit
            lock = self._locks.setdefault(key, threading.Lock())
        # Per-phrase lock: two calls asking for the same new phrase synthesize it
        # once, while hits on other phrases are not held up behind it.
        with lock:
            hit = self._memory.get(key)
            if hit is None:
                hit = self._load(text)
                if hit is None:
                    hit = self._synthesize(text)
                    self._store(text, hit)
                hit.flags.writeable = False  # shared between calls: nobody may edit it
                with self._guard:
                    self._memory[key] = hit
        return hit

    def warm(self, texts: Iterable[str]) -> None:
        """Precompute phrases (at startup) so the first call does not wait."""
        for text in texts:
            self.get(text)

    def _synthesize(self, text: str) -> np.ndarray:
        audio = self.tts.synthesize_all(text)
        return resample(audio, self.tts.sample_rate, self.rate)

    def _load(self, text: str) -> np.ndarray | None:
        path = self.path(text)
        if path is None or not path.exists():
            return None
        try:
            audio, rate = read_wav(path)
        except ValueError as e:
            log.warning("ignoring bad phrase cache file: %s", e)
            return None
        if rate != self.rate:  # only a hash collision or a hand-edited file gets here
            log.warning("ignoring phrase cache file %s: %d Hz, expected %d", path, rate, self.rate)
            return None
        return audio

    def _store(self, text: str, audio: np.ndarray) -> None:
        path = self.path(text)
        if path is None:
            return
        # The disk copy only saves time at the next start; failing to write it
        # must not fail the call that asked for the phrase.
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, audio, self.rate)
        except OSError as e:
            log.warning("cannot write phrase cache file %s: %s", path, e)
