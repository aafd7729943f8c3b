import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.speech.espeak import EspeakTts, split_sentences
from appliance.speech.piper_tts import PiperTts
from appliance.speech.tts import TtsError


@pytest.fixture(scope="module")
def piper() -> Iterator[PiperTts]:
    yield PiperTts.load()


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


def test_piper_embedded_voice(piper: PiperTts) -> None:
    assert piper.sample_rate == 22050
    assert piper.model_path.name == "en_US-joe-medium.onnx"
    assert piper.voice_id.startswith("piper:en_US-joe-medium.onnx:")


def test_piper_one_chunk_per_sentence_non_silent(piper: PiperTts) -> None:
    chunks = list(piper.synthesize("Thank you for calling. How can I help you today?"))
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.dtype == np.int16 and chunk.ndim == 1
        assert len(chunk) > 0.5 * piper.sample_rate  # each sentence is over half a second
        assert rms(chunk) > 500  # speech, not silence


def test_piper_synthesize_is_lazy(piper: PiperTts) -> None:
    it = piper.synthesize("One. Two. Three.")
    assert len(next(it)) > 0  # first sentence is ready before the rest is synthesized
    assert len(list(it)) == 2


def test_piper_empty_text(piper: PiperTts) -> None:
    assert list(piper.synthesize("")) == []
    assert len(piper.synthesize_all("")) == 0


def test_piper_missing_model(tmp_path: Path) -> None:
    path = tmp_path / "x.onnx"
    with pytest.raises(TtsError) as e:
        PiperTts.load(path)
    assert str(e.value) == f"voice model not found: {path}"


def test_piper_missing_config(tmp_path: Path) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(b"onnx")
    with pytest.raises(TtsError) as e:
        PiperTts.load(path)
    assert str(e.value) == f"voice config not found: {path}.json"


def test_piper_corrupt_model(tmp_path: Path, piper: PiperTts) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(b"this is not an onnx model")
    shutil.copy(f"{piper.model_path}.json", f"{path}.json")
    with pytest.raises(TtsError, match=f"^cannot load voice model {path}: "):
        PiperTts.load(path)


@pytest.fixture(scope="module")
def espeak() -> EspeakTts:
    return EspeakTts()


def test_espeak_voice(espeak: EspeakTts) -> None:
    assert espeak.sample_rate == 22050
    assert espeak.voice_id == "espeak-ng:en-us+klatt:160"
    chunks = list(espeak.synthesize("Hello there. I would like an appointment, please!"))
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.dtype == np.int16 and chunk.ndim == 1
        assert len(chunk) > 0.3 * espeak.sample_rate
        assert rms(chunk) > 500


def test_espeak_text_starting_with_dash(espeak: EspeakTts) -> None:
    # Passed on stdin, so it is spoken rather than parsed as an option.
    assert len(espeak.synthesize_all("-v is not an option here")) > 0


def test_espeak_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TtsError) as e:
        EspeakTts()
    assert str(e.value) == "espeak-ng not found: install the Debian package espeak-ng"


def test_espeak_bad_voice() -> None:
    with pytest.raises(TtsError, match=r"^espeak-ng failed \(exit 1\): .*voice does not exist"):
        EspeakTts(voice="nosuchvoice").synthesize_all("hello")


def test_split_sentences() -> None:
    text = "Hi. How are you?  Fine!\nBye"
    assert split_sentences(text) == ["Hi.", "How are you?", "Fine!", "Bye"]
    assert split_sentences("  ") == []
    assert split_sentences("Dr.Smith 3.5 times") == ["Dr.Smith 3.5 times"]
