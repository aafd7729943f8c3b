"""modem.at line framing and URC parsing: the captured SIM7600 formats (sim7600.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modem.at.events import (
    Boot,
    CallBegin,
    CallEnd,
    CallState,
    CallWaiting,
    Clip,
    Dtmf,
    MissedCall,
    NoCarrier,
    Registration,
    Ring,
    Signal,
    SimState,
    SmsDeliver,
    SmsStored,
    Unknown,
)
from modem.at.lines import PROMPT, LineSplitter
from modem.at.urc import parse_urc, split_fields, urc_prefix


def test_lines_split_on_crlf_and_the_simcom_cr_cr_lf() -> None:
    lines = LineSplitter().feed(b"\r\nRING\r\n\r\r\n+RXDTMF: 8\r\r\n\r\nOK\r\n")
    assert [line for line in lines if line] == ["RING", "+RXDTMF: 8", "OK"]


def test_partial_line_waits_for_its_end_across_reads() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"\r\n+CSQ: 2") == [""]
    assert splitter.feed(b"2,0\r") == []
    assert splitter.feed(b"\n") == ["+CSQ: 22,0"]


def test_sms_prompt_without_newline_is_a_line_even_split_in_two_reads() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"\r\n>") == [""]
    assert splitter.feed(b" ") == [PROMPT]
    assert splitter.feed(b"\r\n+CMGS: 46\r\n") == ["", "+CMGS: 46"]


def test_non_utf8_bytes_are_replaced_not_fatal() -> None:
    assert LineSplitter().feed(b"\xff\xfeRI\x80NG\r\n") == ["\ufffd\ufffdRI\ufffdNG"]


@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=12))
@settings(max_examples=150, deadline=None)
def test_chunking_never_changes_the_lines(data: bytes, cuts: list[int]) -> None:
    whole = LineSplitter().feed(data)
    splitter = LineSplitter()
    chunked: list[str] = []
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    for start, end in zip(bounds, bounds[1:]):
        chunked += splitter.feed(data[start:end])
    assert chunked == whole


@pytest.mark.parametrize(
    ("line", "event"),
    [
        ("RING", Ring()),
        ("+CRING: VOICE", Ring()),
        ('+CLIP: "+27821231234",145,,,,0', Clip("+27821231234", 145, "")),
        ('+CLIP: "02152063113",128,,,"gongsi",0', Clip("02152063113", 128, "gongsi")),
        ('+CLCC: 4,1,4,0,0,"0821231234",128', CallState(4, "in", "incoming", "0821231234", 128)),
        ('+CLCC: 4,1,0,0,0,"0821231234",128', CallState(4, "in", "active", "0821231234", 128)),
        ('+CLCC: 4,1,6,0,0,"0821231234",128', CallState(4, "in", "disconnect", "0821231234", 128)),
        ('+CLCC: 3,0,2,0,0,"+2782123",145', CallState(3, "out", "dialing", "+2782123", 145)),
        ("+CLCC: 1,0,3,0,0", CallState(1, "out", "alerting", "", None)),
        ('+CLCC: 2,1,5,0,0,"+27,1",145,"Bob, Inc"', CallState(2, "in", "waiting", "+27,1", 145)),
        ("VOICE CALL: BEGIN", CallBegin()),
        ("VOICE CALL: END: 000017", CallEnd(17)),
        ("VOICE CALL: END: 010203", CallEnd(3723)),
        ("VOICE CALL: END: 000075", CallEnd(75)),  # not HHMMSS: plain seconds
        ("VOICE CALL: END: 42", CallEnd(42)),
        ("VOICE CALL: END", CallEnd(None)),
        ("MISSED_CALL: 11:53AM 08020866256", MissedCall("11:53AM", "08020866256")),
        ('+CCWA: "+27821231234",145,1', CallWaiting("+27821231234", 145)),
        ("NO CARRIER", NoCarrier()),
        ("+RXDTMF: 8", Dtmf("8")),
        ("+RXDTMF: #", Dtmf("#")),
        ('+CMTI: "SM",2', SmsStored("SM", 2)),
        ("+CSQ: 22,0", Signal(22, 0, -69)),
        ("+CSQ: 99,99", Signal(99, 99, None)),
        ("+CREG: 1", Registration(1, "home", "", "", None, "CREG")),
        ('+CREG: 5,"00C3","0000A1B2",7', Registration(5, "roaming", "00C3", "0000A1B2", 7, "CREG")),
        ('+CREG: 2,1,"00C3","0000A1B2",7', Registration(1, "home", "00C3", "0000A1B2", 7, "CREG")),
        ("+CREG: 0,2", Registration(2, "searching", "", "", None, "CREG")),
        ('+CEREG: 2,3,"ABCD","01A2B3",7', Registration(3, "denied", "ABCD", "01A2B3", 7, "CEREG")),
        ("+CGREG: 0", Registration(0, "not_registered", "", "", None, "CGREG")),
        ("+CPIN: READY", SimState("READY")),
        ("+CPIN: SIM PIN", SimState("SIM PIN")),
        ("RDY", Boot("RDY")),
        ("SMS DONE", Boot("SMS DONE")),
        ("PB DONE", Boot("PB DONE")),
    ],
)
def test_known_urcs_parse_to_typed_events(line: str, event: object) -> None:
    assert parse_urc(line) == event


@pytest.mark.parametrize(
    "line", ["+CLCC: x,1", "+CSQ:", "+RXDTMF: 12", "+CREG: 9", "VOICE CALL: WHAT", "+CMTI: \"SM\""]
)
def test_known_prefix_with_bad_fields_is_unknown_not_an_exception(line: str) -> None:
    assert parse_urc(line) == Unknown(line)


@pytest.mark.parametrize("line", ["OK", '+COPS: 0,0,"Vodacom",7', "Manufacturer: SIM", "\ufffd"])
def test_replies_and_garbage_are_not_urcs(line: str) -> None:
    assert parse_urc(line) is None


@pytest.mark.parametrize(
    ("cmd", "prefix"),
    [("AT+CLCC", "+CLCC"), ("AT+CSQ", "+CSQ"), ("AT+CPIN?", "+CPIN"), ("AT+CMGR=2", "+CMGR"),
     ("at+creg?", "+CREG"), ('AT+CMGS="+2782"', "+CMGS"), ("ATA", None), ("ATD+2782;", None),
     ("AT", None)],
)
def test_urc_prefix_of_a_command(cmd: str, prefix: str | None) -> None:
    assert urc_prefix(cmd) == prefix


def test_fields_keep_commas_inside_quotes() -> None:
    assert split_fields('"a,b",145,,"x"') == ['"a,b"', "145", "", '"x"']


def test_events_serialise_with_their_kind() -> None:
    assert CallEnd(17).to_json() == {"event": "call_end", "duration_s": 17}
    assert Ring().to_json() == {"event": "ring"}
    assert SmsDeliver(',24', "0791").to_json() == {
        "event": "sms_deliver", "header": ",24", "body": "0791"}
    assert Signal(22, 0, -69).to_json()["event"] == "signal"
