"""The receptionist's side of one call: listens (``Ear``), answers (``Reply``), hands off.

A ``CallerAudioListener``: the call session feeds it the caller's frames and DTMF digits and
gives it a ``CallPort`` to talk back through. All its work runs in tasks it owns, cancelled
in ``stop()``; a message being recorded when the caller hangs up is still saved.

Flow per caller turn: intent first (goodbye, a person, a message, yes/no to an offer), then
a question goes to the answerer. A reply can be started speculatively when the caller pauses
and is released the moment the turn is confirmed over (or dropped if they go on talking),
which hides most of the answer time inside the end-of-turn silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from appliance.brain.llm import Message as ChatMessage
from appliance.calls.listener import CallerAudioListener, CallInfo, RecordingListener
from appliance.conversation.ear import (
    CallerPaused,
    CallerResumed,
    CallerSpeaking,
    Ear,
    EarFailed,
    Utterance,
)
from appliance.conversation.intents import Intent, classify, is_filler, same_words
from appliance.conversation.journal import Journal
from appliance.conversation.lines import LINES
from appliance.conversation.message import Message, tone
from appliance.conversation.ports import CallPort, Dtmf, Engines, Event, Settings
from appliance.conversation.reply import Reply
from appliance.conversation.waiting import get
from appliance.records.store import TurnRecord

log = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("warming the LLM with the call's history failed: %s", task.exception())


class Conversation(CallerAudioListener):
    def __init__(self, engines: Engines, port: CallPort, settings: Settings | None = None,
                 greeting: str = "") -> None:
        self.engines = engines
        self.port = port
        self.settings = settings or Settings()
        self.greeting = greeting
        self.call: CallInfo | None = None
        self.history: list[ChatMessage] = []
        self.ear: Ear | None = None
        self.reply: Reply | None = None  # the reply playing (released) or being held
        self._turn: TurnRecord | None = None  # the record of ``reply``'s turn
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._recorder = RecordingListener(engines.recordings_dir)
        self._message: Message | None = None
        # What the bot just offered: "staff" (a person, or a message) or "message" only.
        self._offer: str | None = None
        self._idle_since = time.monotonic()
        self._reprompts = 0
        self._waiting_since: float | None = None  # a released reply has not spoken yet
        self.journal: Journal | None = None
        self._warm: asyncio.Task[None] | None = None  # see Answerer.warm_history
        self._retired: set[asyncio.Task[None]] = set()  # cancelled replies still stopping

    # -- CallerAudioListener ------------------------------------------------------------

    async def start(self, call: CallInfo) -> None:
        self.call = call
        self.journal = Journal(self.engines.store, call.call_id)
        await self._recorder.start(call)
        self._transcript("bot", self.greeting)
        if self.engines.stt is None:
            self._events.put_nowait(EarFailed("no speech recognizer is loaded"))
        else:
            self.ear = Ear(self.engines.stt, self.engines.vad_factory(call.sample_rate),
                           call.sample_rate, self.settings.turns, self.settings.pause_ms)
            self.ear.events = self._events  # type: ignore[assignment]
            self.ear.bot_started_speaking()  # the greeting is playing
            self._tasks.append(asyncio.create_task(self.ear.run(), name="ear"))
        self._tasks.append(asyncio.create_task(self._main(), name="conversation"))

    def feed(self, frame: bytes) -> None:
        self._recorder.feed(frame)
        if self.ear is not None:
            self.ear.feed(frame)

    def dtmf(self, digit: str) -> None:
        self._events.put_nowait(Dtmf(digit))

    async def stop(self) -> str:
        if self._warm is not None:
            self._warm.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.reply is not None:
            self._retire(self.reply)
            self._finish_turn()
        if self._retired:  # cancelled replies whose model thread is still stopping
            await asyncio.wait(self._retired, timeout=5.0)
        if self._message is not None and self.call is not None:
            await self._message.save(self.engines.store, self.engines.stt,
                                     self.engines.recordings_dir, self.engines.on_message)
        if self.journal is not None:
            await self.journal.close()
        return await self._recorder.stop()

    # -- main loop ------------------------------------------------------------------------

    async def _main(self) -> None:
        while True:
            try:
                event = await get(self._events, 0.2)
            except TimeoutError:
                if await self._tick():
                    return
                continue
            if await self._handle(event):
                return

    async def _handle(self, event: Event) -> bool:
        """Act on one event; True when the conversation is over."""
        if isinstance(event, CallerSpeaking):
            self._reprompts = 0
            if self.port.playing or (self.reply is not None and not self.reply.done):
                await self._barge_in(event.at)
        elif isinstance(event, CallerPaused):
            self._speculate(event.text)
        elif isinstance(event, CallerResumed):
            if self.reply is not None and not self.reply.released:
                self._drop_reply()
        elif isinstance(event, Utterance):
            self._idle_since = time.monotonic()
            return await self._on_utterance(event)
        elif isinstance(event, EarFailed):
            log.error("call %s: %s", self._call_id, event.reason)
            return await self._apologise_and_hand_off()
        elif isinstance(event, Dtmf) and event.digit == "0":
            return await self._hand_off()
        return False

    async def _tick(self) -> bool:
        now = time.monotonic()
        reply = self.reply
        if reply is not None:
            if reply.error:
                log.error("call %s: reply failed: %s", self._call_id, reply.error)
                self._finish_turn()
                return await self._apologise_and_hand_off()
            if reply.released and reply.times.first_rtp_sent is None:
                if self._waiting_since is None:
                    self._waiting_since = now
                elif now - self._waiting_since > self.settings.hold_on_s:
                    self._say(LINES.hold_on)  # still thinking: never leave the caller in silence
                    self._waiting_since = now
            if reply.done and not self.port.playing:
                self._finish_turn()
                self._idle_since = now
            return False
        if self.port.playing or (self.ear is not None and self.ear.detector.in_speech):
            self._idle_since = now
            return False
        if now - self._idle_since >= self.settings.reprompt_s:
            self._reprompts += 1
            if self._reprompts > self.settings.max_reprompts:
                await self._say_and_wait(LINES.silent_goodbye)
                await self.port.hangup()
                return True
            self._say(LINES.reprompt)
            self._idle_since = now
        return False

    async def _on_utterance(self, u: Utterance) -> bool:
        if is_filler(u.text):
            if self.reply is not None and not self.reply.released:
                self._drop_reply()
            if not u.text.strip() and u.speech_end - u.speech_start > 1.0:
                self._say(LINES.didnt_catch)  # a real sentence we could not make out
            return False
        intent = classify(u.text, offer_pending=self._offer is not None)
        self._transcript("caller", u.text)
        if intent is not Intent.QUESTION and self.reply is not None:
            self._drop_reply()
        offer, self._offer = self._offer, None
        if intent is Intent.YES and offer == "message":
            intent = Intent.MESSAGE
        if intent is Intent.GOODBYE:
            self._flow_turn(u, LINES.goodbye, "goodbye")
            await self._say_and_wait(LINES.goodbye)
            await self.port.hangup()
            return True
        if intent in (Intent.HUMAN, Intent.YES):
            self._flow_turn(u, LINES.connecting, "handoff")
            return await self._hand_off()
        if intent is Intent.MESSAGE:
            self._flow_turn(u, LINES.message_prompt, "message")
            return await self._take_message()
        if intent is Intent.NO:
            self._flow_turn(u, LINES.anything_else, "no")
            self._say(LINES.anything_else)
            return False
        if self.engines.answerer is None:
            self._flow_turn(u, LINES.apology, "error")
            return await self._apologise_and_hand_off()
        reply = self.reply
        if reply is None or not same_words(reply.question, u.text) or reply.cancelled:
            if reply is not None:
                log.info("call %s: early answer to %r dropped: the caller said %r",
                         self._call_id, reply.question, u.text)
                self._drop_reply()
            reply = self._new_reply(u.text)
            reply.start()
        else:
            reply.release()
        assert self.journal is not None
        self._turn = self.journal.new_turn(u)
        self._waiting_since = None
        return False

    # -- replies ------------------------------------------------------------------------

    def _new_reply(self, question: str) -> Reply:
        assert self.engines.answerer is not None
        self.reply = Reply(question, self.engines.answerer, list(self.history),
                           self.engines.tts, self.engines.phrases, self.port,
                           on_first_audio=self._bot_speaks)
        return self.reply

    def _speculate(self, text: str) -> None:
        if self.engines.answerer is None or self._message is not None or is_filler(text):
            return
        if classify(text, offer_pending=self._offer is not None) is not Intent.QUESTION:
            return
        if self.reply is not None:
            return  # a reply (playing or held) is already there
        log.debug("call %s: answering %r ahead of the end of the turn", self._call_id, text)
        self._new_reply(text).start(held=True)

    def _drop_reply(self) -> None:
        if self.reply is not None:
            self._retire(self.reply)
            self.reply = None
            self._turn = None

    async def _barge_in(self, at: float) -> None:
        reply = self.reply
        if reply is not None and reply.released:
            log.info("call %s: caller barged in", self._call_id)
            self._retire(reply)
            if self._turn is not None:
                self._turn.barge_in_at = self.journal.epoch(at) if self.journal else None
            self._finish_turn()
        elif reply is not None:
            self._drop_reply()
        self.port.stop_playback()  # also stops a greeting or a fixed line

    def _retire(self, reply: Reply) -> None:
        task = reply.cancel()
        if task is not None and not task.done():
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)

    def _finish_turn(self) -> None:
        """Write the record of the current reply's turn and forget the reply."""
        reply, turn = self.reply, self._turn
        self.reply, self._turn = None, None
        if reply is None or turn is None or self.journal is None:
            return
        self.journal.reply_turn(turn, reply)
        if reply.text:
            self.history += [ChatMessage("user", reply.question),
                             ChatMessage("assistant", reply.text)]
            self._warm_history()
        self._offer = "staff" if reply.trace.route in ("not_found", "guarded") else None

    def _warm_history(self) -> None:
        answerer = self.engines.answerer
        if answerer is None:
            return
        if self._warm is not None:
            self._warm.cancel()
        history = list(self.history)
        self._warm = asyncio.create_task(asyncio.to_thread(answerer.warm_history, history),
                                         name="warm-history")
        self._warm.add_done_callback(_log_failure)

    def _flow_turn(self, u: Utterance, said: str, route: str) -> None:
        if self.journal is not None:
            self.journal.flow_turn(u, said, route)

    # -- handoff and messages -------------------------------------------------------------

    async def _apologise_and_hand_off(self) -> bool:
        await self._say_and_wait(LINES.apology)
        return await self._hand_off()

    async def _hand_off(self) -> bool:
        self._drop_reply()
        await self._say_and_wait(LINES.connecting)
        if await self.port.transfer():
            return True  # a person has the caller now
        self._drain_events()
        self._say(LINES.nobody)
        self._offer = "message"
        self._idle_since = time.monotonic()
        return False

    async def _take_message(self) -> bool:
        assert self.call is not None
        await self._say_and_wait(LINES.message_prompt)
        self.port.play(tone(self.engines.phrases.rate))
        await self.port.drain()
        self._drain_events()
        msg = self._message = Message(self.call.call_id, self.call.caller_number,
                                      self.call.sample_rate)
        if self.ear is not None:
            self.ear.tap = msg.frames
        await msg.capture(self._events, self.ear, self.settings.message_max_s,
                          self.settings.message_start_wait_s,
                          self.settings.message_end_silence_s)
        if self.ear is not None:
            self.ear.tap = None
        transcript = await msg.save(self.engines.store, self.engines.stt,
                                    self.engines.recordings_dir, self.engines.on_message)
        self._transcript("message", transcript)
        await self._say_and_wait(LINES.message_saved)
        await self.port.hangup()
        return True

    # -- helpers --------------------------------------------------------------------------

    @property
    def _call_id(self) -> str:
        return self.call.call_id if self.call else "?"

    def _bot_speaks(self) -> None:
        if self.ear is not None:
            self.ear.bot_started_speaking()

    def _say(self, text: str) -> None:
        """A fixed line (pre-synthesized at startup, so it plays even if TTS is broken)."""
        self.port.play(self.engines.phrases.get(text))
        self._bot_speaks()

    async def _say_and_wait(self, text: str) -> None:
        self._say(text)
        await self.port.drain()

    def _drain_events(self) -> None:
        while not self._events.empty():
            self._events.get_nowait()

    def _transcript(self, speaker: str, text: str) -> None:
        if self.journal is not None:
            self.journal.transcript(speaker, text)
