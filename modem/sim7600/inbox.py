"""Inbox: received SMS, one at a time: +CMTI index -> read -> sms_received -> delete.

Parts of a multipart message are read and deleted as they come; the Reassembler keeps them
until the message is whole, and only then is it published. Messages stored while nobody
was listening (the modem was away, the SIM was busy) are collected at connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from modem.at.errors import AtError, AtTimeout, PortGone
from modem.at.events import SmsDeliver, SmsStored
from modem.sim7600.events import LineEvent
from modem.sim7600.modem import Sim7600

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, modem: Sim7600, publish: Callable[[LineEvent], None]) -> None:
        self._modem = modem
        self._publish = publish
        self._queue: asyncio.Queue[SmsStored | SmsDeliver] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="gsm-sms-inbox")

    def take(self, event: SmsStored | SmsDeliver) -> None:
        self._queue.put_nowait(event)

    async def collect(self) -> None:
        """Queue the received messages already on the SIM (when SMS is set up)."""
        if not self._modem.sms_ready:
            return
        try:
            indexes = await self._modem.stored_sms()
        except AtError as e:
            if isinstance(e, PortGone | AtTimeout):
                raise
            log.warning("cannot list the stored SMS: %s", e)
            return
        for index in indexes:
            self.take(SmsStored("SM", index))

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._handle(event)
            except (PortGone, AtTimeout) as e:
                log.warning("SMS %s not read, the modem went away: %s", event, e)
            except AtError as e:
                log.warning("cannot read SMS %s: %s", event, e)
            except Exception:
                log.exception("SMS %s could not be handled", event)

    async def _handle(self, event: SmsStored | SmsDeliver) -> None:
        if isinstance(event, SmsDeliver):  # +CMT: pushed, not stored (AT+CNMI=2,2)
            message = self._modem.sms.pushed(event.header, event.body) if self._modem.sms else None
            if message is not None:
                self._publish(message)
            return
        try:
            message = await self._modem.read_sms(event.index)
        except ValueError as e:  # undecodable: log it whole, and do not let it fill the SIM
            log.warning("SMS %d is unreadable, deleting it: %s", event.index, e)
            message = None
        if message is not None:
            self._publish(message)
        await self._modem.delete_sms(event.index)

