"""``appliance modem status|watch|sms send``: the GSM line from the command line.

Whoever owns the AT port answers: while the appliance runs with ``gsm.enabled`` that is the
supervisor (asked over its control socket); otherwise, or with ``--at-port``, this command
opens the port itself for as long as it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from appliance import config as config_mod
from appliance.home import Home
from modem import control
from modem.sim7600 import GsmLine

SETTLE_S = 20.0  # how long `status` waits for a directly opened modem to finish its init


def register(sub: Any) -> None:
    p = sub.add_parser("modem", help="the GSM modem: status, events, SMS")
    msub = p.add_subparsers(dest="modem_command", required=True, metavar="ACTION")
    st = msub.add_parser("status", help="SIM, registration, operator, signal, calls")
    st.add_argument("--at-port", metavar="PATH", help="the modem's AT port (default: "
                    "gsm.at_port, or the running appliance's line)")
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.set_defaults(handler=cmd_status)
    w = msub.add_parser("watch", help="print the modem's events as they happen")
    w.add_argument("--at-port", metavar="PATH")
    w.add_argument("--json", action="store_true", help="one JSON object per line")
    w.set_defaults(handler=cmd_watch)
    sms = msub.add_parser("sms", help="text messages")
    ssub = sms.add_subparsers(dest="sms_command", required=True, metavar="ACTION")
    send = ssub.add_parser("send", help="send a text message")
    send.add_argument("number")
    send.add_argument("text")
    send.add_argument("--at-port", metavar="PATH")
    send.set_defaults(handler=cmd_sms_send)


def _owner_socket(args: argparse.Namespace, home: Home) -> Path | None:
    """The running supervisor's control socket, unless a port was named."""
    if args.at_port:
        return None
    path = home.modem_socket
    return path if path.exists() else None


def _line(args: argparse.Namespace, home: Home) -> GsmLine:
    cfg = config_mod.load(home.root)
    return GsmLine(args.at_port or cfg.gsm.at_port, pin=cfg.gsm.pin,
                   sms_mode=cfg.gsm.sms_mode)


@contextlib.asynccontextmanager
async def _running(line: GsmLine) -> AsyncIterator[GsmLine]:
    task = asyncio.create_task(line.run(), name="gsm-line")
    try:
        yield line
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _fail(msg: str, code: int = 1) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


async def _settled(line: GsmLine, limit_s: float) -> bool:
    """Wait until a directly opened line has finished its init (or failed); True if up."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while asyncio.get_running_loop().time() < deadline:
        st = line.status
        if st.connected and st.sim != "unknown" and \
                (st.sim != "ready" or st.registration != "unknown"):
            return True
        if not st.connected and st.error:
            return False
        await asyncio.sleep(0.1)
    return line.status.connected


def cmd_status(args: argparse.Namespace, home: Home) -> int:
    try:
        status = asyncio.run(_status(args, home))
    except (control.ControlError, config_mod.ConfigError) as e:
        return _fail(str(e))
    if args.json:
        print(json.dumps(status))
    else:
        for key, value in status.items():
            print(f"{key:>13}: {value}")
    return 0 if status.get("connected") else 1


async def _status(args: argparse.Namespace, home: Home) -> dict[str, Any]:
    sock = _owner_socket(args, home)
    if sock is not None:
        answer = await control.request(sock, {"op": "status"})
        return dict(answer["status"])
    async with _running(_line(args, home)) as line:
        await _settled(line, SETTLE_S)
        return line.status.to_json()


def cmd_watch(args: argparse.Namespace, home: Home) -> int:
    try:
        asyncio.run(_watch(args, home))
    except (control.ControlError, config_mod.ConfigError) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        pass
    return 0


def _print_event(event: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(event, default=str), flush=True)
    else:
        kind = event.pop("event", "?")
        rest = " ".join(f"{k}={v}" for k, v in event.items())
        print(f"{kind:>13} {rest}", flush=True)


async def _watch(args: argparse.Namespace, home: Home) -> None:
    sock = _owner_socket(args, home)
    if sock is not None:
        async for event in control.watch(sock):
            _print_event(event, args.json)
        return
    line = _line(args, home)
    queue = line.subscribe()
    async with _running(line):
        while True:
            _print_event((await queue.get()).to_json(), args.json)


def cmd_sms_send(args: argparse.Namespace, home: Home) -> int:
    if not args.number.lstrip("+").isdigit():
        return _fail(f"{args.number!r} is not a phone number (digits, optionally after '+')", 2)
    if not args.text:
        return _fail("the text is empty", 2)
    try:
        refs = asyncio.run(_sms_send(args, home))
    except (control.ControlError, config_mod.ConfigError) as e:
        return _fail(str(e))
    except Exception as e:  # the modem's own error (no network, +CMS ERROR, ...)
        return _fail(f"cannot send the text: {e}")
    print(f"sent to {args.number} in {len(refs)} part(s)")
    return 0


async def _sms_send(args: argparse.Namespace, home: Home) -> list[int]:
    sock = _owner_socket(args, home)
    if sock is not None:
        answer = await control.request(sock, {"op": "sms", "number": args.number,
                                              "text": args.text})
        return list(answer["references"])
    async with _running(_line(args, home)) as line:
        if not await _settled(line, SETTLE_S) or line.modem is None:
            raise control.ControlError(f"the modem is not ready: {line.status.error or '?'}")
        return await line.modem.send_sms(args.number, args.text)
