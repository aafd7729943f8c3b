"""PocketSphinx on synthetic speech sent through the telephone band (8 kHz)."""

import re

import numpy as np
import pytest

from appliance.speech.espeak import EspeakTts
from appliance.speech.piper_tts import PiperTts
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.resample import resample
from appliance.speech.stt import SttError, SttStream

GREETING = "Thank you for calling Example Office. How can I help you today?"
CALLER = "Hi, I would like to book an appointment for next Tuesday."
CALLER_2 = "Can you tell me what time you open tomorrow morning?"


@pytest.fixture(scope="module")
def stt() -> PocketSphinxStt:
    return PocketSphinxStt()


@pytest.fixture(scope="module")
def piper() -> PiperTts:
    return PiperTts.load()


@pytest.fixture(scope="module")
def espeak() -> EspeakTts:
    return EspeakTts()


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def recognized(expected: set[str], transcript: str) -> set[str]:
    return expected & words(transcript)


def on_the_line(audio: np.ndarray, rate: int) -> np.ndarray:
    """What a caller's speech looks like after the phone network: 8 kHz."""
    return resample(audio, rate, 8000)


def test_piper_greeting_over_telephony(stt: PocketSphinxStt) -> None:
    # Piper's output varies run to run (its noise scales); with them at zero the input is
    # the same every run, so this checks the recognizer, not the dice. "office" loses its
    # /s/ above 4 kHz ("off of", "often").
    from piper import SynthesisConfig

    piper = PiperTts.load(syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
    line = on_the_line(piper.synthesize_all(GREETING), piper.sample_rate)
    text = stt.transcribe(resample(line, 8000, 16000))
    expected = {"thank", "calling", "office", "help", "today"}
    assert len(recognized(expected, text)) >= 3, text


def test_espeak_caller_over_telephony(stt: PocketSphinxStt, espeak: EspeakTts) -> None:
    for sentence, expected in [
        (CALLER, {"like", "book", "appointment", "tuesday"}),
        (CALLER_2, {"tell", "time", "open", "tomorrow", "morning"}),
    ]:
        text = stt.transcribe(on_the_line(espeak.synthesize_all(sentence), 22050), rate=8000)
        assert len(recognized(expected, text)) >= len(expected) - 1, text


def test_rate_argument_resamples_internally(stt: PocketSphinxStt, espeak: EspeakTts) -> None:
    line = on_the_line(espeak.synthesize_all(CALLER_2), 22050)
    assert stt.transcribe(line, rate=8000) == stt.transcribe(resample(line, 8000, 16000))


def test_silence_and_empty(stt: PocketSphinxStt) -> None:
    assert stt.transcribe(np.zeros(16000, dtype=np.int16)) == ""
    assert stt.transcribe(np.zeros(0, dtype=np.int16), rate=8000) == ""


def feed(stream: SttStream, audio: np.ndarray) -> list[str]:
    """Feed 20 ms frames (as RTP delivers 8 kHz audio); return the partial after each."""
    partials = []
    for i in range(0, len(audio), 160):
        stream.accept(audio[i : i + 160])
        partials.append(stream.partial())
    return partials


def test_streaming_gives_partials_before_finish(stt: PocketSphinxStt, espeak: EspeakTts) -> None:
    line = on_the_line(espeak.synthesize_all(CALLER), 22050)
    stream = stt.start(rate=8000)
    partials = feed(stream, line)
    early = [p for p in partials[: len(partials) // 2] if p]
    assert early, "no partial result during the first half of the utterance"
    final = stream.finish()
    assert len(recognized({"like", "book", "appointment", "tuesday"}, final)) >= 3, final
    assert stream.finish() == final  # idempotent
    assert stream.partial() == final
    with pytest.raises(SttError, match="audio after the end of the utterance"):
        stream.accept(line[:160])


def test_overlapping_streams(stt: PocketSphinxStt, espeak: EspeakTts) -> None:
    a = on_the_line(espeak.synthesize_all(CALLER), 22050)
    b = on_the_line(espeak.synthesize_all(CALLER_2), 22050)
    with stt.start(rate=8000) as first, stt.start(rate=8000) as second:
        for i in range(0, max(len(a), len(b)), 160):
            first.accept(a[i : i + 160])
            second.accept(b[i : i + 160])
        text_a, text_b = first.finish(), second.finish()
    assert "appointment" in words(text_a), text_a
    assert {"tomorrow", "morning"} <= words(text_b), text_b


def test_abandoned_stream_frees_decoder(stt: PocketSphinxStt, espeak: EspeakTts) -> None:
    line = on_the_line(espeak.synthesize_all(CALLER_2), 22050)
    stream = stt.start(rate=8000)
    stream.accept(line[: len(line) // 2])
    stream.close()  # caller hung up mid-sentence
    assert "tomorrow" in words(stt.transcribe(line, rate=8000))


def test_noise_floor_can_be_disabled() -> None:
    quiet = PocketSphinxStt(noise_floor_dbfs=None)
    audio = np.zeros(100, dtype=np.int16)
    assert quiet.condition(audio, np.random.default_rng(0)) is audio
    noisy = PocketSphinxStt().condition(audio, np.random.default_rng(0))
    assert noisy.dtype == np.int16 and 10 < np.std(noisy) < 100  # about -60 dBFS
