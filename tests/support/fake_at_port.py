"""An in-process fake of the modem's AT port for AtEngine tests: it answers each command it
is sent from a script (real SIM7600 reply bytes) and lets a test push unsolicited bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from modem.at.errors import PortGone

Answer = bytes | list[bytes] | Callable[[bytes], bytes | list[bytes] | None] | None


class FakeAtPort:
    """``answers`` maps a written command (without its "\\r") to the bytes the modem replies
    (a list: separate reads); commands not in it get no answer at all."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers: dict[str, Answer] = dict(answers or {})
        self.written: list[bytes] = []
        self._reads: asyncio.Queue[bytes | None] = asyncio.Queue()

    def push(self, *chunks: bytes) -> None:
        """Bytes the modem sends on its own (URCs), one read per chunk."""
        for chunk in chunks:
            self._reads.put_nowait(chunk)

    def unplug(self) -> None:
        self._reads.put_nowait(None)

    async def read(self) -> bytes:
        chunk = await self._reads.get()
        if chunk is None:
            raise PortGone("fake port unplugged")
        return chunk

    async def write(self, data: bytes) -> None:
        self.written.append(data)
        answer = self.answers.get(data.decode(errors="replace").rstrip("\r"))
        if callable(answer):
            answer = answer(data)
        if answer is None:
            return
        self.push(*(answer if isinstance(answer, list) else [answer]))

    def close(self) -> None:
        self.unplug()


def frame(*lines: str) -> bytes:
    """Lines as the modem frames them: ``\\r\\n<line>\\r\\n`` each."""
    return b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines)
