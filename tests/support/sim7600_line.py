"""A GsmLine running against the in-process SIM7600 simulator, with quick timings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modem.at.events import Clip
from modem.sim7600 import GsmLine, Sim7600
from modem.sim7600.events import CallBegun
from modem.simulator.simulator import Simulator
from modem.simulator.state import DeviceConfig


class Harness:
    def __init__(self, sim: Simulator, line: GsmLine) -> None:
        self.sim = sim
        self.line = line
        self.events = line.subscribe()
        self._task = asyncio.create_task(line.run(), name="test-gsm-line")

    @classmethod
    async def start(cls, directory: Path, sms_mode: str = "pdu", pin: str = "",
                    **config: Any) -> Harness:
        cfg = DeviceConfig(boot_delay=0.2, sim_busy_seconds=0.3, ring_interval=0.3,
                           sms_send_delay=0.05, reset_seconds=0.5)
        cfg.update(config)
        sim = Simulator(directory, cfg)
        await sim.start()
        line = GsmLine(str(sim.at_path), pin=pin, sms_mode=sms_mode, ping_interval=0.3,
                       backoff=(0.2, 0.8), ping_timeout=0.3)
        return cls(sim, line)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.sim.stop()

    @property
    def modem(self) -> Sim7600:
        assert self.line.modem is not None, self.line.status
        return self.line.modem

    async def next(self, kind: type[Any], within: float = 5.0,
                   where: Callable[[Any], bool] = lambda e: True) -> Any:
        """The next event of that type (earlier events of other kinds are skipped)."""
        async with asyncio.timeout(within):
            while True:
                event = await self.events.get()
                if isinstance(event, kind) and where(event):
                    return event

    async def until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - polls another component's property
                await asyncio.sleep(0.05)

    async def up(self, within: float = 8.0) -> None:
        """Connected and initialised, SMS set up when the SIM allows it."""
        await self.until(lambda: self.line.status.connected and self.line.modem is not None
                         and self.line.status.sim != "unknown", within)

    async def answered_call(self, number: str) -> None:
        """The simulator rings from ``number``; the call is answered and has begun."""
        await self.sim.ring(number)
        await self.next(Clip)
        await self.modem.answer()
        await self.next(CallBegun)

    def state(self) -> dict[str, Any]:
        return self.sim.state()
