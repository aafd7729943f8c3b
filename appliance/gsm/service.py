"""The GSM line inside the supervisor: the modem's owner, its control socket, the call
bridge and the staff texts, started and stopped together.

Nothing the modem does can stop the supervisor: GsmLine reports trouble in its status and
reconnects by itself, and SIP calls never wait on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from appliance.ari.client import AriClient
from appliance.calls.manager import CallManager
from appliance.config import Gsm
from appliance.conversation.ports import Engines
from appliance.gsm.line_calls import GsmCalls
from appliance.gsm.notify import SmsNotifier
from appliance.home import Home
from modem.control import ControlServer
from modem.sim7600 import GsmLine

log = logging.getLogger(__name__)


class GsmService:
    def __init__(self, cfg: Gsm, home: Home) -> None:
        self.cfg = cfg
        self.line = GsmLine(cfg.at_port, pin=cfg.pin, sms_mode=cfg.sms_mode,
                            hang_up_leftovers=True)
        self.control = ControlServer(self.line, home.modem_socket)
        self.notifier = SmsNotifier(self.line, cfg.staff_numbers) if cfg.staff_numbers \
            else None
        self.calls: GsmCalls | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    def hook_messages(self, engines: Engines) -> None:
        """Text the staff when a caller (SIP or GSM) leaves a message."""
        if self.notifier is not None and self.cfg.notify_messages:
            engines.on_message = self.notifier.message_taken

    async def start(self, ari: AriClient, app: str, manager: CallManager,
                    engines: Engines) -> None:
        self.calls = GsmCalls(
            self.line, ari, app, self.cfg.audio_port, manager.dispatch,
            notifier=self.notifier if self.cfg.notify_missed else None,
            answerer=engines.answerer if self.cfg.sms_answers else None)
        manager.ended_hooks.append(self.calls.channel_ended)
        await self.control.start()
        # The bridge subscribes before the line starts, so no early event is missed.
        self._tasks.append(asyncio.create_task(self.calls.run(), name="gsm-calls"))
        self._tasks.append(asyncio.create_task(self.line.run(), name="gsm-line"))
        if self.notifier is not None:
            self._tasks.append(asyncio.create_task(self.notifier.run(), name="gsm-texts"))
        log.info("GSM line on %s (audio %s)", self.cfg.at_port, self.cfg.audio_port)

    async def close(self) -> None:
        # The bridge first (it hangs up a GSM call while the line still works), the line last.
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.control.close()
