"""The conversation engine with real speech engines (PocketSphinx, Piper, the default LLM and a
real knowledge base), driven frame by frame in real time. Only the call itself is replaced:
``FakePort`` stands where the RTP endpoint and ARI would be, and records what the caller
would have heard and what was asked of the call."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.calls.listener import CallInfo
from appliance.conversation.ear import Utterance
from appliance.conversation.engine import Conversation
from appliance.conversation.lines import LINES
from appliance.conversation.ports import Engines, Settings
from appliance.conversation.turns import TurnConfig
from appliance.records.store import CallStore
from appliance.speech.phrases import PhraseCache
from appliance.speech.piper_tts import PiperTts
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.resample import resample
from appliance.speech.tts import TextToSpeech, TtsError
from appliance.speech.webrtc_vad import WebRtcVad

RATE = 16000  # what Asterisk sends the supervisor (slin16)
SEND_RATE = 8000
FRAME = RATE // 50
KB = Path(__file__).parent.parent / "data" / "kb"


class FailingTts(TextToSpeech):
    """The real voice, until ``armed``: then every new synthesis fails, as a broken engine."""

    def __init__(self, inner: TextToSpeech) -> None:
        self.inner = inner
        self.sample_rate = inner.sample_rate
        self.voice_id = inner.voice_id
        self.armed = False
        self.failures = 0

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        if self.armed:
            self.failures += 1
            raise TtsError("synthesis failed: onnxruntime error (simulated)")
        return self.inner.synthesize(text)


class FakePort:
    def __init__(self, transfer_answers: bool = False) -> None:
        self.played: list[np.ndarray] = []
        self.transfers = 0
        self.hung_up = False
        self.transfer_answers = transfer_answers

    def play(self, audio: np.ndarray) -> None:
        self.played.append(audio)

    def stop_playback(self) -> None:
        pass

    @property
    def playing(self) -> bool:
        return False

    async def drain(self) -> None:
        await asyncio.sleep(0)

    async def transfer(self) -> bool:
        self.transfers += 1
        return self.transfer_answers

    async def hangup(self) -> None:
        self.hung_up = True


@pytest.fixture(scope="module")
def voice() -> PiperTts:
    return PiperTts.load(None)


@pytest.fixture(scope="module")
def stt() -> PocketSphinxStt:
    return PocketSphinxStt()


def phone(audio: np.ndarray, rate: int) -> np.ndarray:
    """As a caller's voice arrives: through the 8 kHz phone band, then 16 kHz from Asterisk
    (the streaming recognizer's starting point is tuned for that band)."""
    return resample(resample(audio, rate, 8000), 8000, RATE)


def said(port: FakePort, phrases: PhraseCache, line: str) -> bool:
    want = phrases.get(line)
    return any(a is want for a in port.played)


async def speak(conv: Conversation, audio: np.ndarray, silence_s: float = 1.5) -> None:
    """Feed caller audio in real time, then silence (a phone keeps sending it)."""
    padded = np.concatenate([audio, np.zeros(int(RATE * silence_s), dtype=np.int16)])
    for i in range(0, len(padded) - FRAME + 1, FRAME):
        conv.feed(padded[i:i + FRAME].astype("<i2").tobytes())
        await asyncio.sleep(0.02)


def make(tmp_path: Path, tts: TextToSpeech, stt: PocketSphinxStt | None, port: FakePort,
         answerer: object | None = None, **settings: float) -> tuple[Conversation, CallStore]:
    phrases = PhraseCache(tts, SEND_RATE)
    phrases.warm(LINES.all())
    store = CallStore(tmp_path / "calls.sqlite")
    store.call_started("c1", "PJSIP/x", "sip", "201", "", "", 0.0)
    engines = Engines(stt=stt, tts=tts, phrases=phrases, answerer=answerer,  # type: ignore[arg-type]
                      vad_factory=WebRtcVad, store=store, recordings_dir=tmp_path)
    conv = Conversation(engines, port, Settings(turns=TurnConfig(end_hangover_ms=600),
                                                **settings))  # type: ignore[arg-type]
    return conv, store


async def test_tts_failing_mid_call_gives_an_apology_and_a_handoff(tmp_path, voice, stt, caplog):
    from appliance.brain.answerer import Answerer
    from appliance.brain.llama_llm import LlamaLanguageModel
    from appliance.brain.prompt import BusinessProfile
    from appliance.conversation.loader import default_llm_path
    from appliance.knowledge import KnowledgeBase

    kb = KnowledgeBase(tmp_path / "kb")
    kb.add(sorted(KB.iterdir()))
    answerer = Answerer(kb, LlamaLanguageModel(default_llm_path()),
                        BusinessProfile("Maple Street Dental"))
    tts = FailingTts(voice)
    port = FakePort()
    conv, store = make(tmp_path, tts, stt, port, answerer)
    tts.armed = True  # every fixed line is synthesized already; the next answer is not
    caplog.set_level(logging.ERROR)
    await conv.start(CallInfo("c1", "201", RATE))
    try:
        # The words as the ear delivers them (this test is about the TTS, so the STT's
        # varying transcript of a spoken question is left out).
        now = time.monotonic()
        conv._events.put_nowait(Utterance("what are your opening hours", now - 1.5, now, now))
        for _ in range(300):  # the apology and the handoff follow within seconds
            if port.transfers:
                break
            await asyncio.sleep(0.1)
    finally:
        await conv.stop()
    assert tts.failures >= 1, (store.turns("c1"), caplog.text)
    assert said(port, conv.engines.phrases, LINES.apology), "no apology was played"
    assert port.transfers == 1
    # Nobody answered the transfer: the caller is offered a message, not left in silence.
    assert said(port, conv.engines.phrases, LINES.nobody)
    assert "TtsError" in caplog.text and "simulated" in caplog.text
    (turn,) = store.turns("c1")
    assert turn.heard == "what are your opening hours" and turn.route in ("llm", "faq")
    store.close()
    kb.close()


async def test_dtmf_zero_transfers_and_an_answered_transfer_ends_the_bot(tmp_path, voice):
    port = FakePort(transfer_answers=True)
    conv, store = make(tmp_path, voice, None, port)
    await conv.start(CallInfo("c1", "201", RATE))
    try:
        conv.dtmf("5")
        conv.dtmf("0")
        for _ in range(50):
            if port.transfers:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
    finally:
        await conv.stop()
    assert port.transfers == 1
    assert said(port, conv.engines.phrases, LINES.connecting)
    assert not said(port, conv.engines.phrases, LINES.nobody)
    store.close()


async def test_silence_gets_a_reprompt_then_a_goodbye(tmp_path, voice, stt):
    port = FakePort()
    conv, store = make(tmp_path, voice, stt, port, reprompt_s=1.0, max_reprompts=1)
    await conv.start(CallInfo("c1", "201", RATE))
    try:
        for _ in range(80):  # the phone keeps sending silence
            await speak(conv, np.zeros(0, dtype=np.int16), silence_s=0.1)
            if port.hung_up:
                break
    finally:
        await conv.stop()
    phrases = conv.engines.phrases
    assert said(port, phrases, LINES.reprompt) and said(port, phrases, LINES.silent_goodbye)
    assert port.hung_up
    store.close()


async def test_goodbye_ends_the_call(tmp_path, voice, stt):
    port = FakePort()
    conv, store = make(tmp_path, voice, stt, port)
    # Several farewell cues: "Goodbye." alone is heard as "the bank" about half the time
    # (PocketSphinx, generic LM), "Thank you, goodbye." now and then as "thank you to buy it".
    bye = phone(voice.synthesize_all("That's all, thank you. Goodbye."), voice.sample_rate)
    # The caller lets the greeting start before talking (speech in its first 300 ms is
    # taken for an echo of the bot).
    bye = np.concatenate([np.zeros(RATE // 2, dtype=np.int16), bye])
    await conv.start(CallInfo("c1", "201", RATE))
    try:
        await speak(conv, bye)
        for _ in range(40):
            if port.hung_up:
                break
            await asyncio.sleep(0.1)
    finally:
        await conv.stop()
    assert port.hung_up and said(port, conv.engines.phrases, LINES.goodbye), store.turns("c1")
    (turn,) = store.turns("c1")
    assert turn.route == "goodbye"
    store.close()


async def test_a_saved_message_is_handed_to_the_staff_texts(tmp_path, voice, stt):
    port = FakePort()
    conv, store = make(tmp_path, voice, stt, port, message_end_silence_s=1.0)
    told: list[tuple[str, str]] = []
    conv.engines.on_message = lambda caller, text: told.append((caller, text))
    message = phone(voice.synthesize_all("Please call me back about my appointment."),
                    voice.sample_rate)
    await conv.start(CallInfo("c1", "+27821231234", RATE))
    try:
        now = time.monotonic()
        conv._events.put_nowait(Utterance("i would like to leave a message", now - 1.5, now,
                                          now))
        await asyncio.sleep(0.5)  # the prompt and the tone (the fake port plays instantly)
        await speak(conv, message, silence_s=2.0)
        for _ in range(100):
            if told:
                break
            await asyncio.sleep(0.1)
    finally:
        await conv.stop()
    assert said(port, conv.engines.phrases, LINES.message_prompt)
    (caller, text), = told  # exactly once, even though stop() saves on every exit path
    assert caller == "+27821231234" and "appointment" in text, told
    assert [m.transcript for m in store.messages()] == [text]
    store.close()
