"""The caller side of a conversation: 20 ms frames in, typed turn events out.

Per frame (on the event loop, microseconds): VAD -> ``TurnDetector``. Speech audio goes to a
streaming STT session in a worker thread, one operation at a time and in order, so the
frame loop never waits for the recognizer and barge-in is noticed at once.

Events, in order:

* ``CallerSpeaking`` as soon as a turn starts (the engine's barge-in trigger);
* ``CallerPaused`` after ``pause_ms`` of silence inside a turn, with the words so far: the
  engine may start answering speculatively, before the turn is known to be over;
* ``CallerResumed`` when speech comes back before the turn ended (drop the speculation);
* ``Utterance`` once the turn has ended (``end_hangover_ms`` of silence).

One STT stream per turn: a pause reports its partial result (PocketSphinx's partial is
nearly always its final), the stream goes on through the pause, and the final result comes
at the end of the turn. The turn ends after ``end_hangover_ms`` of VAD silence, or sooner
when the recognizer's own endpointer (Vosk) has decided the utterance is over and the VAD
hears silence too. ``EarFailed`` reports a recognizer failure; the engine apologises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from appliance.conversation.turns import SpeechEnded, SpeechStarted, TurnConfig, TurnDetector
from appliance.conversation.waiting import get
from appliance.speech.stt import SpeechToText, SttStream
from appliance.speech.vad import Vad

log = logging.getLogger(__name__)

PRE_ROLL_FRAMES = 25  # 500 ms of audio before the detected start also goes to the STT
# No frame for this long: the line is silent (Asterisk sends no RTP then), count it as
# silence. Short enough not to delay the pause/end decisions much (0.2 s cost ~160 ms of
# answer latency); a longer stall in the middle of speech only adds a little silence.
GAP_S = 0.08


@dataclass(frozen=True)
class CallerSpeaking:
    at: float  # monotonic time of the first speech frame


@dataclass(frozen=True)
class CallerPaused:
    text: str  # the turn's words so far
    at: float  # end of the last speech frame


@dataclass(frozen=True)
class CallerResumed:
    at: float


@dataclass(frozen=True)
class Utterance:
    text: str
    speech_start: float
    speech_end: float
    stt_final: float  # when the final text was ready (at the pause, if there was one)


@dataclass(frozen=True)
class EarFailed:
    reason: str


EarEvent = CallerSpeaking | CallerPaused | CallerResumed | Utterance | EarFailed


class Ear:
    def __init__(self, stt: SpeechToText, vad: Vad, rate: int, turns: TurnConfig,
                 pause_ms: int = 250) -> None:
        self.stt = stt
        self.vad = vad
        self.rate = rate
        self.detector = TurnDetector(turns)
        self.pause_ms = pause_ms
        self.events: asyncio.Queue[EarEvent] = asyncio.Queue()
        self.tap: list[bytes] | None = None  # set by the engine to keep raw audio (messages)
        self._frames: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()
        self._ops: deque[tuple[str, object]] = deque()
        self._ops_ready = asyncio.Event()
        self._pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_FRAMES)
        self._stream: SttStream | None = None
        self._text_so_far = ""  # worker side: the turn's final text once finished
        self._turn_no = 0  # frame loop side: counts turns
        self._stream_turn = 0  # worker side: the turn the open stream belongs to
        self._endpointed_turn = -1  # worker side: the STT endpointer ended this turn
        self._paused = False
        self._last_speech_end = 0.0
        self._failed = False

    def feed(self, frame: bytes) -> None:
        self._frames.put_nowait((frame, time.monotonic()))

    def bot_started_speaking(self) -> None:
        self.detector.bot_started_speaking(time.monotonic())

    def end(self) -> None:
        self._frames.put_nowait(None)

    async def run(self) -> None:
        """Owned by the conversation: cancel it to stop; releases the STT stream."""
        worker = asyncio.create_task(self._stt_worker(), name="ear-stt")
        frame_s = self.detector.config.frame_ms / 1000
        silence = bytes(int(self.rate * frame_s) * 2)
        last: float | None = None
        try:
            while True:
                try:
                    item = await get(self._frames, 2 * frame_s)
                except TimeoutError:
                    # No RTP while nobody talks (Asterisk's bridge sends nothing then): the
                    # silence still has to count, or a turn would never end.
                    now = time.monotonic()
                    if last is not None and now - last >= GAP_S:
                        while last + 2 * frame_s <= now:
                            last += frame_s
                            self._on_frame(silence, last)
                    continue
                if item is None:
                    break
                last = item[1]
                self._on_frame(*item)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            if self._stream is not None:
                self._stream.close()
                self._stream = None

    # -- frame loop (event loop, never blocks) ------------------------------------------

    def _on_frame(self, frame: bytes, at: float) -> None:
        if self.tap is not None:
            self.tap.append(frame)
        try:
            speech = self.vad.is_speech(frame)
        except Exception as e:  # a malformed frame must not end the call
            log.warning("VAD rejected a frame: %s", e)
            speech = False
        in_turn = self.detector.in_speech
        for event in self.detector.feed(speech, at):
            if isinstance(event, SpeechStarted):
                self._paused = False
                self._turn_no += 1
                self._op("start", (self._turn_no, b"".join(self._pre_roll)))
                self.events.put_nowait(CallerSpeaking(event.at))
            elif isinstance(event, SpeechEnded):
                self._op("accept", frame)
                self._op("end", event)
                return
        if self.detector.in_speech or in_turn:
            if speech:
                self._last_speech_end = at + self.detector.config.frame_ms / 1000
                if self._paused:
                    self._paused = False
                    self._op("resume", at)
            self._op("accept", frame)
            silence_ms = (at - self._last_speech_end) * 1000
            if not speech and not self._paused and silence_ms >= self.pause_ms:
                self._paused = True
                self._op("pause", self._last_speech_end)
            if not speech and silence_ms >= self.pause_ms and \
                    self._endpointed_turn == self._turn_no:
                # The recognizer heard the end of the utterance, the VAD hears silence:
                # no need to wait for the rest of the hangover.
                for event in self.detector.finish(at):
                    if isinstance(event, SpeechEnded):
                        self._op("end", event)
        else:
            self._pre_roll.append(frame)

    def _op(self, kind: str, arg: object) -> None:
        if not self._failed:
            self._ops.append((kind, arg))
            self._ops_ready.set()

    # -- STT worker (one operation at a time, in order) -------------------------------

    async def _stt_worker(self) -> None:
        while True:
            while not self._ops:
                self._ops_ready.clear()
                await self._ops_ready.wait()
            kind, arg = self._ops.popleft()
            if kind == "accept":
                batch = [arg]
                # Hand the recognizer everything that queued up meanwhile in one go.
                while self._ops and self._ops[0][0] == "accept":
                    batch.append(self._ops.popleft()[1])
                await self._call(self._accept, b"".join(batch))  # type: ignore[arg-type]
            elif kind == "start":
                start: tuple[int, bytes] = arg  # type: ignore[assignment]
                self._text_so_far = ""
                await self._call(self._start, *start)
            elif kind == "resume":
                self.events.put_nowait(CallerResumed(float(arg)))  # type: ignore[arg-type]
            elif kind == "pause":
                partial = self._stream.partial().strip() if self._stream is not None else ""
                self.events.put_nowait(CallerPaused(partial, float(arg)))  # type: ignore[arg-type]
            elif kind == "end":
                await self._call(self._finish)
                ended: SpeechEnded = arg  # type: ignore[assignment]
                self.events.put_nowait(Utterance(self._text_so_far, ended.at - ended.duration,
                                                 ended.at, time.monotonic()))

    async def _call(self, fn: object, *args: object) -> None:
        if self._failed:
            return
        try:
            await asyncio.to_thread(fn, *args)  # type: ignore[arg-type]
        except Exception as e:
            self._failed = True
            log.error("speech recognition failed: %s: %s", type(e).__name__, e)
            self.events.put_nowait(EarFailed(f"{type(e).__name__}: {e}"))

    def _start(self, turn_no: int, pre_roll: bytes) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = self.stt.start(rate=self.rate)
        self._stream_turn = turn_no
        if pre_roll:
            self._stream.accept(np.frombuffer(pre_roll, dtype="<i2"))

    def _accept(self, audio: bytes) -> None:
        if self._stream is not None and audio:
            self._stream.accept(np.frombuffer(audio, dtype="<i2"))
            if self._stream.endpointed():
                self._endpointed_turn = self._stream_turn

    def _finish(self) -> None:
        if self._stream is not None:
            self._text_so_far = self._stream.finish().strip()
            self._stream = None
