"""Text-mode (AT+CMGF=1) +CMGR / +CMT header and body decoding.

Header and body samples: /work/shared/notes/sim7600.md (SIM7600 manual examples), the Telit
UC864 AT reference (+CMGR example), the Quectel UGxx AT manual (+CMGR with AT+CSDH=1, which
prints a four-digit year), the Motorola G24 AT manual (+CSCS="UCS2" body example).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modem.sms import (
    decode_text_body,
    encode_text_body,
    format_text_header,
    gsm7,
    parse_text_header,
)


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("header", "status", "sender", "time"),
    [
        (  # notes: SIM7600 +CMGR
            '+CMGR: "REC UNREAD","+2784000136800051","","22/08/08,12:03:29+08"',
            "REC UNREAD",
            "+2784000136800051",
            datetime(2022, 8, 8, 12, 3, 29, tzinfo=tz(2)),
        ),
        (  # notes: +CMT with CNMI mt=2 (no status); +32 quarter hours = UTC+8
            '+CMT: "+8613800000000","","02/04/03,11:06:38+32"',
            "",
            "+8613800000000",
            datetime(2002, 4, 3, 11, 6, 38, tzinfo=tz(8)),
        ),
        (  # Telit UC864: empty unquoted alpha
            '+CMGR: "REC READ","+821020955219",,"07/07/19,10:06:34+36"',
            "REC READ",
            "+821020955219",
            datetime(2007, 7, 19, 10, 6, 34, tzinfo=tz(9)),
        ),
        (  # Quectel UGxx with AT+CSDH=1: extra fields after the time, "yyyy/MM/dd hh:mm:ss"
            '+CMGR: "REC UNREAD","+8615021012496",,"2014/02/13 15:06:37+32",145,4,0,0,'
            '"+8613800210500",145,27',
            "REC UNREAD",
            "+8615021012496",
            datetime(2014, 2, 13, 15, 6, 37, tzinfo=tz(8)),
        ),
        (  # without the prefix, negative zone
            '"REC READ","MyBank","","24/12/31,23:59:59-20"',
            "REC READ",
            "MyBank",
            datetime(2024, 12, 31, 23, 59, 59, tzinfo=tz(-5)),
        ),
        (  # Motorola G24: a stored unsent message has no time
            '+CMGR: "STO UNSENT",""',
            "STO UNSENT",
            "",
            None,
        ),
    ],
)
def test_headers(header: str, status: str, sender: str, time: datetime | None) -> None:
    assert parse_text_header(header) == (status, sender, time)
    if time is not None:
        parsed = parse_text_header(header)[2]
        assert parsed is not None and parsed.utcoffset() == time.utcoffset()


def test_ucs2_sender_is_decoded_only_when_asked() -> None:
    # AT+CSCS="UCS2" shows the number as UTF-16BE hex too: "+2782..." -> 002B0032...
    header = '+CMT: "002B00320037003800320031003200330031003200330034","","24/05/01,09:00:00+08"'
    assert parse_text_header(header, ucs2=True)[1] == "+27821231234"
    assert parse_text_header(header)[1] == "002B00320037003800320031003200330031003200330034"
    # A plain number stays as it is even with ucs2=True (not hex in groups of four).
    assert parse_text_header('+CMT: "+27821231234","",""', ucs2=True)[1] == "+27821231234"


def test_invalid_time_gives_none_and_bad_headers_raise() -> None:
    assert parse_text_header('+CMT: "+1","","22/13/40,99:00:00+08"')[2] is None
    with pytest.raises(ValueError, match="not a text-mode SMS header .*PDU mode"):
        parse_text_header("+CMGR: 0,,29")
    with pytest.raises(ValueError, match="unclosed quote at 13"):
        parse_text_header('"REC UNREAD","+2782')
    with pytest.raises(ValueError, match="has no sender"):
        parse_text_header('+CMGR: "REC READ"')


def test_ucs2_bodies() -> None:
    # Motorola G24 manual: the hex spells "Motorola g20 OEM Module" (their prose says G24).
    body = (
        "004D006F0074006F0072006F006C006100200067003200300020004F0045004D"
        "0020004D006F00640075006C0065"
    )
    assert decode_text_body(body, ucs2=True) == "Motorola g20 OEM Module"
    assert decode_text_body("041F04400438043204350442", ucs2=True) == "Привет"
    assert decode_text_body("4F60597D", ucs2=True) == "你好"
    assert decode_text_body("D83DDE00", ucs2=True) == "😀"  # surrogate pair
    assert decode_text_body("", ucs2=True) == ""


def test_bad_ucs2_bodies() -> None:
    with pytest.raises(ValueError, match="UCS2 text body is not hex: 'H' at position 0"):
        decode_text_body("Hello", ucs2=True)
    with pytest.raises(ValueError, match="UCS2 text body has 6 hex digits, not a multiple of 4"):
        decode_text_body("041F04", ucs2=True)


def test_gsm_charset_bodies_are_septet_values() -> None:
    assert decode_text_body("Hello world!", ucs2=False) == "Hello world!"
    # 27.005 +CSCS="GSM": '@' arrives as 0x00, '$' as 0x02, '€' as ESC 0x65.
    assert decode_text_body("\x00 \x02 5\x1be", ucs2=False) == "@ $ 5€"
    assert decode_text_body("caf\x05 ü", ucs2=False) == "café ü"


@given(st.text(max_size=200))
def test_ucs2_round_trip(text: str) -> None:
    assert decode_text_body(encode_text_body(text, ucs2=True), ucs2=True) == text


@given(
    st.text(alphabet=st.sampled_from(sorted(set(gsm7.DEFAULT_ALPHABET) - {"\x1b"})), max_size=200)
)
def test_gsm_round_trip(text: str) -> None:
    assert decode_text_body(encode_text_body(text, ucs2=False), ucs2=False) == text


def test_formatted_headers_parse_back() -> None:
    when = datetime(2024, 3, 1, 7, 5, 9, tzinfo=tz(-3.75))
    header = format_text_header("+27821231234", when, status="REC UNREAD")
    assert header == '"REC UNREAD","+27821231234","","24/03/01,07:05:09-15"'
    assert parse_text_header("+CMGR: " + header) == ("REC UNREAD", "+27821231234", when)
    hex_header = format_text_header("+27821231234", when, ucs2=True)
    assert parse_text_header(hex_header, ucs2=True) == ("", "+27821231234", when)
