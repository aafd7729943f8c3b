"""Texts to the staff over the GSM line: a message was taken, a call was missed.

Sends never block a call: ``notify`` only queues. A text that cannot go out now (modem
unplugged, no network) is retried with backoff for ``keep_s``; after that it is logged as
lost - the message itself is safe in the call records either way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

MAX_TEXT = 300  # characters of a transcript put in a text (two or three SMS parts at most)


class SmsSender(Protocol):
    """What sends a text (``modem.sim7600.Sim7600``)."""

    async def send_sms(self, number: str, text: str) -> list[int]: ...


class LineWithModem(Protocol):
    @property
    def modem(self) -> SmsSender | None: ...


@dataclass
class _Outgoing:
    number: str
    text: str
    queued_at: float
    attempts: int = 0


def message_text(caller: str, transcript: str) -> str:
    words = transcript.strip() or "(no words recognised; the recording is in the call log)"
    if len(words) > MAX_TEXT:
        words = words[:MAX_TEXT - 3].rstrip() + "..."  # "…" would force UCS2
    return f"New message from {caller or 'an unknown caller'}: {words}"


def missed_text(number: str, when: str = "") -> str:
    at = f" at {when}" if when else ""
    return f"Missed call from {number or 'an unknown caller'}{at} on the GSM line."


class SmsNotifier:
    def __init__(self, line: LineWithModem, numbers: list[str], *, keep_s: float = 3600.0,
                 retry_s: tuple[float, float] = (5.0, 300.0), max_queue: int = 200) -> None:
        self.line = line
        self.numbers = list(numbers)
        self.keep_s = keep_s
        self.retry_s = retry_s
        self.sent = 0
        self.lost = 0
        self._queue: deque[_Outgoing] = deque(maxlen=max_queue)
        self._wake = asyncio.Event()

    def notify(self, text: str) -> None:
        now = time.monotonic()
        for number in self.numbers:
            if len(self._queue) == self._queue.maxlen:
                self.lost += 1
                log.error("SMS queue full: dropping the oldest text to %s", self._queue[0].number)
            self._queue.append(_Outgoing(number, text, now))
        self._wake.set()

    def message_taken(self, caller: str, transcript: str) -> None:
        self.notify(message_text(caller, transcript))

    def missed_call(self, number: str, when: str = "") -> None:
        self.notify(missed_text(number, when))

    async def run(self) -> None:
        delay = self.retry_s[0]
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            item = self._queue[0]
            if time.monotonic() - item.queued_at > self.keep_s:
                self._queue.popleft()
                self.lost += 1
                log.error("text to %s not sent within %.0f s, given up: %r", item.number,
                          self.keep_s, item.text)
                continue
            modem = self.line.modem
            try:
                if modem is None:
                    raise ConnectionError("the GSM modem is not connected")
                item.attempts += 1
                await modem.send_sms(item.number, item.text)
            except Exception as e:  # the modem's own errors (no network, unplugged, ...)
                log.warning("text to %s failed (attempt %d): %s; retrying in %.0f s",
                            item.number, item.attempts, e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_s[1])
                continue
            self._queue.popleft()
            self.sent += 1
            delay = self.retry_s[0]
            log.info("texted %s (%d characters)", item.number, len(item.text))
