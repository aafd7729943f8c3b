"""AtEngine: one AT command in flight at a time; everything else the modem says is an event.

Lines are attributed like this while a command is pending: its echo is skipped; OK / ERROR /
+CME ERROR / +CMS ERROR (and NO CARRIER / BUSY / NO ANSWER for ATD/ATA, "> " when a prompt is
wanted) end it; a line with the command's own prefix (AT+CSQ -> "+CSQ") is a reply even though
+CSQ can also be a URC; a known URC with any other prefix goes to ``on_event`` even
mid-response; any other line is a reply line. With no command pending, a known URC is an
event, an unknown line becomes ``Unknown``, and a final result is a late answer to a command
that timed out: it is dropped. What stays ambiguous: a late final that arrives after the next
command was written is taken as that command's (ATE0 leaves nothing to tell them apart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from modem.at.errors import AtError, AtTimeout, PortGone, error_for, shown
from modem.at.events import Event, SmsDeliver, Unknown
from modem.at.lines import PROMPT, LineSplitter
from modem.at.urc import CMT, line_prefix, parse_urc, urc_prefix

log = logging.getLogger(__name__)

CALL_FINALS = ("NO CARRIER", "BUSY", "NO ANSWER")
# Replies whose header line is followed by the message text: that line is taken verbatim,
# so a text "OK" or "RING" cannot end the command or become an event.
BODY_PREFIXES = ("+CMGR", "+CMGL")
CTRL_Z = b"\x1a"
ESC = b"\x1b"


class Port(Protocol):
    async def read(self) -> bytes: ...  # never b""; raises PortGone
    async def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Response:
    command: str
    lines: list[str]  # information lines: no echo, no blank lines, no final
    final: str  # "OK", or "> " for the prompt step of command_with_body

    def first(self, prefix: str) -> str | None:
        """The value after ``prefix: `` of the first line with that prefix."""
        prefix = prefix.rstrip(":")
        for line in self.lines:
            if line_prefix(line) == prefix:
                return line.partition(":")[2].strip()
        return None


@dataclass
class _Pending:
    command: str
    prefix: str | None
    future: asyncio.Future[Response]
    want_prompt: bool
    echo: str
    lines: list[str] = field(default_factory=list)

    def final(self, line: str) -> bool:
        if line in ("OK", "ERROR") or line.startswith(("+CME ERROR:", "+CMS ERROR:")):
            return True
        if line in CALL_FINALS:
            return self.command.upper().startswith(("ATD", "ATA"))
        return self.want_prompt and line == PROMPT


def _is_final(line: str) -> bool:
    return line in ("OK", "ERROR", PROMPT) or line.startswith(("+CME ERROR:", "+CMS ERROR:"))


class AtEngine:
    def __init__(self, port: Port, on_event: Callable[[Event], None]) -> None:
        self._port = port
        self._on_event = on_event
        self._lock = asyncio.Lock()
        self._splitter = LineSplitter()
        self._pending: _Pending | None = None
        self._cmt_header: str | None = None  # a +CMT header waiting for its body line
        self._body_next = False  # the next line is the text of a +CMGR/+CMGL reply
        self._gone: PortGone | None = None

    async def run(self) -> None:
        """Read until the port dies (raises PortGone); pending commands then fail too."""
        try:
            while True:
                data = await self._port.read()
                for line in self._splitter.feed(data):
                    self._handle(line)
        except PortGone as exc:
            self._fail(exc)
            raise
        except OSError as exc:
            gone = PortGone(f"AT port failed: {exc}")
            self._fail(gone)
            raise gone from exc
        except asyncio.CancelledError:
            self._fail(PortGone("AT engine stopped"))
            raise

    # Per-command timeouts (ASYNC109): each AT command has its own, and running out is an
    # AtTimeout for that command, not a cancellation of the caller.
    async def command(self, cmd: str, timeout: float = 5.0) -> Response:  # noqa: ASYNC109
        async with self._lock:
            return await self._exchange(cmd, cmd.encode() + b"\r", timeout)

    async def command_with_body(
        self, cmd: str, body: bytes, prompt_timeout: float = 5.0, timeout: float = 40.0  # noqa: ASYNC109
    ) -> Response:
        """AT+CMGS: write cmd, wait for "> ", write body + Ctrl-Z, wait for the final result."""
        async with self._lock:
            try:
                prompt = await self._exchange(cmd, cmd.encode() + b"\r", prompt_timeout, True)
            except AtTimeout:
                await self._port.write(ESC)  # leave the modem's text entry mode
                raise
            if prompt.final != PROMPT:
                raise AtError(f"{shown(cmd)}: expected the '> ' prompt, got {prompt.final}",
                              prompt.final)
            echo = body.decode(errors="replace")
            return await self._exchange(cmd, body + CTRL_Z, timeout, echo=echo)

    async def ping(self, timeout: float = 1.0) -> bool:  # noqa: ASYNC109
        """"AT" -> OK. False on a timeout or error reply; PortGone still raises."""
        try:
            await self.command("AT", timeout)
        except PortGone:
            raise
        except AtError:
            return False
        return True

    async def _exchange(
        self, cmd: str, data: bytes, timeout: float, want_prompt: bool = False,  # noqa: ASYNC109
        echo: str | None = None,
    ) -> Response:
        if self._gone is not None:
            raise PortGone(str(self._gone))
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        pending = _Pending(cmd, urc_prefix(cmd), future, want_prompt, echo or cmd.strip())
        self._pending = pending  # registered before writing: the answer can be immediate
        try:
            async with asyncio.timeout(timeout):
                await self._port.write(data)
                return await future
        except TimeoutError:
            raise AtTimeout(f"{shown(cmd)}: no final result within {timeout:g} s") from None
        finally:
            if self._pending is pending:
                self._pending = None
                self._body_next = False

    def _handle(self, line: str) -> None:
        if self._cmt_header is not None:
            header, self._cmt_header = self._cmt_header, None
            self._emit(SmsDeliver(header, line))
            return
        if self._body_next:
            self._body_next = False
            if self._pending is not None:
                self._pending.lines.append(line)
                return
        text = line if line == PROMPT else line.strip()
        if not text:
            return
        if self._pending is not None and self._take(self._pending, text):
            return
        if _is_final(text) and text != "NO CARRIER":
            log.info("dropping %r: no command is waiting for it (late reply?)", text)
            return
        if line_prefix(text) == CMT:
            self._cmt_header = text.partition(":")[2].strip()
            return
        event = parse_urc(text)
        if event is None:
            log.debug("unsolicited line nobody knows: %r", text)
            event = Unknown(text)
        self._emit(event)

    def _take(self, pending: _Pending, text: str) -> bool:
        """Whether the line belongs to the pending command (and was consumed)."""
        if not pending.lines and text.rstrip("\x1a").strip() == pending.echo:
            return True
        if pending.final(text):
            self._pending = None
            self._body_next = False
            if not pending.future.done():
                if text in ("OK", PROMPT):
                    pending.future.set_result(Response(pending.command, pending.lines, text))
                else:
                    pending.future.set_exception(error_for(pending.command, text))
            return True
        prefix = line_prefix(text)
        if pending.prefix is not None and prefix == pending.prefix:
            pending.lines.append(text)
            self._body_next = prefix in BODY_PREFIXES
            return True
        if prefix == CMT or parse_urc(text) is not None or _is_final(text):
            return False
        pending.lines.append(text)
        return True

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("on_event failed for %r", event)

    def _fail(self, exc: PortGone) -> None:
        self._gone = exc
        pending, self._pending = self._pending, None
        if pending is not None and not pending.future.done():
            pending.future.set_exception(PortGone(str(exc)))
