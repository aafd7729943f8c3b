"""The ARI event WebSocket, reconnected with backoff forever.

An Asterisk restart must never need a supervisor restart: when the socket drops we keep
trying (0.2 s doubling to 5 s). Wrong credentials are the one fatal case.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp

from appliance.ari.client import AriAuthError, AriClient
from appliance.ari.events import AriEvent, parse_event

log = logging.getLogger(__name__)

EventHandler = Callable[[AriEvent], None]
ConnectHandler = Callable[[bool], Awaitable[None]]


class EventStream:
    def __init__(self, client: AriClient, app: str, on_event: EventHandler,
                 on_connection: ConnectHandler | None = None,
                 min_backoff: float = 0.2, max_backoff: float = 5.0) -> None:
        self._client = client
        self._app = app
        self._on_event = on_event
        self._on_connection = on_connection
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.connections = 0

    async def run(self) -> None:
        """Connect, read, reconnect; returns only by cancellation or AriAuthError."""
        backoff = self._min_backoff
        s = self._client.settings
        while True:
            try:
                async with self._client.session.ws_connect(
                    s.ws_url, params={"app": self._app, "subscribeAll": "false"},
                    heartbeat=10.0,
                ) as ws:
                    backoff = self._min_backoff
                    self.connections += 1
                    self.connected.set()
                    log.info("ARI events connected (app %s, connection %d)",
                             self._app, self.connections)
                    if self._on_connection:
                        await self._on_connection(True)
                    await self._read(ws)
            except aiohttp.WSServerHandshakeError as e:
                if e.status == 401:
                    raise AriAuthError(
                        f"ARI rejected the credentials for user {s.user!r} at {s.ws_url} (401)",
                        401) from None
                log.warning("ARI events handshake failed: %s", e.status)
            except (aiohttp.ClientError, OSError, TimeoutError) as e:
                if self.connected.is_set() or self.connections == 0:
                    log.warning("ARI events not connected (%s); retrying", e or type(e).__name__)
            if self.connected.is_set():
                self.connected.clear()
                log.warning("ARI events disconnected; reconnecting")
                if self._on_connection:
                    await self._on_connection(False)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                    break
                continue
            try:
                data = json.loads(msg.data)
                event = parse_event(data)
            except (ValueError, KeyError, TypeError) as e:
                log.warning("ignoring malformed ARI event: %s", e)
                continue
            # Handlers only route the event to a call's queue: the read loop never waits
            # for a call, so one slow call cannot delay another's events.
            try:
                self._on_event(event)
            except Exception:
                log.exception("ARI event handler failed for %s", event.type)
