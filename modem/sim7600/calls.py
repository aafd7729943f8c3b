"""CallTracker: the modem's call URCs -> call_begin / call_end / missed_call / call_waiting.

Pure state machine (no I/O): feed it every event in order, it returns what happened to the
call, each with the caller's number. The SIM7600 says the same thing several ways (RING,
+CLIP, +CLCC with AT+CLCC=1, VOICE CALL: BEGIN/END, NO CARRIER, MISSED_CALL) and firmware
differs in which it prints and in what order, so the first sign wins and the rest is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from modem.at.events import (
    CallBegin,
    CallEnd,
    CallState,
    CallWaiting,
    Clip,
    Event,
    MissedCall,
    NoCarrier,
    Ring,
)
from modem.sim7600.events import CallBegun, CallEnded, CallEvent, CallMissed, CallWaitingIn


@dataclass
class _Call:
    direction: str
    number: str = ""
    id: int | None = None
    began: float | None = None  # clock() when it was answered
    last_ring: float = 0.0


def same_number(a: str, b: str) -> bool:
    """The modem writes one number several ways (+27821231234, 0821231234): compare the tail."""
    da, db = "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())
    return not da or not db or da[-7:] == db[-7:]


class CallTracker:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], datetime] = datetime.now,
        ring_timeout: float = 12.0,
        missed_window: float = 30.0,
    ) -> None:
        self._clock = clock
        self._wallclock = wallclock
        self._ring_timeout = ring_timeout  # RING repeats every ~3-6 s while a call rings
        self._missed_window = missed_window  # MISSED_CALL after a +CLCC 6 is the same call
        self._call: _Call | None = None
        self._waiting: dict[str, int | None] = {}
        self._last_missed: tuple[str, float] | None = None

    @property
    def active(self) -> bool:
        """A call is up (answered, not yet ended)."""
        return self._call is not None and self._call.began is not None

    @property
    def ringing(self) -> bool:
        call = self._call
        return call is not None and call.began is None and call.direction == "in"

    def feed(self, event: Event) -> list[CallEvent]:
        now = self._clock()
        call = self._call
        if isinstance(event, Ring | Clip):
            if call is None:
                call = self._call = _Call("in")
            if call.began is None and call.direction == "in":
                call.last_ring = now
                if isinstance(event, Clip) and event.number:
                    call.number = event.number
            return []
        if isinstance(event, CallState):
            return self._call_state(event, now)
        if isinstance(event, CallBegin):
            if call is None:  # no RING before it: our own ATD without AT+CLCC=1
                call = self._call = _Call("out")
            return self._begin(call, now)
        if isinstance(event, CallEnd):
            return self._end(event.duration_s) if call else []
        if isinstance(event, NoCarrier):
            return self._end(None) if call else []
        if isinstance(event, MissedCall):
            return self._missed_call(event)
        if isinstance(event, CallWaiting):
            return self._wait(event.number, None)
        return []

    def tick(self) -> list[CallEvent]:
        """Ringing that stopped with no URC saying so (no AT+CLCC=1, no MISSED_CALL)."""
        call = self._call
        if self.ringing and call and self._clock() - call.last_ring > self._ring_timeout:
            return self._end(None)
        return []

    def _call_state(self, ev: CallState, now: float) -> list[CallEvent]:
        call = self._call
        if ev.state == "waiting" or (ev.state == "incoming" and self.active):
            return self._wait(ev.number, ev.id)
        if call and call.id is None and same_number(call.number, ev.number):
            call.id = ev.id  # the call RING / VOICE CALL: BEGIN told us about, now with its id
        if ev.state == "disconnect":
            for number, wid in list(self._waiting.items()):
                if wid == ev.id:  # the waiting caller gave up or was rejected
                    del self._waiting[number]
                    return [self._missed(number, self._wallclock().strftime("%I:%M%p"))]
            if call and call.id in (None, ev.id):
                return self._end(None)
            return []
        if ev.state in ("incoming", "dialing", "alerting", "active"):
            if call is None or (call.began is None and call.id in (None, ev.id)):
                if call is None:
                    call = self._call = _Call(ev.direction, last_ring=now)
                call.id, call.direction = ev.id, ev.direction
                call.number = ev.number or call.number
                if ev.state == "incoming":
                    call.last_ring = now
            if ev.state == "active" and call.id == ev.id:
                return self._begin(call, now)
        return []

    def _begin(self, call: _Call, now: float) -> list[CallEvent]:
        if call.began is not None:
            return []
        call.began = now
        return [CallBegun(call.number, call.direction)]

    def _end(self, duration_s: int | None) -> list[CallEvent]:
        call, self._call = self._call, None
        self._waiting.clear()  # a waiting caller rings anew once the line is free
        if call is None:
            return []
        if call.began is not None:
            if duration_s is None:
                duration_s = round(self._clock() - call.began)
            return [CallEnded(call.number, call.direction, duration_s)]
        if call.direction == "in":
            return [self._missed(call.number, self._wallclock().strftime("%I:%M%p"))]
        return [CallEnded(call.number, "out", 0)]  # dialled, never answered

    def _missed_call(self, ev: MissedCall) -> list[CallEvent]:
        call = self._call
        number = ev.number
        if call and call.began is None and call.direction == "in":
            number = number or call.number
            self._call = None
        self._waiting = {n: i for n, i in self._waiting.items() if not same_number(n, number)}
        last = self._last_missed
        if last and same_number(last[0], number) and (
            self._clock() - last[1] < self._missed_window
        ):
            return []  # already reported when its ringing stopped
        return [self._missed(number, ev.time)]

    def _missed(self, number: str, when: str) -> CallMissed:
        self._last_missed = (number, self._clock())
        return CallMissed(number, when)

    def _wait(self, number: str, call_id: int | None) -> list[CallEvent]:
        known = any(same_number(n, number) for n in self._waiting)
        if call_id is not None or number not in self._waiting:
            self._waiting[number] = call_id  # +CCWA repeats without the +CLCC id
        return [] if known else [CallWaitingIn(number)]
