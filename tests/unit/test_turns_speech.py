"""End to end: real TTS speech on an 8 kHz line, through a VAD, into the turn detector."""

from collections.abc import Callable

import numpy as np
import pytest

from appliance.conversation.turns import SpeechEnded, SpeechStarted, TurnDetector, TurnEvent
from appliance.speech.espeak import EspeakTts
from appliance.speech.piper_tts import PiperTts
from appliance.speech.resample import resample
from appliance.speech.silero_vad import SileroModel, SileroVad
from appliance.speech.tts import TextToSpeech
from appliance.speech.vad import Vad
from appliance.speech.webrtc_vad import WebRtcVad

RATE = 8000
FRAME = 0.02


def trim(audio: np.ndarray, level: int = 100) -> np.ndarray:
    """Cut the engine's own lead-in/out silence, so the test controls every pause."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > level)
    return audio[loud[0] : loud[-1] + 1]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def line(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate and add a -50 dBFS noise floor, as a quiet phone line has."""
    audio = np.concatenate(parts).astype(np.int32)
    noise = np.random.default_rng(7).normal(0, 32768 * 10 ** (-50 / 20), len(audio))
    return np.clip(audio + noise, -32768, 32767).astype(np.int16)


def turns(vad: Vad, audio: np.ndarray) -> list[TurnEvent]:
    det = TurnDetector()
    n = RATE // 50
    events: list[TurnEvent] = []
    for i in range(len(audio) // n):
        frame = audio[i * n : (i + 1) * n].astype("<i2").tobytes()
        events += det.feed(vad.is_speech(frame), i * FRAME)
    events += det.finish(len(audio) / RATE)
    return events


@pytest.fixture(scope="module", params=["espeak", "piper"])
def tts(request: pytest.FixtureRequest) -> TextToSpeech:
    return EspeakTts() if request.param == "espeak" else PiperTts.load()


@pytest.fixture(scope="module", params=["webrtc", "silero"])
def make_vad(request: pytest.FixtureRequest) -> Callable[[], Vad]:
    if request.param == "webrtc":
        return lambda: WebRtcVad(RATE)
    model = SileroModel.load()
    return lambda: SileroVad(model, RATE)


def say(tts: TextToSpeech, text: str) -> np.ndarray:
    return trim(resample(tts.synthesize_all(text), tts.sample_rate, RATE))


def test_two_sentences_with_a_long_pause_are_two_turns(
    tts: TextToSpeech, make_vad: Callable[[], Vad]
) -> None:
    first = say(tts, "Hello, I would like to book an appointment.")
    second = say(tts, "Is Tuesday morning possible?")
    audio = line([silence(0.5), first, silence(1.5), second, silence(1.2)])
    events = turns(make_vad(), audio)
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded] * 2
    second_at = 0.5 + len(first) / RATE + 1.5
    # Measured errors: onsets 0-60 ms late (Silero lags by up to a 32 ms window),
    # ends up to ~120 ms late (webrtcvad holds on through word-final fades). Piper
    # is not bit-for-bit repeatable, hence some headroom.
    assert events[0].at == pytest.approx(0.5, abs=0.12)
    assert events[1].at == pytest.approx(0.5 + len(first) / RATE, abs=0.2)
    assert events[2].at == pytest.approx(second_at, abs=0.12)
    assert events[3].at == pytest.approx(second_at + len(second) / RATE, abs=0.2)


def test_short_pause_inside_a_sentence_does_not_split_it(
    tts: TextToSpeech, make_vad: Callable[[], Vad]
) -> None:
    head = say(tts, "I would like to book an appointment")
    tail = say(tts, "for next Tuesday morning.")
    audio = line([silence(0.5), head, silence(0.3), tail, silence(1.2)])
    events = turns(make_vad(), audio)
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    ended = events[1]
    assert isinstance(ended, SpeechEnded)
    assert ended.duration == pytest.approx((len(head) + len(tail)) / RATE + 0.3, abs=0.2)
