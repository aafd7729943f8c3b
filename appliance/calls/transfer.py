"""Handing a caller to the staff: ring every configured staff phone through Asterisk.

Only ``Local/staff@staff-transfer`` is ever dialled: that dialplan extension is generated
from ``staff.extensions`` (see ``pbx.confgen``), so nothing a caller says can choose the
number. The Local channel's first half enters our Stasis app only once a staff phone has
answered; if nobody answers within ``staff.ring_seconds`` the dialplan hangs it up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Protocol

import numpy as np

from appliance.ari.client import AriClient, AriError
from appliance.ari.events import AriEvent, ChannelDestroyed, StasisEnd, StasisStart
from appliance.pbx.confgen import TRANSFER_CONTEXT, TRANSFER_EXTEN

log = logging.getLogger(__name__)

STAFF_PREFIX = "staff-"


class StaffLegLike(Protocol):
    """One way of reaching the staff (a SIP ring group here, a GSM mobile in appliance.gsm)."""

    channel_id: str
    gone: asyncio.Event

    def on_event(self, event: AriEvent) -> None: ...

    async def ring(self) -> bool: ...

    async def hangup(self) -> None: ...


def ringback(rate: int, seconds: float = 6.0) -> np.ndarray:
    """One North American ringback cycle (440+480 Hz, 2 s on, 4 s off)."""
    n_on = int(rate * 2.0)
    t = np.arange(n_on) / rate
    on = 0.12 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t))
    out = np.zeros(int(rate * seconds))
    out[:n_on] = on
    return (out * 32767).astype(np.int16)


class StaffLeg:
    """One attempt to reach the staff for one call."""

    def __init__(self, ari: AriClient, app: str, caller_number: str, caller_name: str,
                 ring_seconds: int,
                 endpoint: str = f"Local/{TRANSFER_EXTEN}@{TRANSFER_CONTEXT}/n") -> None:
        self.ari = ari
        self.app = app
        self.channel_id = f"{STAFF_PREFIX}{uuid.uuid4().hex}"
        self.caller_id = f'"{caller_name}" <{caller_number}>' if caller_name else caller_number
        self.ring_seconds = ring_seconds
        self.endpoint = endpoint  # the staff ring group, or the staff mobile via the trunk
        self._answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.gone = asyncio.Event()  # the staff leg hung up (before or after answering)

    def on_event(self, event: AriEvent) -> None:
        """Events about ``channel_id``, routed here by the call session."""
        if isinstance(event, StasisStart):
            if not self._answered.done():
                self._answered.set_result(True)
        elif isinstance(event, StasisEnd | ChannelDestroyed):
            if not self._answered.done():
                self._answered.set_result(False)
            self.gone.set()

    async def ring(self) -> bool:
        """True when a staff phone answered; False on no answer or failure."""
        try:
            await self.ari.post(
                "/channels", endpoint=self.endpoint,
                app=self.app, appArgs="staff", channelId=self.channel_id,
                callerId=self.caller_id, timeout=self.ring_seconds + 5)
        except AriError as e:
            log.error("cannot ring the staff: %s", e)
            return False
        try:
            async with asyncio.timeout(self.ring_seconds + 10):
                return await asyncio.shield(self._answered)
        except TimeoutError:
            log.warning("staff leg %s neither answered nor ended", self.channel_id)
            await self.hangup()
            return False

    async def hangup(self) -> None:
        with contextlib.suppress(AriError):
            await self.ari.hangup(self.channel_id)
