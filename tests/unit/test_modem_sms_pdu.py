"""SMS-SUBMIT / SMS-DELIVER PDUs against published vectors, split rules, round trips, errors.

Vector sources (hex copied verbatim):
- NOTES: /work/shared/notes/sim7600.md (AT+CMGR reply in PDU mode).
- PGM: faucamp/python-gsmmodem test/test_pdu.py (TestSmsPdu, TestTimestamp).
- OFONO: ofono unit/test-sms.c (VolvoGroup/ofono mirror): simple_deliver, alnum_sender,
  simple_submit, simple_mwi, expected_no_fragmentation_7bit, sms_charset_default_ext.
- FRONTLINE: frontlinesms/smslib src/test/java/org/smslib/CServiceTest.java (+CMGL captures
  from real phones: Orange alphanumeric sender, 16-bit concat reference, status reports).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modem.sms import decode_deliver, decode_submit, encode_deliver, encode_submit, split_text


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


NOTES_HELLO = "06917228195339040A9110325476980000313080512061800CC8329BFD06DDDF72363904"


def test_notes_vector_hello_world() -> None:
    sms = decode_deliver(NOTES_HELLO)
    assert (sms.sender, sms.text, sms.smsc) == ("+0123456789", "Hello world!", "+2782913593")
    assert sms.time == datetime(2013, 3, 8, 15, 2, 16, tzinfo=tz(2))
    assert sms.concat is None


@pytest.mark.parametrize(
    ("hex_pdu", "sender", "smsc", "time", "text"),
    [
        (  # PGM
            "06917228195339040B917228214365F700003130805120618005D4F29C2E03",
            "+27821234567",
            "+2782913593",
            datetime(2013, 3, 8, 15, 2, 16, tzinfo=tz(2)),
            "Test2",
        ),
        (  # PGM: UTC+8 (32 quarter hours, SCTS zone octet 0x23)
            "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB"
            "6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
            "+85291234567",
            "+85290000000",
            datetime(2007, 4, 12, 23, 25, 42, tzinfo=tz(8)),
            "It is easy to read text messages via AT commands.",
        ),
        (  # OFONO simple_deliver: negative zone (0x48 = -4 quarter hours)
            "07911326040000F0040B911346610089F60000208062917314480CC8F71D14969741F977FD07",
            "+31641600986",
            "+31624000000",
            datetime(2002, 8, 26, 19, 37, 41, tzinfo=tz(-1)),
            "How are you?",
        ),
        (  # OFONO alnum_sender
            "0791447758100650040DD0F334FC1CA6970100008080312170224008D4F29CDE0EA7D9",
            "sipgate",
            "+447785016005",
            datetime(2008, 8, 13, 12, 7, 22, tzinfo=tz(1)),
            "Testmail",
        ),
        (  # FRONTLINE: alphanumeric "Orange", 140 septets, '£'
            "0791449737019037040BD04F79D87D2E030000902091610474008CC834C82C7FB7414F79D87D2EBB40"
            "D437E85CA683F2EFBA1C447CB3E1E8B41B242FDFC372F21CE42EE3E9A0F6DB4D47B340EAFA9C0EA2BF"
            "E1AD3A1C24CE83023118E82D07B5DFF232485C36BFE565908CF682C95EB09C0B947483E8E832881D9E"
            "D3413318881CCECF41F977FD642F83E86F38BC4C06D5E1A000CC05",
            "Orange",
            "+447973100973",
            datetime(2009, 2, 19, 16, 40, 47, tzinfo=tz(0)),
            "Hi from Orange. To get your Dolphin rewards next month, just top-up by £10 or more "
            "before 24/02/09. In the last 30 days you've topped up £0.",
        ),
    ],
)
def test_published_deliver_vectors(
    hex_pdu: str, sender: str, smsc: str, time: datetime, text: str
) -> None:
    sms = decode_deliver(hex_pdu)
    assert (sms.sender, sms.smsc, sms.time, sms.text) == (sender, smsc, time, text)
    assert sms.time is not None and sms.time.utcoffset() == time.utcoffset()


def test_extension_characters_in_a_delivered_pdu() -> None:
    # PGM: '@{tést}!' (escape pairs and é = 0x05)
    sms = decode_deliver("06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910")
    assert sms.text == "@{tést}!"
    # OFONO sms_charset_default_ext: every extension character. Its layout is an SMS-SUBMIT
    # (TP-MTI 1, TP-MR after the first octet, no time stamp).
    ext = decode_submit("0001000B915310101010100000151BC58602DAA036A9CD6BC3DBF436BE0D705306")
    assert ext.text == "\f^ {}\\[~]|€"
    assert ext.number == "+35010101010"


def test_gsm7_with_8bit_concat_udh_and_fill_bit() -> None:
    # PGM: concat IE C3/01/01 (a one-part "multipart"), national sender 2781188 (type 0x81).
    sms = decode_deliver(
        "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941"
        "B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565"
        "D0DB0D82C55EB0DB4B068BCD5C20"
    )
    assert sms.sender == "2781188"
    assert sms.smsc == "+2781191"
    assert sms.concat == (0xC3, 1, 1)
    assert sms.text == (
        "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. "
    )


def test_16bit_concat_reference() -> None:
    # FRONTLINE +CMGL index 11: UDH 06 08 04 0023 02 02, 31 septets of which 8 are the UDH.
    sms = decode_deliver(
        "0791449737709499440C914487732760570000807051117230401F06080400230202ED73FBDC3EB7CFED33"
        "FC0EBFC3EFF07BFC0EBFC301"
    )
    assert sms.concat == (0x0023, 2, 2)
    assert sms.sender == "+447837720675"
    assert sms.time == datetime(2008, 7, 15, 11, 27, 3, tzinfo=tz(1))
    assert sms.text == "mgmgmgmgmgpwpwpwpwqwpwp"


def test_16bit_concat_among_other_udh_elements_in_8bit_data() -> None:
    # FRONTLINE +CMGL index 15: port-address IE 05 skipped, IE 08 ref 0x222A, part 1 of 3.
    sms = decode_deliver(
        "0791449737709499440C914487732760570004806011711065407F0C0504000000000804222A0301150001"
        "020A012C000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20212223242526"
        "2728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F5051"
        "52535455565758595A5B5C5D5E5F606162636465666768696A"
    )
    assert sms.concat == (0x222A, 3, 1)
    assert sms.text.encode("latin-1")[:7] == bytes.fromhex("150001020A012C")


def test_ucs2_deliver_with_class_dcs() -> None:
    # OFONO assembly_pdu3: DCS 0x19 (UCS2, class 1), PID 0x01, zone +40 quarter hours.
    sms = decode_deliver(
        "038121F340048155550119906041001222044A0500"
        "031E0303043C043D043004420443002C00200"
        "43F043E043704300431044B0432000A043404"
        "3004360435002C002004470442043E0020002"
        "00431044B043B0020043D04300433002E"
    )
    assert sms.sender == "5555"
    assert sms.smsc == "123"
    assert sms.msg_class == 1
    assert sms.concat == (0x1E, 3, 3)
    assert sms.time == datetime(2009, 6, 14, 0, 21, 22, tzinfo=tz(10))
    assert sms.text == "мнату, позабыв\nдаже, что  был наг."


def test_message_waiting_dcs_with_empty_text() -> None:
    sms = decode_deliver(
        "07913366002020F8040B913366600600F100C83180706174148000"
    )  # OFONO simple_mwi
    assert (sms.sender, sms.text) == ("+33660660001", "")
    assert sms.time == datetime(2013, 8, 7, 16, 47, 41, tzinfo=tz(2))


@pytest.mark.parametrize(
    ("dcs", "msg_class"), [(0x00, None), (0x10, 0), (0x11, 1), (0x12, 2), (0x13, 3), (0xF0, 0)]
)
def test_gsm7_class_variants(dcs: int, msg_class: int | None) -> None:
    hex_pdu = NOTES_HELLO[:32] + f"{dcs:02X}" + NOTES_HELLO[34:]
    sms = decode_deliver(hex_pdu)
    assert (sms.text, sms.msg_class) == ("Hello world!", msg_class)


@pytest.mark.parametrize(("dcs", "msg_class"), [(0x08, None), (0x18, 0), (0x1B, 3)])
def test_ucs2_class_variants(dcs: int, msg_class: int | None) -> None:
    body = "Привет".encode("utf-16-be")  # independent of our encoder
    tpdu = f"040B917228214365F700{dcs:02X}31308051206180{len(body):02X}{body.hex()}"
    sms = decode_deliver("00" + tpdu)
    assert (sms.text, sms.msg_class) == ("Привет", msg_class)


def test_8bit_dcs_f4_is_read_one_character_per_octet() -> None:
    body = b"Hello world!"
    sms = decode_deliver("00040B917228214365F700F431308051206180" + f"{len(body):02X}" + body.hex())
    assert (sms.text, sms.msg_class) == ("Hello world!", 0)


@pytest.mark.parametrize(
    ("zone", "offset"),
    [("00", 0), ("80", 2), ("23", 8), ("2B", -8), ("48", -1), ("22", 5.5), ("49", -3.5)],
)
def test_timezone_quarter_hours(zone: str, offset: float) -> None:
    # 00/80/23/2B from PGM TestTimestamp. The low nibble is the tens digit with the sign in
    # bit 3: "22" = +22 quarters (+05:30), "49" = -14 quarters (-03:30).
    sms = decode_deliver(NOTES_HELLO[:34] + "313080512061" + zone + NOTES_HELLO[48:])
    assert sms.time is not None
    assert sms.time.utcoffset() == timedelta(hours=offset)


def test_impossible_timestamp_gives_no_time_but_keeps_the_message() -> None:
    sms = decode_deliver(NOTES_HELLO[:34] + "00000000000000" + NOTES_HELLO[48:])
    assert sms.time is None
    assert sms.text == "Hello world!"


# ---- SMS-SUBMIT -------------------------------------------------------------------------


def test_encode_submit_matches_python_gsmmodem() -> None:
    (pdu,) = encode_submit("+27820001111", "Hello World!")
    assert pdu.hex == "0001000B917228001011F100000CC8329BFD065DDF72363904"  # PGM
    assert pdu.tpdu_length == 24


def test_encode_submit_ucs2_matches_python_gsmmodem_without_its_validity_period() -> None:
    # PGM encodes '世界您好！' with TP-VPF relative (first octet 0x11, TP-VP 0xF4); we send no
    # TP-VP (first octet 0x01), everything else is byte for byte theirs.
    (pdu,) = encode_submit("+123456789", "世界您好！", smsc="+44000000000")
    assert pdu.hex == "07914400000000F0" + "01" + "00099121436587F90008" + "0A4E16754C60A8597DFF01"
    assert pdu.tpdu_length == len(pdu.hex) // 2 - 8


LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud exercitation ullamco "
    "laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in "
    "voluptate velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat "
    "cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum"
)
# PGM test_encodeSmsSubmit_concatenated (encoded with TP-RD set: first octet 0x45).
LOREM_PDUS = [
    "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB7416"
    "68FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE"
    "9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795"
    "DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD",
    "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687DBE337"
    "881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2FC7EB61BA8B58"
    "4FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0DB2BFD975383D4C2F83"
    "EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA",
    "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871"
    "194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D94"
    "7683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287"
    "C56F79BD0D",
]


def test_multipart_gsm7_matches_python_gsmmodem_split_udh_and_fill_bits() -> None:
    pdus = encode_submit("+15125551234", LOREM)
    # We leave TP-RD clear (0x41); the rest (153 septets a part, UDH, 1 fill bit) is theirs.
    assert [p.hex for p in pdus] == ["0041" + golden[4:] for golden in LOREM_PDUS]
    assert [p.tpdu_length for p in pdus] == [len(golden) // 2 - 1 for golden in LOREM_PDUS]
    decoded = [decode_submit(golden) for golden in LOREM_PDUS]
    assert "".join(d.text for d in decoded) == LOREM
    assert [d.concat for d in decoded] == [(0, 3, 1), (0, 3, 2), (0, 3, 3)]
    assert [len(d.text) for d in decoded[:2]] == [153, 153]


@pytest.mark.parametrize(
    ("hex_pdu", "number", "text", "request_status"),
    [
        # OFONO simple_submit (relative TP-VP 0xAA)
        ("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", "+46708251358", "hellohello", False),
        # OFONO expected_no_fragmentation_7bit (SMSC present, TP-VP 0xA7)
        (
            "079153485002020911000C915348870420140000A71154747A0E4ACF41F4F29C9E769F4121",
            "+358478400241",
            "This is testing !",
            False,
        ),
        # PGM: status report requested, relative validity, SMSC
        (
            "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
            "+31628870634",
            "www.diafaan.com",
            True,
        ),
        # PGM: national numbers (type 0xA1), TP-MR 13, TP-RD
        (
            "04A12143F5310D0AA110624521430000A91BD4F29C0E6A97E7F3F0B9AC03B1DFE3301BE4AEB7C565F91C",
            "0126541234",
            "Test message: local numbers",
            True,
        ),
        # PGM: absolute TP-VP (7 octets)
        (
            "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
            "+27820001111",
            "Timestamp validity test",
            False,
        ),
        # PGM: UCS2, no TP-VP
        ("07914346466554F601000B914316565811F9000806304253F68449", "+34616585119", "あ叶葉", False),
    ],
)
def test_published_submit_vectors(
    hex_pdu: str, number: str, text: str, request_status: bool
) -> None:
    sms = decode_submit(hex_pdu)
    assert (sms.number, sms.text, sms.request_status) == (number, text, request_status)
    smsc_octets = int(hex_pdu[:2], 16) + 1
    assert sms.tpdu_length == len(hex_pdu) // 2 - smsc_octets


# ---- splitting ---------------------------------------------------------------------------


def test_single_part_limits() -> None:
    assert split_text("a" * 160) == (0x00, ["a" * 160])
    assert split_text("€" * 80) == (0x00, ["€" * 80])  # 160 septets
    assert split_text("ж" * 70) == (0x08, ["ж" * 70])
    assert len(encode_submit("+1", "a" * 161)) == 2
    assert len(encode_submit("+1", "ж" * 71)) == 2


def test_gsm7_split_never_separates_an_escape_pair() -> None:
    text = "a" * 152 + "€" + "b" * 10
    _, parts = split_text(text)
    assert parts == ["a" * 152, "€" + "b" * 10]  # 152 + 2 would be 154 septets
    decoded = [decode_submit(p.hex) for p in encode_submit("+1", text)]
    assert [d.text for d in decoded] == parts


def test_ucs2_split_at_67_and_never_inside_a_surrogate_pair() -> None:
    _, parts = split_text("ж" * 140)
    assert [len(p) for p in parts] == [67, 67, 6]
    text = "ж" * 66 + "😀" + "ж" * 10  # the emoji would straddle units 67/68
    _, parts = split_text(text)
    assert parts == ["ж" * 66, "😀" + "ж" * 10]
    pdus = encode_submit("+1", text, reference=9)
    first = bytes.fromhex(pdus[0].hex)
    assert first[-138:-132] == bytes.fromhex("050003090201")  # UDH, then 66 chars
    assert [decode_submit(p.hex).text for p in pdus] == parts


def test_multipart_udh_reference_and_request_status() -> None:
    pdus = encode_submit("+27821231234", "x" * 400, reference=200, request_status=True)
    subs = [decode_submit(p.hex) for p in pdus]
    assert [s.concat for s in subs] == [(200, 3, 1), (200, 3, 2), (200, 3, 3)]
    assert all(s.request_status for s in subs)
    with pytest.raises(ValueError, match="concatenation reference must be 0-255, got 256"):
        encode_submit("+1", "x", reference=256)


def test_bad_numbers_are_named() -> None:
    with pytest.raises(ValueError, match=r"destination number '\+27-82' has '-', not a digit"):
        encode_submit("+27-82", "hi")
    with pytest.raises(ValueError, match=r"destination number '\+' has no digits"):
        encode_submit("+", "hi")


# ---- SMS-DELIVER encoding (simulator side) -----------------------------------------------


def test_encode_deliver_reproduces_published_pdus() -> None:
    assert encode_deliver(
        "+0123456789",
        "Hello world!",
        datetime(2013, 3, 8, 15, 2, 16, tzinfo=tz(2)),
        smsc="+2782913593",
    ) == [NOTES_HELLO]
    assert encode_deliver(
        "+31641600986",
        "How are you?",
        datetime(2002, 8, 26, 19, 37, 41, tzinfo=tz(-1)),
        smsc="+31624000000",
    ) == ["07911326040000F0040B911346610089F60000208062917314480CC8F71D14969741F977FD07"]
    assert encode_deliver(
        "sipgate",
        "Testmail",
        datetime(2008, 8, 13, 12, 7, 22, tzinfo=tz(1)),
        smsc="+447785016005",
    ) == ["0791447758100650040DD0F334FC1CA6970100008080312170224008D4F29CDE0EA7D9"]


def test_alphanumeric_sender_limits() -> None:
    when = datetime(2024, 5, 1, 9, 0, tzinfo=tz(2))
    assert decode_deliver(encode_deliver("a[]{}€", "x", when)[0]).sender == "a[]{}€"
    with pytest.raises(ValueError, match="alphanumeric sender 'TwelveLetter' takes 12 septets"):
        encode_deliver("TwelveLetter", "x", when)


# ---- round trips ----------------------------------------------------------------------------

numbers = st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(numbers, st.text(max_size=400), st.integers(0, 255))
def test_submit_round_trip(number: str, text: str, reference: int) -> None:
    pdus = encode_submit(number, text, reference=reference)
    subs = [decode_submit(p.hex) for p in pdus]
    assert "".join(s.text for s in subs) == text
    assert all(s.number == number for s in subs)
    assert all(p.tpdu_length == s.tpdu_length <= 164 for p, s in zip(pdus, subs))
    if len(pdus) > 1:
        assert [s.concat for s in subs] == [(reference, len(pdus), i + 1) for i in range(len(pdus))]


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        numbers,
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abc123", min_size=1, max_size=11).filter(
            lambda s: not s.lstrip("+").isdigit()
        ),
    ),
    st.text(max_size=400),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.integers(-56, 56),
)
def test_deliver_round_trip(sender: str, text: str, when: datetime, quarters: int) -> None:
    when = when.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=15 * quarters)))
    parts = [decode_deliver(h) for h in encode_deliver(sender, text, when)]
    assert "".join(p.text for p in parts) == text
    assert all(p.sender == sender and p.time == when for p in parts)
    assert all(p.time is not None and p.time.utcoffset() == when.utcoffset() for p in parts)


# ---- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_pdu", "message"),
    [
        ("", "SMS-DELIVER PDU is empty"),
        ("0691722819533G", "SMS-DELIVER PDU is not hex: 'G' at hex digit 13"),
        ("069172281953390", r"SMS-DELIVER PDU has an odd number of hex digits \(15\)"),
        ("069172", r"truncated: SMSC address \(6 octets\) at octet 1 needs 6 octets, 2 left"),
        (NOTES_HELLO[:20], r"truncated: sender address \(10 semi-octets\) at octet 10 needs 5"),
        (NOTES_HELLO[:40], r"truncated: TP-SCTS time stamp at octet 17 needs 7 octets, 3 left"),
        (NOTES_HELLO[:-2], r"truncated: user data \(12 septets\) at octet 25 needs 11 octets, 10"),
        # FRONTLINE +CMGL index 12: an SMS-STATUS-REPORT is not an SMS-DELIVER
        (
            "079144973770939906660C91449788515605903021514363009030215143040000",
            r"TP-MTI is 2 \(SMS-STATUS-REPORT\), not SMS-DELIVER at octet 8",
        ),
        (NOTES_HELLO[:32] + "24" + NOTES_HELLO[34:], "TP-DCS 0x24 means compressed text"),
        (NOTES_HELLO[:48] + "A1" + NOTES_HELLO[50:], "TP-UDL 161 septets is more than"),
    ],
)
def test_bad_deliver_pdus_name_what_and_where(hex_pdu: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_deliver(hex_pdu)


def test_bad_udh_and_ucs2_lengths() -> None:
    base = "00440B917228214365F7000831308051206180"
    with pytest.raises(ValueError, match="UDH length 9 runs past the 4-octet user data"):
        decode_deliver(base + "04" + "09000300")
    with pytest.raises(ValueError, match="UDH element 0x00 of 5 octets runs past the header end"):
        decode_deliver(base + "06" + "05000501020304")
    with pytest.raises(ValueError, match=r"UCS2 text has an odd number of octets \(3\)"):
        decode_deliver("00040B917228214365F7000831308051206180" + "03" + "041F04")


def test_submit_decoder_rejects_a_deliver_and_oversized_ucs2() -> None:
    with pytest.raises(
        ValueError, match="TP-MTI is 0 \\(SMS-DELIVER\\), not SMS-SUBMIT at octet 7"
    ):
        decode_submit(NOTES_HELLO)
    # PGM notes this PDU's user data length (0xA0 = 160 octets) is invalid for UCS2.
    with pytest.raises(ValueError, match="TP-UDL 160 octets is more than user data can hold"):
        decode_submit("0041010C910661345542F60008A0050003000301306F3044")
