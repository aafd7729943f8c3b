"""SMS on the fake SIM7600, as a host sees it over pyserial: +CMTI then AT+CMGR/CMGL in PDU
and text mode, +CMT, and AT+CMGS in both modes (what the host sent is decoded by the fake)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from modem.sms import Reassembler, decode_deliver, encode_submit
from tests.unit.modem_sim_host import Host, SimThread, booted_host

SENDER = "+0123456789"
INIT = ("ATE0", "AT+CMEE=2", 'AT+CPMS="SM","SM","SM"', "AT+CNMI=2,1,0,0,0")
STAMP = rb'"\d\d/\d\d/\d\d,\d\d:\d\d:\d\d[+-]\d\d"'


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimThread]:
    sim = SimThread(tmp_path / "sim")
    yield sim
    sim.close()


@pytest.fixture
def host(sim: SimThread) -> Iterator[Host]:
    host = booted_host(sim, INIT)
    yield host
    host.close()


def _deliver(sim: SimThread, host: Host, text: str) -> list[int]:
    indexes = sim.run(sim.sim.sms(SENDER, text))
    for index in indexes:
        assert host.read_until(b"\r\n", 2) + host.read_until(b"\r\n") == \
            f'\r\n+CMTI: "SM",{index}\r\n'.encode()
    return indexes


def test_deliver_in_pdu_mode(sim: SimThread, host: Host) -> None:
    assert _deliver(sim, host, "Hello world!") == [0]
    reply = host.command("AT+CMGR=0")
    m = re.fullmatch(rb"\r\n\+CMGR: 0,,(\d+)\r\n([0-9A-F]+)\r\n\r\nOK\r\n", reply)
    assert m, reply
    pdu = m.group(2).decode()
    assert int(m.group(1)) == len(pdu) // 2 - 1 - int(pdu[:2], 16)  # TPDU octets, no SMSC
    sms = decode_deliver(pdu)
    assert (sms.sender, sms.text) == (SENDER, "Hello world!")
    assert host.command("AT+CMGR=0").startswith(b"\r\n+CMGR: 1,,")  # now read
    assert host.command("AT+CMGD=0") == b"\r\nOK\r\n"
    assert host.command("AT+CMGR=0") == b"\r\nOK\r\n"  # an empty slot: no lines


def test_long_message_arrives_in_parts(sim: SimThread, host: Host) -> None:
    text = "Your appointment is confirmed. " * 7  # 217 characters: two parts
    assert _deliver(sim, host, text) == [0, 1]
    listing = host.command("AT+CMGL=4")
    pdus = re.findall(rb"\+CMGL: \d,0,,\d+\r\n([0-9A-F]+)\r\n", listing)
    assert len(pdus) == 2
    whole = None
    assembler = Reassembler()
    for pdu in pdus:
        whole = assembler.add(decode_deliver(pdu.decode())) or whole
    assert whole is not None and whole.text == text
    assert host.command("AT+CMGL=0") == b"\r\nOK\r\n"  # listing marked both read


def test_deliver_in_text_mode_ira_and_ucs2(sim: SimThread, host: Host) -> None:
    host.command("AT+CMGF=1")
    _deliver(sim, host, "Hello world!")
    reply = host.command("AT+CMGR=0")
    assert re.fullmatch(rb'\r\n\+CMGR: "REC UNREAD","\+0123456789","",' + STAMP +
                        rb"\r\nHello world!\r\n\r\nOK\r\n", reply), reply
    host.command('AT+CSCS="UCS2"')
    text = "Grüße 😀"
    _deliver(sim, host, text)
    reply = host.command("AT+CMGR=1")
    hex_sender = SENDER.encode("utf-16-be").hex().upper().encode()
    hex_text = text.encode("utf-16-be").hex().upper().encode()
    assert re.fullmatch(rb'\r\n\+CMGR: "REC UNREAD","' + hex_sender + rb'","",' + STAMP +
                        rb"\r\n" + hex_text + rb"\r\n\r\nOK\r\n", reply), reply


def test_cnmi_mt2_routes_to_the_host_as_cmt(sim: SimThread, host: Host) -> None:
    host.command("AT+CMGF=1")
    host.command("AT+CNMI=2,2,0,0,0")
    assert sim.run(sim.sim.sms(SENDER, "Straight through")) == []
    got = host.read_until(b"through\r\n", 2)
    assert re.fullmatch(rb'\r\n\+CMT: "\+0123456789","",' + STAMP +
                        rb"\r\nStraight through\r\n", got), got
    assert sim.state()["sms_stored"] == []


def test_send_in_text_mode(sim: SimThread, host: Host) -> None:
    host.command("AT+CMGF=1")
    host.port.write(b'AT+CMGS="+27825551234"\r')
    assert host.read_until(b"> ") == b"\r\n> "
    host.port.write(b"See you at 3pm\x1a")
    assert host.read_until(b"OK\r\n") == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    host.command('AT+CSCS="UCS2"')
    number = "0825551234".encode("utf-16-be").hex().upper()
    host.port.write(f'AT+CMGS="{number}"\r'.encode())
    host.read_until(b"> ")
    host.port.write("Grüße".encode("utf-16-be").hex().upper().encode() + b"\x1a")
    assert host.read_until(b"OK\r\n") == b"\r\n+CMGS: 2\r\n\r\nOK\r\n"
    sent = sim.state()["sms_sent"]
    assert [(s["number"], s["text"], s["mode"], s["encoding"]) for s in sent] == [
        ("+27825551234", "See you at 3pm", "text", "gsm7"),
        ("0825551234", "Grüße", "text", "gsm7")]  # no AT+CSMP=17,167,0,8: not sent as UCS2


def test_send_in_pdu_mode_multipart_wrong_length_and_escape(sim: SimThread, host: Host) -> None:
    text = "Thanks for calling Maple Street Dental, we will call you back. " * 3
    parts = encode_submit("+27825551234", text, reference=9)
    assert len(parts) == 2
    for i, part in enumerate(parts, 1):
        host.port.write(f"AT+CMGS={part.tpdu_length}\r".encode())
        assert host.read_until(b"> ") == b"\r\n> "
        host.port.write(part.hex.encode() + b"\x1a")
        assert host.read_until(b"OK\r\n") == f"\r\n+CMGS: {i}\r\n\r\nOK\r\n".encode()
    sent = sim.state()["sms_sent"]
    assert sent == [{"number": "+27825551234", "text": text, "mode": "pdu", "encoding": "gsm7",
                     "parts": 2, "total": 2, "mr": [1, 2]}]
    ucs2 = encode_submit("0825551234", "Привет 🙂")[0]
    host.port.write(f"AT+CMGS={ucs2.tpdu_length}\r".encode())
    host.read_until(b"> ")
    host.port.write(ucs2.hex.encode() + b"\x1a")
    host.read_until(b"OK\r\n")
    last = sim.state()["sms_sent"].pop()
    assert (last["text"], last["encoding"]) == ("Привет 🙂", "ucs2")

    single = encode_submit("0825551234", "hi")[0]
    host.port.write(f"AT+CMGS={single.tpdu_length + 1}\r".encode())
    host.read_until(b"> ")
    host.port.write(single.hex.encode() + b"\x1a")
    assert host.read_until(b"304\r\n") == b"\r\n+CMS ERROR: 304\r\n"
    host.port.write(f"AT+CMGS={single.tpdu_length}\r".encode())
    host.read_until(b"> ")
    host.port.write(single.hex[:10].encode() + b"\x1b")  # ESC: abandon the message
    assert host.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    assert len(sim.state()["sms_sent"]) == 2


def test_prompt_with_echo_on(sim: SimThread) -> None:
    host = Host(sim.sim.at_path)
    host.read_until(b"PB DONE\r\n")
    host.port.write(b'AT+CMGF=1\rAT+CMGS="123"\r')
    assert host.read_until(b"> ") == b'AT+CMGF=1\r\r\nOK\r\nAT+CMGS="123"\r\r\n> '
    host.port.write(b"ok\x1a")
    assert host.read_until(b"OK\r\n") == b"ok\r\n+CMGS: 1\r\n\r\nOK\r\n"
    host.close()
