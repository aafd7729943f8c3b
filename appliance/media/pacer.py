"""Frame pacing on absolute deadlines.

Sleeping a fixed 20 ms after each send drifts by the loop's overhead every
frame; instead each deadline is the previous one plus the frame duration. When
the loop stalls for longer than a few frames, catching up would burst a batch
of packets at once, so the schedule restarts from "now" instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        interval: float,
        max_late_frames: int = 3,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.max_late_frames = max_late_frames
        self.resets = 0  # times the schedule was abandoned because the loop ran late
        self._clock = clock
        self._sleep = sleep
        self._deadline = 0.0

    @property
    def deadline(self) -> float:
        """Loop time the current frame is (or was) due."""
        return self._deadline

    def now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    def start(self) -> float:
        """Begin a schedule with the current time as the first deadline; returns it."""
        self._deadline = self.now()
        return self._deadline

    async def wait_next(self, interval: float | None = None) -> None:
        """Sleep until the next deadline (`interval` overrides the step for this frame)."""
        step = self.interval if interval is None else interval
        self._deadline += step
        now = self.now()
        if now - self._deadline > self.max_late_frames * self.interval:
            self.resets += 1
            self._deadline = now
            await self._sleep(0)  # still yield, so a late loop can catch up on other work
            return
        await self._sleep(max(0.0, self._deadline - now))
