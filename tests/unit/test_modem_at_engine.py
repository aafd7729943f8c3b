"""AtEngine against a fake AT port replaying the captured SIM7600 sequences (sim7600.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from modem.at import (
    AtEngine,
    AtError,
    AtTimeout,
    Boot,
    CallBegin,
    CallEnd,
    CallFailed,
    CallState,
    CmeError,
    CmsError,
    Dtmf,
    Event,
    MissedCall,
    NoCarrier,
    PortGone,
    Registration,
    Response,
    Ring,
    Signal,
    SimState,
    SmsDeliver,
    Unknown,
    parse_urc,
)
from tests.support.fake_at_port import FakeAtPort, frame

NUM = "0821231234"
PDU = "06917228195339040A9110325476980000313080512061800CC8329BFD06DDDF72363904"


@dataclass
class Rig:
    port: FakeAtPort
    engine: AtEngine
    events: list[Event]

    async def settle(self) -> None:
        """Let the engine read everything pushed so far."""
        for _ in range(100):
            await asyncio.sleep(0)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    port = FakeAtPort()
    events: list[Event] = []
    engine = AtEngine(port, events.append)
    task = asyncio.create_task(engine.run())
    yield Rig(port, engine, events)
    port.unplug()
    with pytest.raises(PortGone):
        await task


async def test_incoming_call_ata_with_voice_call_begin_before_ok(rig: Rig) -> None:
    rig.port.answers["ATA"] = frame("VOICE CALL: BEGIN", "OK")
    rig.port.push(frame("RING"), frame(f'+CLCC: 4,1,4,0,0,"{NUM}",128'))
    await rig.settle()
    assert await rig.engine.command("ATA") == Response("ATA", [], "OK")
    rig.port.push(frame(f'+CLCC: 4,1,0,0,0,"{NUM}",128', f'+CLCC: 4,1,6,0,0,"{NUM}",128'),
                  frame("VOICE CALL: END: 000008"))
    await rig.settle()
    assert rig.events == [
        Ring(), CallState(4, "in", "incoming", NUM, 128), CallBegin(),
        CallState(4, "in", "active", NUM, 128), CallState(4, "in", "disconnect", NUM, 128),
        CallEnd(8),
    ]


async def test_outgoing_call_then_firmware_no_carrier_after_end(rig: Rig) -> None:
    rig.port.answers["ATD+27821231234;"] = frame("OK")
    await rig.engine.command("ATD+27821231234;")
    rig.port.push(frame('+CLCC: 3,0,2,0,0,"+27821231234",129', "VOICE CALL: BEGIN",
                        '+CLCC: 3,0,0,0,0,"+27821231234",129',
                        '+CLCC: 3,0,6,0,0,"+27821231234",129', "VOICE CALL: END: 000003",
                        "NO CARRIER"))
    await rig.settle()
    assert [e.kind for e in rig.events] == [
        "call_state", "call_begin", "call_state", "call_state", "call_end", "no_carrier"]
    assert rig.events[-2] == CallEnd(3)


async def test_missed_call(rig: Rig) -> None:
    rig.port.push(frame("RING", f'+CLCC: 4,1,4,0,0,"{NUM}",128', "RING",
                        "MISSED_CALL: 11:53AM 08020866256"))
    await rig.settle()
    assert rig.events == [Ring(), CallState(4, "in", "incoming", NUM, 128), Ring(),
                          MissedCall("11:53AM", "08020866256")]


@pytest.mark.parametrize("final", ["BUSY", "NO ANSWER", "NO CARRIER"])
async def test_dial_failure_is_call_failed(rig: Rig, final: str) -> None:
    rig.port.answers["ATD0821231234;"] = frame(final)
    with pytest.raises(CallFailed) as info:
        await rig.engine.command("ATD0821231234;")
    assert info.value.final == final
    assert rig.events == []


async def test_no_carrier_during_another_command_is_an_event_and_the_command_gets_ok(
    rig: Rig,
) -> None:
    rig.port.answers["AT+CLCC"] = frame("NO CARRIER", "OK")
    assert await rig.engine.command("AT+CLCC") == Response("AT+CLCC", [], "OK")
    assert rig.events == [NoCarrier()]


async def test_rxdtmf_with_cr_cr_lf_in_the_middle_of_a_reply(rig: Rig) -> None:
    clcc = '+CLCC: 1,1,0,0,0,"+27821231234",145'
    rig.port.answers["AT+CLCC"] = (
        f"\r\n{clcc}\r\n\r\r\n+RXDTMF: 8\r\r\n\r\nOK\r\n".encode())
    assert (await rig.engine.command("AT+CLCC")).lines == [clcc]
    assert rig.events == [Dtmf("8")]


async def test_cmgr_text_mode_reply_keeps_the_text_even_when_it_reads_ok(rig: Rig) -> None:
    header = '+CMGR: "REC UNREAD","+2784000136800051","","22/08/08,12:03:29+08"'
    # The text follows its header directly: "\r\n<header>\r\n<text>\r\n\r\nOK\r\n".
    rig.port.answers["AT+CMGR=2"] = f"\r\n{header}\r\nOK\r\n".encode() + frame("OK")
    reply = await rig.engine.command("AT+CMGR=2")
    assert reply.lines == [header, "OK"]
    assert reply.first("+CMGR") == '"REC UNREAD","+2784000136800051","","22/08/08,12:03:29+08"'


async def test_cmgr_pdu_mode_reply(rig: Rig) -> None:
    rig.port.answers["AT+CMGR=2"] = f"\r\n+CMGR: 0,,29\r\n{PDU}\r\n".encode() + frame("OK")
    reply = await rig.engine.command("AT+CMGR=2")
    assert reply.lines == ["+CMGR: 0,,29", PDU]
    assert rig.events == []


async def test_cmt_two_line_urc_split_across_reads_text_and_pdu(rig: Rig) -> None:
    rig.port.push(b'\r\n+CMT: "+27840001368","","02/04/03,11:06:3', b'8+32"\r\nHi th',
                  b"ere, RING me\r\n", b"\r\n+CMT: ,29\r\n" + PDU.encode() + b"\r\n")
    await rig.settle()
    assert rig.events == [
        SmsDeliver('"+27840001368","","02/04/03,11:06:38+32"', "Hi there, RING me"),
        SmsDeliver(",29", PDU),
    ]


async def test_cmt_in_the_middle_of_a_reply_whose_text_is_ok(rig: Rig) -> None:
    rig.port.answers["AT+CSQ"] = frame("+CSQ: 22,0") + b'\r\n+CMT: "+2784","",""\r\nOK\r\n' \
        + frame("OK")
    assert (await rig.engine.command("AT+CSQ")).lines == ["+CSQ: 22,0"]
    assert rig.events == [SmsDeliver('"+2784","",""', "OK")]


async def test_boot_sequence_events(rig: Rig) -> None:
    rig.port.push(frame("RDY"), frame("+CPIN: READY"), frame("SMS DONE", "PB DONE"))
    await rig.settle()
    assert rig.events == [Boot("RDY"), SimState("READY"), Boot("SMS DONE"), Boot("PB DONE")]


async def test_sim_busy_is_a_cme_error_with_its_text(rig: Rig) -> None:
    rig.port.answers["AT+CPIN?"] = frame("+CME ERROR: SIM busy")
    with pytest.raises(CmeError) as info:
        await rig.engine.command("AT+CPIN?")
    assert (info.value.code, info.value.text) == (None, "SIM busy")
    assert info.value.final == "+CME ERROR: SIM busy"
    rig.port.answers["AT+CPIN?"] = frame("+CME ERROR: 14")
    with pytest.raises(CmeError) as info:
        await rig.engine.command("AT+CPIN?")
    assert (info.value.code, info.value.text) == (14, "14")


async def test_cms_error_and_plain_error(rig: Rig) -> None:
    rig.port.answers["AT+CMGR=9"] = frame("+CMS ERROR: 321")
    with pytest.raises(CmsError) as info:
        await rig.engine.command("AT+CMGR=9")
    assert info.value.code == 321
    rig.port.answers["AT+BOGUS"] = frame("ERROR")
    with pytest.raises(AtError, match=r"^AT\+BOGUS: ERROR$"):
        await rig.engine.command("AT+BOGUS")


async def test_status_replies_are_response_lines_not_events(rig: Rig) -> None:
    rig.port.answers.update({
        "AT+CSQ": frame("+CSQ: 22,0", "OK"),
        "AT+CREG?": frame('+CREG: 2,1,"00C3","0000A1B2",7', "OK"),
        "AT+COPS?": frame('+COPS: 0,0,"Vodacom",7', "OK"),
        "AT+CPIN?": frame("+CPIN: READY", "OK"),
    })
    assert (await rig.engine.command("AT+CSQ")).first("+CSQ") == "22,0"
    creg = await rig.engine.command("AT+CREG?")
    assert parse_urc(creg.lines[0]) == Registration(1, "home", "00C3", "0000A1B2", 7, "CREG")
    assert (await rig.engine.command("AT+COPS?")).first("+COPS:") == '0,0,"Vodacom",7'
    assert (await rig.engine.command("AT+CPIN?")).lines == ["+CPIN: READY"]
    assert rig.events == []


async def test_a_urc_with_another_prefix_mid_reply_goes_to_on_event(rig: Rig) -> None:
    clcc = f'+CLCC: 4,1,4,0,0,"{NUM}",128'
    rig.port.answers["AT+CSQ"] = frame(clcc, "+CSQ: 22,0", "RING", "OK")
    rig.port.answers["AT+CLCC"] = frame(clcc, "+CSQ: 14,0", "OK")
    assert (await rig.engine.command("AT+CSQ")).lines == ["+CSQ: 22,0"]
    assert (await rig.engine.command("AT+CLCC")).lines == [clcc]
    assert rig.events == [CallState(4, "in", "incoming", NUM, 128), Ring(), Signal(14, 0, -85)]


async def test_echo_is_skipped(rig: Rig) -> None:
    rig.port.answers["AT+CSQ"] = b"AT+CSQ\r\r\n+CSQ: 22,0\r\n\r\nOK\r\n"
    assert await rig.engine.command("AT+CSQ") == Response("AT+CSQ", ["+CSQ: 22,0"], "OK")


async def test_other_lines_of_a_reply_are_response_lines(rig: Rig) -> None:
    rig.port.answers["ATI"] = frame("Manufacturer: SIMCOM INCORPORATED",
                                    "Model: SIMCOM_SIM7600G-H", "OK")
    reply = await rig.engine.command("ATI")
    assert reply.lines == ["Manufacturer: SIMCOM INCORPORATED", "Model: SIMCOM_SIM7600G-H"]
    assert reply.first("Model") == "SIMCOM_SIM7600G-H"


async def test_sms_send_writes_the_body_after_the_prompt(rig: Rig) -> None:
    rig.port.answers["AT+CMGS=24"] = b"\r\n> "
    rig.port.answers[PDU + "\x1a"] = frame("+CMGS: 46", "OK")
    reply = await rig.engine.command_with_body("AT+CMGS=24", PDU.encode())
    assert reply.lines == ["+CMGS: 46"]
    assert rig.port.written == [b"AT+CMGS=24\r", PDU.encode() + b"\x1a"]


async def test_sms_error_instead_of_the_prompt_raises_and_sends_no_body(rig: Rig) -> None:
    rig.port.answers["AT+CMGS=24"] = frame("+CMS ERROR: 304")
    with pytest.raises(CmsError):
        await rig.engine.command_with_body("AT+CMGS=24", PDU.encode())
    assert rig.port.written == [b"AT+CMGS=24\r"]


async def test_sms_prompt_timeout_aborts_with_esc(rig: Rig) -> None:
    with pytest.raises(AtTimeout):
        await rig.engine.command_with_body("AT+CMGS=24", PDU.encode(), prompt_timeout=0.1)
    assert rig.port.written == [b"AT+CMGS=24\r", b"\x1b"]


async def test_timeout_then_the_next_command_gets_its_own_reply(rig: Rig) -> None:
    rig.port.answers["AT+CSQ"] = frame("+CSQ: 22,0", "OK")
    start = time.monotonic()
    with pytest.raises(AtTimeout, match=r"AT\+CFUN\?: no final result within 0\.2 s"):
        await rig.engine.command("AT+CFUN?", timeout=0.2)
    assert 0.2 <= time.monotonic() - start < 1.0
    assert await rig.engine.command("AT+CSQ") == Response("AT+CSQ", ["+CSQ: 22,0"], "OK")


async def test_late_final_of_a_timed_out_command_is_dropped(rig: Rig) -> None:
    rig.port.answers["AT+CSQ"] = frame("+CSQ: 22,0", "OK")
    with pytest.raises(AtTimeout):
        await rig.engine.command("AT+COPS=?", timeout=0.1)
    with pytest.raises(AtTimeout):
        await rig.engine.command("AT+CPIN?", timeout=0.1)
    rig.port.push(frame("+COPS: (2,\"Vodacom\")", "OK"), frame("+CME ERROR: SIM busy"))
    await rig.settle()
    assert await rig.engine.command("AT+CSQ") == Response("AT+CSQ", ["+CSQ: 22,0"], "OK")
    # The late +COPS line is unsolicited now: reported as unknown, never as a final result.
    assert rig.events == [Unknown('+COPS: (2,"Vodacom")')]


async def test_garbage_is_an_unknown_event_and_a_raising_handler_is_survived() -> None:
    port = FakeAtPort({"AT": frame("OK")})
    seen: list[Event] = []

    def on_event(event: Event) -> None:
        seen.append(event)
        raise RuntimeError("handler bug")

    engine = AtEngine(port, on_event)
    task = asyncio.create_task(engine.run())
    port.push(b"\xff\xfe\x00junk\r\n", frame("RING"))
    await asyncio.sleep(0.01)
    assert await engine.ping()
    assert seen == [Unknown("\ufffd\ufffd\x00junk"), Ring()]
    port.unplug()
    with pytest.raises(PortGone):
        await task


async def test_port_gone_fails_the_pending_and_every_later_command() -> None:
    port = FakeAtPort()
    engine = AtEngine(port, lambda event: None)
    task = asyncio.create_task(engine.run())
    pending = asyncio.create_task(engine.command("AT+CSQ", timeout=5))
    await asyncio.sleep(0.01)
    port.unplug()
    with pytest.raises(PortGone):
        await task
    with pytest.raises(PortGone, match="unplugged"):
        await asyncio.wait_for(pending, 1)
    with pytest.raises(PortGone):
        await engine.command("AT")


async def test_ping_is_false_on_silence(rig: Rig) -> None:
    assert not await rig.engine.ping(timeout=0.05)
    rig.port.answers["AT"] = frame("OK")
    assert await rig.engine.ping()


async def test_a_pin_never_shows_in_errors() -> None:
    port = FakeAtPort()
    engine = AtEngine(port, lambda ev: None)
    runner = asyncio.create_task(engine.run())
    try:
        pending = asyncio.create_task(engine.command('AT+CPIN="4321"', timeout=0.2))
        with pytest.raises(AtTimeout) as timed_out:
            await pending
        pending = asyncio.create_task(engine.command('AT+CPIN="4321"'))
        await asyncio.sleep(0.05)
        port.push(frame("+CME ERROR: incorrect password"))
        with pytest.raises(CmeError) as refused:
            await pending
    finally:
        runner.cancel()
    for e in (timed_out.value, refused.value):
        assert "4321" not in str(e) and "AT+CPIN=" in str(e), e
