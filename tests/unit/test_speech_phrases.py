from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.speech.phrases import PhraseCache
from appliance.speech.piper_tts import PiperTts
from appliance.speech.tts import TextToSpeech

GREETING = "Thank you for calling Example Office."


class CountingTts(TextToSpeech):
    """Wraps a real engine and counts synthesize calls."""

    def __init__(self, inner: TextToSpeech) -> None:
        self.inner = inner
        self.sample_rate = inner.sample_rate
        self.voice_id = inner.voice_id
        self.calls: list[str] = []

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.calls.append(text)
        return self.inner.synthesize(text)


@pytest.fixture(scope="module")
def piper() -> PiperTts:
    return PiperTts.load()


@pytest.fixture
def tts(piper: PiperTts) -> CountingTts:
    return CountingTts(piper)


def test_memory_hit(tts: CountingTts) -> None:
    cache = PhraseCache(tts, 8000, None)
    first = cache.get(GREETING)
    assert first.dtype == np.int16
    # ~2 s of speech at the line rate, not at Piper's 22050 Hz
    assert 8000 < len(first) < 5 * 8000
    assert cache.get(GREETING) is first
    assert tts.calls == [GREETING]
    assert not first.flags.writeable  # shared buffer must not be edited by a caller


def test_disk_hit_survives_restart(tts: CountingTts, tmp_path: Path) -> None:
    first = PhraseCache(tts, 8000, tmp_path).get(GREETING)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".wav"
    assert tts.calls == [GREETING]

    restarted = PhraseCache(tts, 8000, tmp_path)
    again = restarted.get(GREETING)
    assert tts.calls == [GREETING]  # served from disk, no second synthesis
    np.testing.assert_array_equal(again, first)


def test_key_depends_on_voice_rate_and_text(tts: CountingTts) -> None:
    c8, c16 = PhraseCache(tts, 8000, None), PhraseCache(tts, 16000, None)
    assert c8.key("a") != c16.key("a")
    assert c8.key("a") != c8.key("b")
    assert len(c8.key("a")) == 64  # sha256 hex
    other = CountingTts(tts.inner)
    other.voice_id = "espeak-ng:en-us:150"
    assert PhraseCache(other, 8000, None).key("a") != c8.key("a")


def test_warm_and_rate(tts: CountingTts, tmp_path: Path) -> None:
    cache = PhraseCache(tts, 16000, tmp_path / "sub" / "dir")  # created on demand
    cache.warm(["Goodbye.", "Please hold."])
    assert tts.calls == ["Goodbye.", "Please hold."]
    assert len(list((tmp_path / "sub" / "dir").glob("*.wav"))) == 2
    cache.get("Goodbye.")
    assert len(tts.calls) == 2


def test_corrupt_cache_file_is_resynthesized(tts: CountingTts, tmp_path: Path) -> None:
    cache = PhraseCache(tts, 8000, tmp_path)
    path = cache.path("Goodbye.")
    assert path is not None
    path.write_bytes(b"garbage")
    audio = cache.get("Goodbye.")
    assert len(audio) > 0 and tts.calls == ["Goodbye."]
    assert PhraseCache(tts, 8000, tmp_path).get("Goodbye.").shape == audio.shape
    assert tts.calls == ["Goodbye."]
