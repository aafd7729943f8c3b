"""Bytes from the AT port -> lines.

Replies are framed ``\\r\\n<line>\\r\\n`` but SIMCom URCs also use ``\\r\\r\\n``, so a line
ends at any run of ``\\r`` followed by ``\\n`` (a bare ``\\n`` too). The SMS prompt ``"> "``
has no line end at all: it is reported as the line ``"> "`` as soon as it is seen at the
start of a line. Blank lines are kept (a ``+CMT`` body may be empty); bytes that are not
UTF-8 become U+FFFD instead of failing.
"""

from __future__ import annotations

import re

PROMPT = "> "

_LINE_END = re.compile(rb"\r*\n")
# A line is not expected to be longer than a multipart PDU (~350 chars); anything far
# longer without a line end is garbage and would otherwise grow the buffer forever.
MAX_LINE = 8192


class LineSplitter:
    """Feed it whatever the port returned; it hands back the complete lines so far."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buf += data
        lines: list[str] = []
        while True:
            if self._buf.startswith(b"> "):
                lines.append(PROMPT)
                del self._buf[:2]
                continue
            match = _LINE_END.search(self._buf)
            if match is None:
                break
            raw = bytes(self._buf[: match.start()])
            del self._buf[: match.end()]
            lines.append(_decode(raw))
        if len(self._buf) > MAX_LINE:
            lines.append(_decode(bytes(self._buf)))
            self._buf.clear()
        return lines

    @property
    def pending(self) -> bytes:
        """Bytes of a line that has not ended yet."""
        return bytes(self._buf)


def _decode(raw: bytes) -> str:
    line = raw.decode("utf-8", errors="replace").strip("\r")
    return PROMPT if line in (">", "> ") else line
