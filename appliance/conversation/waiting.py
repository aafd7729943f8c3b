"""Waiting for the next item of a queue with a time limit, without losing a cancellation.

``asyncio.wait_for`` on Python 3.11 can turn a cancellation that arrives together with its
own timeout into a ``TimeoutError``; a loop that treats timeouts as "nothing yet" then never
ends, and neither does the call that owns it (seen: an ear that could not be stopped).
``asyncio.timeout`` tells the two apart.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

T = TypeVar("T")


async def get(queue: asyncio.Queue[T], limit_s: float) -> T:
    """The next item; ``TimeoutError`` when none came within ``limit_s``."""
    async with asyncio.timeout(limit_s):
        return await queue.get()
