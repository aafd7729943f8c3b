"""JSON-lines control socket: one request object per line in, one reply per line out.

`{"op": "ring", "number": "+27821231234"}` -> `{"ok": true}`; a bad request gets
`{"ok": false, "error": "<why>"}` and the connection stays open. `request()` and
`request_sync()` are the client side, for tests and scripts.

Ops: ring {number, alpha?, wav?} | hangup | waiting {number} | sms {sender, text, mode?}
-> {indexes} | dtmf {digit} -> {reported} | unplug {seconds?: 3.0, null = until plug} | plug |
sim {state: ready|absent|busy|pin} | network {stat} | signal {rssi} | silent {on} |
configure {<DeviceConfig field>: value, ...} | state -> the fields of Simulator.state() |
save_audio {path} -> {bytes}.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modem.simulator.simulator import Simulator

log = logging.getLogger(__name__)
Handler = Callable[["Simulator", dict[str, Any]], Awaitable[dict[str, object] | None]]


def _get(req: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in req or req[key] is None:
        if default is ...:
            raise ValueError(f"op {req.get('op')!r} needs {key!r}")
        return default
    value = req[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        raise ValueError(f"{key!r} must be {getattr(kind, '__name__', kind)}, not {value!r}")
    return value


async def _ring(sim: Simulator, r: dict[str, Any]) -> None:
    await sim.ring(_get(r, "number", str), _get(r, "alpha", str, ""), _get(r, "wav", str, None))


async def _sms(sim: Simulator, r: dict[str, Any]) -> dict[str, object]:
    mode = _get(r, "mode", str, None)
    if mode not in (None, "text", "pdu"):
        raise ValueError(f"mode must be 'text' or 'pdu', not {mode!r}")
    return {"indexes": await sim.sms(_get(r, "sender", str), _get(r, "text", str))}


async def _unplug(sim: Simulator, r: dict[str, Any]) -> None:
    seconds = _get(r, "seconds", (int, float), None) if "seconds" in r else 3.0
    await sim.unplug(None if seconds is None else float(seconds))


async def _save_audio(sim: Simulator, r: dict[str, Any]) -> dict[str, object]:
    return {"bytes": await sim.save_audio(_get(r, "path", str))}


async def _configure(sim: Simulator, r: dict[str, Any]) -> None:
    await sim.configure(**{k: v for k, v in r.items() if k != "op"})


async def _state(sim: Simulator, r: dict[str, Any]) -> dict[str, object]:
    return sim.state()  # fields at the top level of the reply, next to "ok"


async def _dtmf(sim: Simulator, r: dict[str, Any]) -> dict[str, object]:
    return {"reported": await sim.dtmf(_get(r, "digit", str))}


OPS: dict[str, Handler] = {
    "ring": _ring,
    "hangup": lambda sim, r: sim.hangup(),
    "waiting": lambda sim, r: sim.waiting(_get(r, "number", str)),
    "sms": _sms,
    "dtmf": _dtmf,
    "unplug": _unplug,
    "plug": lambda sim, r: sim.plug(),
    "sim": lambda sim, r: sim.set_sim(_get(r, "state", str)),
    "network": lambda sim, r: sim.set_network(_get(r, "stat", int)),
    "signal": lambda sim, r: sim.set_signal(_get(r, "rssi", int)),
    "silent": lambda sim, r: sim.silent(_get(r, "on", bool, True)),
    "configure": _configure,
    "state": _state,
    "save_audio": _save_audio,
}


async def dispatch(sim: Simulator, line: bytes) -> dict[str, object]:
    try:
        req = json.loads(line)
        if not isinstance(req, dict):
            raise ValueError("a request is a JSON object")
        op = req.get("op")
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; known: {', '.join(OPS)}")
        extra = await OPS[op](sim, req)
    except (ValueError, TypeError) as e:  # JSONDecodeError is a ValueError
        return {"ok": False, "error": str(e)}
    except Exception as e:  # the socket must outlive any one bad request
        log.exception("control op failed")
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    return {"ok": True, **(extra or {})}


async def serve(sim: Simulator, path: Path) -> asyncio.AbstractServer:
    if len(str(path).encode()) > 107:
        raise ValueError(f"control socket path is longer than 107 bytes (AF_UNIX): {path}")
    path.unlink(missing_ok=True)  # noqa: ASYNC240 - a stale socket from a killed run

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                if line.strip():
                    writer.write(json.dumps(await dispatch(sim, line)).encode() + b"\n")
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_unix_server(client, path=str(path), limit=1 << 20)


async def request(path: str | Path, op: dict[str, object]) -> dict[str, Any]:
    """Sends one request on a fresh connection and returns the reply (wrap in a timeout)."""
    reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 22)
    try:
        writer.write(json.dumps(op).encode() + b"\n")
        await writer.drain()
        reply: dict[str, Any] = json.loads(await reader.readline())
    finally:
        writer.close()
    return reply


def request_sync(path: str | Path, op: dict[str, object], timeout: float = 10.0) -> dict[str, Any]:
    """The same, blocking (for tests and scripts outside asyncio)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps(op).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"{path}: the simulator closed the connection")
            buf += chunk
    reply: dict[str, Any] = json.loads(buf)
    return reply
