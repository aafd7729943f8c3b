"""What the appliance does with the GSM line's events: answer, bridge, reject, text.

One incoming call at a time is answered (at the first ring, once the caller id is known or
after a short wait for it) and carried into Asterisk by a ``GsmCall``; a second caller is
rejected and reported as missed. Missed calls and messages are texted to the staff;
text questions are answered from the knowledge base when enabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from appliance.ari.client import AriClient
from appliance.ari.events import AriEvent, parse_event
from appliance.conversation.reply import AnswerSource
from appliance.gsm.call import GsmCall
from appliance.gsm.notify import SmsNotifier
from appliance.gsm.sms_answers import answer_sms
from modem.at.events import CallState, Clip, Dtmf, Ring
from modem.sim7600.events import (
    CallBegun,
    CallEnded,
    CallMissed,
    CallWaitingIn,
    Disconnected,
    SmsReceived,
)

log = logging.getLogger(__name__)

CLIP_WAIT_S = 0.7  # after RING, how long to wait for the caller id before answering


class GsmCalls:
    def __init__(self, line: Any, ari: AriClient, app: str, audio_path: str,
                 dispatch: Callable[[AriEvent], None], *,
                 notifier: SmsNotifier | None = None,
                 answerer: AnswerSource | None = None) -> None:
        self.line = line  # modem.sim7600.GsmLine
        self.ari = ari
        self.app = app
        self.audio_path = audio_path
        self.dispatch = dispatch  # the call manager's: routes an event to its call
        self.notifier = notifier
        self.answerer = answerer  # set: text questions are answered
        self.current: GsmCall | None = None
        self._call_task: asyncio.Task[None] | None = None
        self._answering: asyncio.Task[None] | None = None
        self._answering_now = False  # the pending answer has no delay left to skip
        self._caller = ("", "")  # number, name of the ringing call
        self._dialling: asyncio.Future[bool] | None = None  # our outgoing call: answered?
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self) -> None:
        queue = self.line.subscribe()
        try:
            while True:
                self.handle(await queue.get())
        finally:
            self.line.unsubscribe(queue)
            await self.close()

    def channel_ended(self, channel_id: str) -> None:
        """The call manager's hook: a call's caller channel is gone."""
        if self.current is not None and self.current.channel_id == channel_id:
            self.current.channel_ended()

    def handle(self, ev: object) -> None:
        if isinstance(ev, Clip):
            self._caller = (ev.number, ev.alpha)
            self._answer(0.0)
        elif isinstance(ev, Ring):
            self._answer(CLIP_WAIT_S)
        elif isinstance(ev, CallState) and ev.direction == "in" and ev.state == "incoming":
            self._caller = (ev.number or self._caller[0], self._caller[1])
            self._answer(0.0)
        elif isinstance(ev, CallWaitingIn):  # (the line also passes on its +CLCC stat 5)
            self._spawn(self._reject_waiting(ev.number))
        elif isinstance(ev, CallBegun) and ev.direction == "in":
            self._begin(ev.number or self._caller[0], self._caller[1])
        elif isinstance(ev, CallBegun) and ev.direction == "out":
            if self._dialling is not None and not self._dialling.done():
                self._dialling.set_result(True)
        elif isinstance(ev, CallEnded) and self._dialling is not None \
                and not self._dialling.done():
            self._dialling.set_result(False)  # the staff mobile did not pick up
        elif isinstance(ev, CallEnded):
            if self.current is not None:
                self.current.far_end_hung_up()
            self._ringing_over()
        elif isinstance(ev, CallMissed):
            self._ringing_over()
            if self.notifier is not None:
                self.notifier.missed_call(ev.number, ev.time)
        elif isinstance(ev, Dtmf):
            if self.current is not None:
                self.dispatch(_dtmf_event(self.current.channel_id, ev.digit))
        elif isinstance(ev, SmsReceived):
            if self.answerer is not None and self.line.modem is not None and ev.text.strip():
                self._spawn(answer_sms(self.answerer, self.line.modem, ev.sender, ev.text))
        elif isinstance(ev, Disconnected):
            if self._dialling is not None and not self._dialling.done():
                self._dialling.set_result(False)
            if self.current is not None:
                self.current.line_lost(ev.reason)
            self._ringing_over()

    # -- outgoing: a staff mobile ---------------------------------------------------------

    async def dial(self, number: str, channel_id: str, ring_s: float) -> GsmCall | None:
        """Ring ``number`` over the GSM line; once answered, bridge it as ``channel_id``
        (entering our Stasis app). None when the line is busy/away or nobody answered."""
        modem = self.line.modem
        if modem is None or self.current is not None or self._dialling is not None:
            log.info("GSM line busy or away: cannot ring %s", number)
            return None
        call = self.current = GsmCall(self.ari, self.app, modem, self.audio_path, number,
                                      channel_id=channel_id)
        self._dialling = asyncio.get_running_loop().create_future()
        answered = False
        try:
            await modem.dial(number)
            async with asyncio.timeout(ring_s):
                answered = await self._dialling
        except TimeoutError:
            log.info("GSM call to %s not answered within %.0f s", number, ring_s)
        except Exception as e:  # BUSY / NO ANSWER / NO CARRIER / the modem went away
            log.info("GSM call to %s failed: %s", number, e)
        finally:
            self._dialling = None
            if not answered:
                self.current = None
        if not answered:
            with contextlib.suppress(Exception):
                await modem.hangup()
            return None
        self._call_task = asyncio.create_task(self._run_call(call), name="gsm-call-out")
        return call

    # -- incoming -------------------------------------------------------------------------

    def _answer(self, delay: float) -> None:
        """Answer the ringing call after ``delay`` (0: now - the caller id is known)."""
        if self.current is not None or self.line.modem is None:
            return
        if self._answering is not None and not self._answering.done():
            if delay > 0.0 or self._answering_now:
                return
            self._answering.cancel()  # the caller id arrived: answer now, not after the wait
        self._answering_now = delay == 0.0
        self._answering = asyncio.create_task(self._do_answer(delay), name="gsm-answer")

    async def _do_answer(self, delay: float) -> None:
        await asyncio.sleep(delay)
        modem = self.line.modem
        if modem is None or self.current is not None:
            return
        try:
            await modem.answer()
        except Exception as e:  # the caller gave up meanwhile, the modem went away, ...
            log.warning("cannot answer the GSM call from %r: %s", self._caller[0], e)

    def _ringing_over(self) -> None:
        if self._answering is not None and not self._answering.done():
            self._answering.cancel()
        self._answering = None
        if self.current is None:
            self._caller = ("", "")

    def _begin(self, number: str, name: str) -> None:
        if self.current is not None or self.line.modem is None:
            return
        call = self.current = GsmCall(self.ari, self.app, self.line.modem, self.audio_path,
                                      number, name)
        self._call_task = asyncio.create_task(self._run_call(call), name="gsm-call")

    async def _run_call(self, call: GsmCall) -> None:
        try:
            await call.run()
        finally:
            if self.current is call:
                self.current = None
                self._caller = ("", "")
        if not call.bridged and not call.outgoing and self.notifier is not None:
            self.notifier.missed_call(call.number)  # answered, but nobody could talk to them
        if call.audio_degraded:
            await self._reset_modem()

    async def _reset_modem(self) -> None:
        """AT+CRESET between calls: the modem re-enumerates (14-20 s on a real one) and the
        line reconnects to it by its stable name."""
        modem = self.line.modem
        if modem is None or self.current is not None:
            return
        log.warning("the modem's voice port is not working: resetting the modem (AT+CRESET)")
        try:
            await modem.reset()
        except Exception as e:
            log.error("modem reset failed: %s", e)

    async def _reject_waiting(self, number: str) -> None:
        modem = self.line.modem
        if modem is None:
            return
        try:
            await modem.reject_waiting()
        except Exception as e:
            log.warning("cannot reject the waiting GSM call from %r: %s", number, e)
            return
        # The line reports the rejected caller as missed: the staff's text comes from there.
        log.info("rejected a second GSM caller %r while busy", number)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("GSM task failed: %s", task.exception())

    async def close(self) -> None:
        """End the current call and every task (the supervisor is stopping)."""
        if self.current is not None:
            self.current.end("the appliance is stopping")  # hangs up on the modem too
        tasks = [t for t in (self._answering, self._call_task, *self._tasks) if t is not None]
        for task in tasks:
            if task is not self._call_task:
                task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _dtmf_event(channel_id: str, digit: str) -> AriEvent:
    return parse_event({"type": "ChannelDtmfReceived", "application": "", "digit": digit,
                        "channel": {"id": channel_id, "name": "", "state": "Up"}})
