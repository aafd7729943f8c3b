"""GsmLine: the one owner of a modem. Connects, initialises, keeps it alive, reconnects.

``run()`` never returns or raises for modem trouble: an unplugged, silent or rebooting
modem is reported (``status.error``, a ``disconnected`` event) and retried with bounded
exponential backoff; the port is reopened by its stable path once it reappears. Every
event goes to each subscriber's bounded queue; a subscriber that falls behind loses its
oldest events and never holds up the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os

from modem.at.engine import AtEngine
from modem.at.errors import AtError, AtTimeout, PortGone
from modem.at.events import (
    Boot,
    CallState,
    Event,
    Registration,
    Signal,
    SimState,
    SmsDeliver,
    SmsStored,
    Unknown,
)
from modem.at.port import open_port
from modem.sim7600.calls import CallTracker
from modem.sim7600.events import PASSED_ON, Disconnected, LineEvent, ModemState, Reconnected
from modem.sim7600.inbox import Inbox
from modem.sim7600.modem import Sim7600
from modem.sim7600.status import (
    ModemStatus,
    best_registration,
    call_info,
    problem,
    sim_state,
)
from modem.sms import Reassembler

log = logging.getLogger(__name__)

BOOT_PINGS = 3  # a modem that has just (re)appeared may need a moment before it answers


LEFTOVER_STATES = ("active", "held", "dialing", "alerting")


class GsmLine:
    def __init__(self, at_port: str, *, pin: str = "", sms_mode: str = "pdu",
                 ping_interval: float = 10.0, backoff: tuple[float, float] = (1.0, 30.0),
                 ping_timeout: float = 1.0, queue_size: int = 256,
                 hang_up_leftovers: bool = False) -> None:
        self.at_port = at_port
        # A call already up when the line connects was left by an owner that died: nobody
        # carries its audio, so its caller would sit in silence. The appliance ends it.
        self.hang_up_leftovers = hang_up_leftovers
        self.pin = pin
        self.sms_mode = sms_mode
        self.ping_interval = ping_interval
        self.backoff = backoff
        self.ping_timeout = ping_timeout
        self.queue_size = queue_size
        self.modem: Sim7600 | None = None  # None while disconnected or initialising
        self.failures = 0  # connection attempts in a row that did not get the modem up
        self._status = ModemStatus()
        self._subscribers: list[asyncio.Queue[LineEvent]] = []
        self._tracker = CallTracker()
        self._reassembler = Reassembler()  # parts survive a reconnect
        self._registrations: dict[str, str] = {}
        self._pin_error = ""
        self._lost = False  # a disconnected event went out: the next connect is a reconnect
        self._wake = asyncio.Event()  # a URC asks the session loop to act now
        self._reinit = False  # the modem rebooted under us (RDY): its settings are gone
        self._inbox: Inbox | None = None

    @property
    def status(self) -> ModemStatus:
        return dataclasses.replace(self._status, calls=list(self._status.calls))

    def subscribe(self) -> asyncio.Queue[LineEvent]:
        queue: asyncio.Queue[LineEvent] = asyncio.Queue(self.queue_size)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[LineEvent]) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def publish(self, event: LineEvent) -> None:
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()  # the slow subscriber loses its oldest event
            queue.put_nowait(event)

    async def run(self) -> None:
        delay = self.backoff[0]
        while True:
            try:
                await self._wait_for_port()
                await self._session()
                reason = "the AT port closed"
            except AtError as e:
                reason = str(e)
            except Exception as e:  # a bug must not turn into a crash loop either
                log.exception("GSM line session failed")
                reason = f"internal error: {e!r}"
            was_up = self.modem is not None
            self._down(reason)
            if was_up:
                delay = self.backoff[0]  # it was up: retry soon, the backoff starts over
            else:
                self.failures += 1
            tries = f" ({self.failures} failed attempts)" if self.failures > 1 else ""
            # Nothing known about a modem we cannot talk to: no stale SIM/network/calls.
            self._set_status(ModemStatus(
                model=self._status.model,
                error=f"{reason}; retrying in {delay:g} s{tries}"))
            log.warning("GSM line down (%s); retrying in %g s", reason, delay)
            await asyncio.sleep(delay)
            if not was_up:
                delay = min(delay * 2, self.backoff[1])

    async def _wait_for_port(self) -> None:
        while not _present(self.at_port):
            self._update(error=f"no modem at {self.at_port} (unplugged?)")
            await asyncio.sleep(min(0.5, self.backoff[0]))

    async def _session(self) -> None:
        port = await open_port(self.at_port)
        engine = AtEngine(port, self._on_event)
        reader = asyncio.create_task(engine.run(), name="gsm-at-reader")
        try:
            await self._connect(engine, reader)
            while True:
                await self._idle(reader)
                if not await engine.ping(self.ping_timeout):
                    raise AtTimeout(f"the modem on {self.at_port} stopped answering (AT)")
                await self._maintain()
        finally:
            if self._inbox is not None:
                await self._inbox.stop()
                self._inbox = None
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, AtError):
                await reader
            port.close()

    async def _connect(self, engine: AtEngine, reader: asyncio.Task[None]) -> None:
        for _ in range(BOOT_PINGS):
            if await engine.ping(self.ping_timeout):
                break
        else:
            raise AtTimeout(f"no answer from the modem on {self.at_port} (AT)")
        modem = Sim7600(engine, self._reassembler)
        await self._init(modem)
        self.modem, self.failures = modem, 0
        self._inbox = Inbox(modem, self.publish)
        await self._refresh(modem)
        leftovers = [c for c in self._status.calls if c.state in LEFTOVER_STATES]
        if self.hang_up_leftovers and leftovers:
            log.warning("hanging up %d call(s) left over from before: %s", len(leftovers),
                        ", ".join(c.number or "?" for c in leftovers))
            with contextlib.suppress(AtError):
                await modem.hangup()
            await self._refresh(modem)
        if self._lost:
            self._lost = False
            self.publish(Reconnected())
        log.info("GSM line up on %s: %s", self.at_port, self._status)
        await self._inbox.collect()

    async def _init(self, modem: Sim7600) -> None:
        modem.pin_error = self._pin_error
        await modem.init(self.pin, self.sms_mode)
        self._pin_error = modem.pin_error
        self._tracker = CallTracker()

    async def _idle(self, reader: asyncio.Task[None]) -> None:
        """Until the next ping is due, a URC wakes us, or the port dies (raised)."""
        woken = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({reader, woken}, timeout=self.ping_interval,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        self._wake.clear()
        if reader.done():
            reader.result()  # PortGone
            raise PortGone(f"{self.at_port}: the AT reader stopped")

    async def _maintain(self) -> None:
        modem = self.modem
        assert modem is not None
        if self._reinit:  # RDY: the modem restarted (power dip, AT+CRESET from elsewhere)
            self._reinit = False
            await self._init(modem)
        elif modem.sim == "ready" and not modem.sms_ready and self._inbox is not None \
                and await modem.setup_sms():
            await self._inbox.collect()
        await self._refresh(modem)
        for event in self._tracker.tick():
            self.publish(event)

    async def _refresh(self, modem: Sim7600) -> None:
        st = await modem.status()
        self._registrations = dict(modem.registrations)
        self._set_status(st)

    def _down(self, reason: str) -> None:
        was_up = self.modem is not None
        self.modem = None
        self._tracker = CallTracker()
        self._registrations = {}
        if was_up:
            self._lost = True
            self.publish(Disconnected(reason))

    def _update(self, **changes: object) -> None:
        self._set_status(dataclasses.replace(self._status, **changes))  # type: ignore[arg-type]

    def _set_status(self, new: ModemStatus) -> None:
        if new.connected:
            new.error = self._pin_error or problem(new.sim, new.registration)
        if new != self._status:
            self._status = new
            self.publish(ModemState(self.status))

    def _on_event(self, event: Event) -> None:
        """Every URC, on the event loop: keep the status current, pass the event on."""
        st = self._status
        if isinstance(event, Signal):
            self._update(signal_dbm=event.dbm)
        elif isinstance(event, Registration):
            self._registrations[event.source] = event.status
            self._update(registration=best_registration(*self._registrations.values()))
        elif isinstance(event, SimState):
            self._update(sim=sim_state(event.state))
            self._wake.set()  # e.g. READY after busy: the SMS setup can go ahead
        elif isinstance(event, CallState):
            calls = [c for c in st.calls if c.id != event.id]
            if event.state != "disconnect":
                calls.append(call_info(event))
            self._update(calls=sorted(calls, key=lambda c: c.id))
        elif isinstance(event, SmsStored | SmsDeliver):
            if self._inbox is not None:
                self._inbox.take(event)
        elif isinstance(event, Boot) and event.what == "RDY" and self.modem is not None:
            self._reinit = True
            self._wake.set()
        elif isinstance(event, Unknown):
            log.debug("modem said %r", event.line)
        if isinstance(event, PASSED_ON):
            self.publish(event)  # type: ignore[arg-type]
        for call_event in self._tracker.feed(event):
            self.publish(call_event)


def _present(path: str) -> bool:
    """A stat of a /dev node: cheap enough to poll on the event loop."""
    return os.path.exists(path)
