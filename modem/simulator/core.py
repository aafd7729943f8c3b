"""Building blocks of the fake modem: command parsing, the byte stream out, timers.

Everything here is pure: time is a number handed in by the caller, output is a buffer the
I/O layer drains. That keeps the AT behaviour testable without ptys or an event loop.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    30: "no network service",
    100: "unknown",
}


@dataclass(frozen=True)
class Command:
    """One AT command from a command line: `AT+CREG=2` -> name "+CREG", kind "set", args ["2"].

    Basic commands keep their letter as the name (`ATE0` -> "E", args ["0"]); `ATD` keeps the
    rest of the line as its only argument.
    """

    line: str
    name: str
    kind: str  # "exec", "set", "query" or "test"
    args: list[str]

    def arg(self, i: int, default: str = "") -> str:
        return self.args[i] if i < len(self.args) else default

    def int_arg(self, i: int, default: int | None = None) -> int | None:
        try:
            return int(self.args[i])
        except (IndexError, ValueError):
            return default


def split_args(text: str) -> list[str]:
    """`"SM","SM",4` -> ["SM", "SM", "4"]; commas inside quotes stay (`"1,3,5"`)."""
    args: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    args.append("".join(cur).strip())
    return args


def parse_line(line: str) -> list[Command] | None:
    """A command line without its \\r -> its commands (`AT+CMEE=2;+CREG=2`), None if not AT."""
    if len(line) < 2 or line[:2].upper() != "AT":
        return None
    rest = line[2:]
    if not rest:
        return [Command(line, "", "exec", [])]
    if rest[0] in "dD":  # ATD<number>; - the ';' belongs to the dial string
        return [Command(line, "D", "exec", [rest[1:].strip()])]
    cmds: list[Command] = []
    for part in _split_compound(rest):
        cmds.append(_parse_one(line, part))
    return cmds


def _split_compound(rest: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in rest:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _parse_one(line: str, part: str) -> Command:
    if part[0] in "+&^$":
        end = len(part)
        for i, ch in enumerate(part):
            if ch in "=?":
                end = i
                break
        name, tail = part[:end].upper(), part[end:]
        if tail.startswith("=?"):
            return Command(line, name, "test", [])
        if tail.startswith("?"):
            return Command(line, name, "query", [])
        if tail.startswith("="):
            return Command(line, name, "set", split_args(tail[1:]))
        return Command(line, name, "exec", [])
    name, tail = part[0].upper(), part[1:]
    if tail == "?":
        return Command(line, name, "query", [])
    return Command(line, name, "exec", [tail] if tail else [])


class Wire:
    """The bytes the modem sends on its AT port, in the SIM7600's framing."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.muted = False  # a hung modem says nothing at all

    def line(self, text: str) -> None:
        """An information line, a final result or a URC: `\\r\\n<text>\\r\\n`."""
        self.raw(b"\r\n" + text.encode() + b"\r\n")

    def body(self, text: str) -> None:
        """The line right after a +CMGR/+CMGL/+CMT header: `<text>\\r\\n`, no blank line
        between (captures: `+CMGR: 0,,29` / `0691...` / blank / `OK`)."""
        self.raw(text.encode() + b"\r\n")

    def crcr_line(self, text: str) -> None:
        """Some SIMCom URCs (+RXDTMF) come as `\\r\\r\\n<text>\\r\\r\\n`."""
        self.raw(b"\r\r\n" + text.encode() + b"\r\r\n")

    def raw(self, data: bytes) -> None:
        if not self.muted:
            self._buf += data

    def take(self) -> bytes:
        data = bytes(self._buf)
        self._buf.clear()
        return data


@dataclass(order=True)
class Timer:
    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """Callbacks due at a time; the I/O layer calls run_due(now) and sleeps until next_due()."""

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self.now = 0.0

    def after(self, delay: float, fn: Callable[[], None]) -> Timer:
        timer = Timer(self.now + max(0.0, delay), next(self._seq), fn)
        heapq.heappush(self._heap, timer)
        return timer

    def next_due(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_due(self, now: float) -> None:
        self.now = max(self.now, now)
        while self._heap and self._heap[0].due <= self.now:
            timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                timer.fn()

    def clear(self) -> None:
        for timer in self._heap:
            timer.cancel()
        self._heap.clear()
