"""Routes ARI events to calls: one task per call, events handed over through queues.

``dispatch`` never awaits, so the WebSocket read loop is never held up by any call.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from appliance.ari.client import AriError
from appliance.ari.events import AriEvent, StasisStart
from appliance.calls.session import MEDIA_PREFIX, CallDeps, CallSession

log = logging.getLogger(__name__)


class CallManager:
    def __init__(self, deps: CallDeps) -> None:
        self.deps = deps
        self._by_channel: dict[str, CallSession] = {}
        self._tasks: dict[CallSession, asyncio.Task[None]] = {}

    @property
    def active(self) -> list[CallSession]:
        return list(self._tasks)

    def dispatch(self, event: AriEvent) -> None:
        if isinstance(event, StasisStart) and event.channel.id not in self._by_channel:
            if event.channel.id.startswith(MEDIA_PREFIX):
                return  # an ExternalMedia leg of a call that already ended
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
        task = asyncio.create_task(session.run(), name=f"call-{session.call_id}")
        self._tasks[session] = task
        task.add_done_callback(functools.partial(self._finished, session))
        log.info("call %s from %r (%s)", session.call_id, event.channel.caller_number,
                 event.channel.name)

    def _finished(self, session: CallSession, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(session, None)
        self._by_channel.pop(session.call_id, None)
        self._by_channel.pop(session.media_id, None)

    async def reconcile(self) -> None:
        """After a reconnect: calls whose channel vanished (Asterisk restart) are ended."""
        if not self._tasks:
            return
        try:
            alive = set(await self.deps.ari.channel_ids())
        except AriError as e:
            log.warning("cannot list channels after reconnect: %s", e)
            return
        for session in list(self._tasks):
            if session.call_id not in alive:
                session.channel_gone()

    async def shutdown(self, handoff: bool = True) -> None:
        """Stop every call; with ``handoff`` callers continue to the staff fallback."""
        for session in list(self._tasks):
            session.handoff_on_exit = handoff
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
