"""Property tests of AtEngine: garbage never escapes run(); URCs interleaved anywhere with
commands never steal or lose a line."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modem.at import (
    AtEngine,
    AtError,
    Boot,
    CallBegin,
    CallEnd,
    CallState,
    CallWaiting,
    Clip,
    CmeError,
    Dtmf,
    Event,
    MissedCall,
    NoCarrier,
    PortGone,
    Registration,
    Response,
    Ring,
    Signal,
    SmsDeliver,
    SmsStored,
    urc_prefix,
)
from modem.at.urc import line_prefix
from tests.support.fake_at_port import FakeAtPort

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Urc:
    raw: bytes
    event: Event


@dataclass(frozen=True)
class Exchange:
    command: str
    blocks: tuple[bytes, ...]  # reply pieces; a URC may only come between two of them
    lines: tuple[str, ...]
    final: str


def _crlf(line: str) -> bytes:
    return b"\r\n" + line.encode() + b"\r\n"


URCS = [
    Urc(_crlf("RING"), Ring()),
    Urc(_crlf('+CLIP: "+27821231234",145,,,,0'), Clip("+27821231234", 145, "")),
    Urc(_crlf('+CLCC: 1,1,4,0,0,"+27821231234",145'),
        CallState(1, "in", "incoming", "+27821231234", 145)),
    Urc(_crlf("VOICE CALL: BEGIN"), CallBegin()),
    Urc(_crlf("VOICE CALL: END: 000017"), CallEnd(17)),
    Urc(_crlf("MISSED_CALL: 11:53AM 08020866256"), MissedCall("11:53AM", "08020866256")),
    Urc(_crlf('+CCWA: "+27831112222",145,1'), CallWaiting("+27831112222", 145)),
    Urc(_crlf("NO CARRIER"), NoCarrier()),
    Urc(b"\r\r\n+RXDTMF: 8\r\r\n", Dtmf("8")),
    Urc(b"\r\r\n+RXDTMF: #\r\r\n", Dtmf("#")),
    Urc(_crlf('+CMTI: "SM",2'), SmsStored("SM", 2)),
    Urc(b'\r\n+CMT: "+2784","","22/08/08,12:03:29+08"\r\nOK\r\n',
        SmsDeliver('"+2784","","22/08/08,12:03:29+08"', "OK")),
    Urc(_crlf("+CSQ: 14,0"), Signal(14, 0, -85)),
    Urc(_crlf('+CEREG: 5,"ABCD","01A2B3C4",7'),
        Registration(5, "roaming", "ABCD", "01A2B3C4", 7, "CEREG")),
    Urc(_crlf("+CREG: 2"), Registration(2, "searching", "", "", None, "CREG")),
    Urc(_crlf("RDY"), Boot("RDY")),
    Urc(_crlf("PB DONE"), Boot("PB DONE")),
]

CMGR_HEADER = '+CMGR: "REC UNREAD","+2784000136800051","","22/08/08,12:03:29+08"'
EXCHANGES = [
    Exchange("AT+CSQ", (_crlf("+CSQ: 22,0"),), ("+CSQ: 22,0",), "OK"),
    Exchange("AT+CLCC", (_crlf('+CLCC: 1,1,0,0,0,"+2782",145'), _crlf("+CLCC: 2,0,2,0,0")),
             ('+CLCC: 1,1,0,0,0,"+2782",145', "+CLCC: 2,0,2,0,0"), "OK"),
    Exchange("AT+CPIN?", (_crlf("+CPIN: READY"),), ("+CPIN: READY",), "OK"),
    Exchange("AT+CREG?", (_crlf('+CREG: 2,1,"00C3","0000A1B2",7'),),
             ('+CREG: 2,1,"00C3","0000A1B2",7',), "OK"),
    Exchange("AT+COPS?", (_crlf('+COPS: 0,0,"Vodacom",7'),), ('+COPS: 0,0,"Vodacom",7',), "OK"),
    Exchange("ATI", (_crlf("Manufacturer: SIMCOM INCORPORATED"), _crlf("Model: SIM7600G-H")),
             ("Manufacturer: SIMCOM INCORPORATED", "Model: SIM7600G-H"), "OK"),
    # The message text (here "RING") follows its header and must stay a reply line.
    Exchange("AT+CMGR=2", (f"\r\n{CMGR_HEADER}\r\nRING\r\n".encode(),),
             (CMGR_HEADER, "RING"), "OK"),
    Exchange("AT+CLIP=1", (), (), "OK"),
    Exchange("AT+CPIN?", (), (), "+CME ERROR: SIM busy"),
    Exchange("AT+CSQ", (), (), "ERROR"),
]


def _allowed(urc: Urc, exchange: Exchange) -> bool:
    """A URC with the pending command's own prefix is indistinguishable from its reply."""
    prefix = line_prefix(urc.raw.decode().strip())
    return prefix != urc_prefix(exchange.command)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[Exchange], list[bytes], list[Event], bool]:
    """Exchanges, for each the bytes the modem sends after it, and the events expected."""
    echo = draw(st.booleans())
    exchanges = draw(st.lists(st.sampled_from(EXCHANGES), min_size=1, max_size=6))
    replies: list[bytes] = []
    events: list[Event] = []
    for exchange in exchanges:
        pieces = [*exchange.blocks, _crlf(exchange.final)]
        allowed = [u for u in URCS if _allowed(u, exchange)]
        # Slot i: before piece i; the last slot is after the final (no command pending).
        out = [f"{exchange.command}\r".encode()] if echo else []
        for slot in range(len(pieces) + 1):
            pool = allowed if slot < len(pieces) else URCS
            for urc in draw(st.lists(st.sampled_from(pool), max_size=2)):
                out.append(urc.raw)
                events.append(urc.event)
            if slot < len(pieces):
                out.append(pieces[slot])
        replies.append(b"".join(out))
    return exchanges, replies, events, echo


def _chunk(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@given(sessions(), st.lists(st.integers(0, 10_000), max_size=8))
@SETTINGS
def test_every_command_gets_its_own_reply_and_every_urc_arrives_once(
    session: tuple[list[Exchange], list[bytes], list[Event], bool], cuts: list[int]
) -> None:
    exchanges, replies, expected_events, _ = session

    async def scenario() -> None:
        queue = list(replies)
        port = FakeAtPort()
        port.answers = {e.command: (lambda _data: _chunk(queue.pop(0), cuts)) for e in exchanges}
        events: list[Event] = []
        engine = AtEngine(port, events.append)
        task = asyncio.create_task(engine.run())
        for exchange in exchanges:
            if exchange.final == "OK":
                reply = await engine.command(exchange.command, timeout=2)
                assert reply == Response(exchange.command, list(exchange.lines), "OK")
            else:
                with pytest.raises(AtError) as info:
                    await engine.command(exchange.command, timeout=2)
                assert info.value.final == exchange.final
                assert isinstance(info.value, CmeError) == exchange.final.startswith("+CME")
        for _ in range(50):
            await asyncio.sleep(0)
        assert events == expected_events
        port.unplug()
        with pytest.raises(PortGone):
            await task

    asyncio.run(scenario())


@given(st.lists(st.binary(max_size=200), max_size=12), st.booleans())
@SETTINGS
def test_random_bytes_never_break_the_engine(chunks: list[bytes], with_command: bool) -> None:
    async def scenario() -> None:
        port = FakeAtPort()
        engine = AtEngine(port, lambda event: None)
        task = asyncio.create_task(engine.run())
        if with_command:
            port.answers["AT+CSQ"] = list(chunks)
            # Garbage may well end it with ERROR, or never end it.
            with contextlib.suppress(AtError):
                await engine.command("AT+CSQ", timeout=0.01)
        else:
            port.push(*chunks)
        # Two line ends finish any half line (and give a dangling +CMT header its body);
        # then the engine must still answer.
        port.push(b"\r\n\r\n")
        port.answers["AT"] = b"\r\nOK\r\n"
        for _ in range(20):
            await asyncio.sleep(0)
        assert await engine.ping(timeout=1)
        port.unplug()
        with pytest.raises(PortGone, match="fake port unplugged"):
            await task

    asyncio.run(scenario())
