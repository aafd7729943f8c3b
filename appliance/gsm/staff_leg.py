"""Handing a caller to a staff mobile over the GSM line (when the SIP trunk cannot).

Same shape as ``calls.transfer.StaffLeg``: the call session attaches ``channel_id``,
routes that channel's events here, and bridges it once ``ring()`` says it was answered.
Only the configured ``gsm.handoff_number`` is ever dialled.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from appliance.ari.events import AriEvent, ChannelDestroyed, StasisEnd, StasisStart
from appliance.calls.transfer import STAFF_PREFIX
from appliance.gsm.call import GsmCall
from appliance.gsm.line_calls import GsmCalls

log = logging.getLogger(__name__)

STASIS_WAIT_S = 10.0  # answered on the modem -> its channel in our app


class GsmStaffLeg:
    def __init__(self, calls: GsmCalls, number: str, ring_seconds: int) -> None:
        self.calls = calls
        self.number = number
        self.ring_seconds = ring_seconds
        self.channel_id = f"{STAFF_PREFIX}gsm-{uuid.uuid4().hex}"
        self.gone = asyncio.Event()
        self.call: GsmCall | None = None
        self._in_app = asyncio.Event()

    def on_event(self, event: AriEvent) -> None:
        if isinstance(event, StasisStart):
            self._in_app.set()
        elif isinstance(event, StasisEnd | ChannelDestroyed):
            self.gone.set()
            if self.call is not None:
                self.call.channel_ended()

    async def ring(self) -> bool:
        log.info("ringing the staff mobile %s over the GSM line", self.number)
        call = self.call = await self.calls.dial(self.number, self.channel_id,
                                                 self.ring_seconds)
        if call is None:
            return False
        ended = asyncio.create_task(call.ended.wait())
        in_app = asyncio.create_task(self._in_app.wait())
        try:
            done, _ = await asyncio.wait({ended, in_app}, timeout=STASIS_WAIT_S,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            in_app.cancel()
        if in_app not in done:
            call.end("the mobile's audio never reached Asterisk")
            return False
        return True

    async def hangup(self) -> None:
        if self.call is not None:
            self.call.end("the caller's call ended")  # GsmCall hangs up channel and modem
        self.gone.set()
