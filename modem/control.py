"""A local control socket for the process that owns the modem (one owner per serial port).

The supervisor owns the AT port while it runs; ``appliance modem status|watch|sms send``
then ask it here instead of opening the port a second time. One JSON object per line each
way; the socket file is mode 0600 (root only), in the appliance's run directory.

Requests: ``{"op": "status"}`` -> ``{"ok": true, "status": {...}}``;
``{"op": "sms", "number": N, "text": T}`` -> ``{"ok": true, "references": [..]}``;
``{"op": "watch"}`` -> ``{"ok": true}`` then one event object per line until the client
goes away. Failures: ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024


class ControlError(Exception):
    """The control socket is missing, refused the request, or answered an error."""


class ControlServer:
    def __init__(self, line: Any, path: Path) -> None:
        self.line = line  # modem.sim7600.GsmLine
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.path.unlink(missing_ok=True)
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                           limit=MAX_LINE)
        finally:
            os.umask(old)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._clients):
                task.cancel()
            await self._server.wait_closed()
        self.path.unlink(missing_ok=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            line = await reader.readline()
            try:
                req = json.loads(line)
                op = req["op"]
            except (ValueError, KeyError, TypeError):
                await _send(writer, {"ok": False, "error": "bad request: expected a JSON "
                                                          "object with an \"op\""})
                return
            if op == "status":
                await _send(writer, {"ok": True, "status": self.line.status.to_json()})
            elif op == "sms":
                await _send(writer, await self._sms(req))
            elif op == "watch":
                await self._watch(reader, writer)
            else:
                await _send(writer, {"ok": False, "error": f"unknown op {op!r}"})
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _sms(self, req: dict[str, Any]) -> dict[str, Any]:
        number, text = str(req.get("number", "")), str(req.get("text", ""))
        modem = self.line.modem
        if modem is None:
            return {"ok": False, "error": "the modem is not connected"}
        try:
            refs = await modem.send_sms(number, text)
        except Exception as e:  # the modem's error, passed on as it said it
            return {"ok": False, "error": f"{type(e).__name__}: {e}"}
        return {"ok": True, "references": list(refs)}

    async def _watch(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue = self.line.subscribe()
        try:
            await _send(writer, {"ok": True})
            gone = asyncio.create_task(reader.read(1))  # EOF: the watcher went away
            while True:
                get = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({get, gone}, return_when=asyncio.FIRST_COMPLETED)
                if gone in done:
                    get.cancel()
                    return
                await _send(writer, get.result().to_json())
        finally:
            self.line.unsubscribe(queue)


async def _send(writer: asyncio.StreamWriter, obj: dict[str, Any]) -> None:
    writer.write(json.dumps(obj, default=str).encode() + b"\n")
    await writer.drain()


async def _open(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.open_unix_connection(str(path), limit=MAX_LINE)
    except (FileNotFoundError, ConnectionRefusedError) as e:
        raise ControlError(f"no modem control socket at {path}: {e.strerror}") from None


async def request(path: Path, req: dict[str, Any], limit_s: float = 60.0) -> dict[str, Any]:
    reader, writer = await _open(path)
    try:
        async with asyncio.timeout(limit_s):
            writer.write(json.dumps(req).encode() + b"\n")
            await writer.drain()
            line = await reader.readline()
    finally:
        writer.close()
    return _answer(path, line)


def _answer(path: Path, line: bytes) -> dict[str, Any]:
    """The owner's reply line; ControlError when there is none or it says "not ok"."""
    if not line:
        raise ControlError(f"the modem's owner closed {path} without answering")
    answer: dict[str, Any] = json.loads(line)
    if not answer.get("ok"):
        raise ControlError(str(answer.get("error", "request failed")))
    return answer


def request_blocking(path: Path, req: dict[str, Any], limit_s: float = 5.0) -> dict[str, Any]:
    """``request`` for code outside asyncio (``appliance status``)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(limit_s)
            s.connect(str(path))
            s.sendall(json.dumps(req).encode() + b"\n")
            line = s.makefile("rb").readline(MAX_LINE)
    except (FileNotFoundError, ConnectionRefusedError) as e:
        raise ControlError(f"no modem control socket at {path}: {e.strerror}") from None
    except OSError as e:
        raise ControlError(f"modem control socket {path}: {e}") from None
    return _answer(path, line)


async def watch(path: Path) -> AsyncIterator[dict[str, Any]]:
    reader, writer = await _open(path)
    try:
        writer.write(b'{"op": "watch"}\n')
        await writer.drain()
        _answer(path, await reader.readline())
        while line := await reader.readline():
            yield json.loads(line)
    finally:
        writer.close()
