"""One bot reply in flight: answer clauses (worker thread) -> TTS (worker thread) -> the call.

A reply may start *held* (speculatively, while the caller may still go on talking): its
audio is synthesized but kept back until ``release()``. ``cancel()`` (barge-in, or the
caller went on talking) stops the LLM between tokens, drops pending TTS work and any late
output, and - if the reply was already playing - the queued audio. Nothing of a cancelled
reply is ever played after ``cancel()`` returns.

Clauses are synthesized one at a time while earlier ones play, so the caller hears the first
clause while the model is still writing the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from appliance.brain.answerer import AnswerTrace
from appliance.brain.llm import Message
from appliance.speech.phrases import PhraseCache
from appliance.speech.resample import resample
from appliance.speech.tts import TextToSpeech

log = logging.getLogger(__name__)

# Routes whose clauses are fixed texts (FAQ answers, refusals): served from the phrase cache.
CACHED_ROUTES = frozenset({"faq", "not_found"})


class AnswerSource(Protocol):
    def answer(self, question: str, history: Sequence[Message], trace: AnswerTrace,
               cancel: threading.Event | None = None) -> Iterator[str]: ...

    def warm_history(self, history: Sequence[Message]) -> None: ...


class Player(Protocol):
    """Where reply audio goes (the call's RTP endpoint)."""

    def play(self, audio: np.ndarray) -> None: ...

    def stop_playback(self) -> None: ...


@dataclass
class ReplyTimes:
    """Monotonic times of this reply's stages (None: did not happen)."""

    first_clause: float | None = None
    first_tts_audio: float | None = None
    first_rtp_sent: float | None = None


@dataclass
class Reply:
    question: str
    answerer: AnswerSource
    history: Sequence[Message]
    tts: TextToSpeech
    phrases: PhraseCache
    player: Player
    on_first_audio: Callable[[], None] = lambda: None  # the bot starts talking (echo guard)
    trace: AnswerTrace = field(default_factory=AnswerTrace)
    times: ReplyTimes = field(default_factory=ReplyTimes)
    clauses: list[str] = field(default_factory=list)  # what was (or would be) spoken
    error: str = ""

    def __post_init__(self) -> None:
        self._cancel = threading.Event()
        self._released = asyncio.Event()
        self._held: list[np.ndarray] = []
        self._cancelled = False
        self._task: asyncio.Task[None] | None = None

    # -- control --------------------------------------------------------------------

    def start(self, *, held: bool = False) -> None:
        if not held:
            self._released.set()
        self._task = asyncio.create_task(self._run(), name="reply")

    def release(self) -> None:
        """Play a held reply: what is synthesized now at once, the rest as it comes."""
        if self._released.is_set() or self._cancelled:
            return
        self._released.set()
        held, self._held = self._held, []
        for audio in held:
            self._play(audio)

    def cancel(self) -> asyncio.Task[None] | None:
        """Stop everything of this reply, including audio already queued for the caller.

        Returns at once (the conversation must go on listening); the returned task ends
        once the model's thread has stopped too - the owner awaits it before the call ends.
        """
        if not self._cancelled:
            self._cancelled = True
            self._cancel.set()
            self._held.clear()
            if self._released.is_set() and self.times.first_rtp_sent is not None:
                self.player.stop_playback()
            if self._task is not None:
                self._task.cancel()
        return self._task

    @property
    def released(self) -> bool:
        return self._released.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    @property
    def text(self) -> str:
        return " ".join(self.clauses)

    # -- work -----------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()

        def produce() -> None:
            try:
                for clause in self.answerer.answer(self.question, self.history, self.trace,
                                                   self._cancel):
                    if self._cancel.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, clause)
            except BaseException as e:  # handed over to the event loop, raised there
                loop.call_soon_threadsafe(queue.put_nowait, e)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        producer = asyncio.create_task(asyncio.to_thread(produce), name="reply-answer")
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                if self.times.first_clause is None:
                    self.times.first_clause = time.monotonic()
                self.clauses.append(item)
                audio = await self._synthesize(item)
                if self.times.first_tts_audio is None:
                    self.times.first_tts_audio = time.monotonic()
                if self._cancelled:
                    return
                if self._released.is_set():
                    self._play(audio)
                else:
                    self._held.append(audio)
        except Exception as e:
            self.error = f"{type(e).__name__}: {e}"
            log.error("reply failed: %s", self.error)
        finally:
            self._cancel.set()  # no-op when generation finished; stops it otherwise
            # The thread stops at its next token once the event is set; wait for it so no
            # model work of this reply outlives it.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(producer)

    async def _synthesize(self, clause: str) -> np.ndarray:
        if self.trace.route in CACHED_ROUTES:
            return await asyncio.to_thread(self.phrases.get, clause)
        audio = await asyncio.to_thread(self.tts.synthesize_all, clause)
        return resample(audio, self.tts.sample_rate, self.phrases.rate)

    def _play(self, audio: np.ndarray) -> None:
        if self.times.first_rtp_sent is None:
            # The endpoint's send loop puts the first frame on the wire in this loop tick.
            self.times.first_rtp_sent = time.monotonic()
            self.on_first_audio()
        self.player.play(audio)
