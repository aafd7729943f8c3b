"""Routes ARI events to calls: one task per call, events handed over through queues.

``dispatch`` never awaits, so the WebSocket read loop is never held up by any call.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from appliance.ari.client import AriError
from appliance.ari.events import AriEvent, StasisStart
from appliance.calls.session import (
    BRIDGE_PREFIX,
    GSM_PREFIX,
    MEDIA_PREFIX,
    CallDeps,
    CallSession,
)
from appliance.calls.transfer import STAFF_PREFIX

log = logging.getLogger(__name__)


class CallManager:
    def __init__(self, deps: CallDeps) -> None:
        self.deps = deps
        self._by_channel: dict[str, CallSession] = {}
        self._tasks: dict[CallSession, asyncio.Task[None]] = {}
        self._orphans: set[asyncio.Task[None]] = set()
        # Told the caller channel's id when its call has ended (the GSM bridge hangs up
        # the modem's call then).
        self.ended_hooks: list[Callable[[str], None]] = []

    @property
    def active(self) -> list[CallSession]:
        return list(self._tasks)

    def dispatch(self, event: AriEvent) -> None:
        if isinstance(event, StasisStart) and event.channel.id not in self._by_channel:
            if event.channel.id.startswith(MEDIA_PREFIX):
                return  # an ExternalMedia leg of a call that already ended
            if event.channel.id.startswith(STAFF_PREFIX):
                # A staff phone answered a transfer for a call that has ended meanwhile.
                task = asyncio.create_task(self._hangup(event.channel.id))
                self._orphans.add(task)
                task.add_done_callback(self._orphans.discard)
                return
            self._start_call(event)
            return
        channel_id = event.channel_id
        if channel_id is None:
            return
        session = self._by_channel.get(channel_id)
        if session is not None:
            session.events.put_nowait(event)

    def _start_call(self, event: StasisStart) -> None:
        session = CallSession(self.deps, event)
        self._by_channel[session.call_id] = session
        self._by_channel[session.media_id] = session
        session.attach = functools.partial(self._attach, session)
        task = asyncio.create_task(session.run(), name=f"call-{session.call_id}")
        self._tasks[session] = task
        task.add_done_callback(functools.partial(self._finished, session))
        log.info("call %s from %r (%s)", session.call_id, event.channel.caller_number,
                 event.channel.name)

    def _attach(self, session: CallSession, channel_id: str) -> None:
        """Route a channel the call created (a staff leg) to that call."""
        self._by_channel[channel_id] = session

    def _finished(self, session: CallSession, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(session, None)
        for cid in [c for c, s in self._by_channel.items() if s is session]:
            del self._by_channel[cid]
        for hook in self.ended_hooks:
            try:
                hook(session.call_id)
            except Exception:
                log.exception("call-ended hook failed for %s", session.call_id)

    async def _hangup(self, channel_id: str) -> None:
        try:
            await self.deps.ari.hangup(channel_id)
        except AriError as e:
            log.warning("cannot hang up %s: %s", channel_id, e)

    async def reconcile(self) -> None:
        """After a (re)connect, make Asterisk and our calls agree.

        Calls whose channel vanished (Asterisk restarted) are ended. Leftovers of a
        supervisor that died mid-call are released: its ExternalMedia channels and bridges
        are destroyed, and callers still parked in our Stasis app go to the staff fallback.
        """
        ari = self.deps.ari
        try:
            channels = await ari.get("/channels")
            bridges = await ari.get("/bridges")
        except AriError as e:
            log.warning("cannot list channels after reconnect: %s", e)
            return
        alive = {c["id"] for c in channels}
        for session in list(self._tasks):
            if session.call_id not in alive:
                session.channel_gone()
        orphans = [c for c in channels if c["id"] not in self._by_channel]
        # Callers first, and out of Stasis before their bridges go (see CallSession._cleanup).
        # A GSM caller's channel is fed by the bridge of the process that died: it has
        # no dialplan to continue in, and the modem's call ended with that process.
        parked = [c["id"] for c in orphans if self._in_our_app(c)
                  and not c["id"].startswith((STAFF_PREFIX, GSM_PREFIX))]
        for cid in parked:
            log.warning("caller %s was left in the app: sending it to the staff", cid)
            try:
                await ari.post(f"/channels/{cid}/continue", missing_ok=True,
                               label=self.deps.fallback_label)
            except AriError as e:
                log.warning("cannot hand over caller %s: %s", cid, e)
        await self._wait_out_of_stasis(parked)
        for chan in orphans:
            if chan["id"].startswith((MEDIA_PREFIX, STAFF_PREFIX, GSM_PREFIX)):
                log.warning("releasing orphaned media channel %s", chan["id"])
                try:
                    await ari.hangup(chan["id"])
                except AriError as e:
                    log.warning("cannot release orphaned channel %s: %s", chan["id"], e)
        tracked = {s.bridge_id for s in self._tasks}
        for bridge in bridges:
            if str(bridge.get("name", "")).startswith(BRIDGE_PREFIX) and \
                    bridge["id"] not in tracked:
                log.warning("destroying orphaned bridge %s", bridge["id"])
                try:
                    await ari.destroy_bridge(bridge["id"])
                except AriError as e:
                    log.warning("cannot destroy orphaned bridge %s: %s", bridge["id"], e)

    def _in_our_app(self, chan: dict[str, Any]) -> bool:
        dialplan = chan.get("dialplan") or {}
        return bool(dialplan.get("app_name") == "Stasis"
                    and str(dialplan.get("app_data", "")).split(",")[0] == self.deps.app)

    async def _wait_out_of_stasis(self, channel_ids: list[str], limit_s: float = 2.0) -> None:
        deadline = asyncio.get_running_loop().time() + limit_s
        for cid in channel_ids:
            while asyncio.get_running_loop().time() < deadline:
                try:
                    chan = await self.deps.ari.request("GET", f"/channels/{cid}",
                                                       missing_ok=True)
                except AriError:
                    break
                if chan is None or not self._in_our_app(chan):
                    break
                await asyncio.sleep(0.05)

    async def shutdown(self, handoff: bool = True) -> None:
        """Stop every call; with ``handoff`` callers continue to the staff fallback."""
        for session in list(self._tasks):
            session.handoff_on_exit = handoff
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
