"""The TPDU fields shared by SMS-SUBMIT and SMS-DELIVER (3GPP TS 23.040 9.1.2, 9.2.3).

Addresses (semi-octet BCD or GSM-7 alphanumeric), the service-centre time stamp, the
data coding scheme and the User Data Header. Decoding reads from an `OctetReader`
whose errors name the PDU kind, the field and the octet offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from modem.sms import gsm7

# Semi-octet digits: 0-9, then 0xA-0xE as defined by 23.040 9.1.2.3 (0xF is the filler).
_BCD = "0123456789*#abc"
TOA_INTERNATIONAL = 0x91
TOA_UNKNOWN = 0x81
TOA_ALPHANUMERIC = 0xD0
MAX_ALPHA_SEPTETS = 11


class OctetReader:
    """Reads a hex PDU octet by octet; running out raises a ValueError saying where."""

    def __init__(self, hex_pdu: str, kind: str) -> None:
        text = "".join(hex_pdu.split())
        self.kind = kind
        if not text:
            raise ValueError(f"{kind} PDU is empty")
        bad = re.search(r"[^0-9A-Fa-f]", text)
        if bad:
            raise ValueError(f"{kind} PDU is not hex: {bad.group()!r} at hex digit {bad.start()}")
        if len(text) % 2:
            raise ValueError(f"{kind} PDU has an odd number of hex digits ({len(text)})")
        self.data = bytes.fromhex(text)
        self.pos = 0

    def take(self, count: int, what: str) -> bytes:
        left = len(self.data) - self.pos
        if count > left:
            raise ValueError(
                f"{self.kind} PDU truncated: {what} at octet {self.pos} needs {count} "
                f"octet{'s' if count != 1 else ''}, {left} left"
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def octet(self, what: str) -> int:
        return self.take(1, what)[0]

    def error(self, message: str, at: int | None = None) -> ValueError:
        where = self.pos if at is None else at
        return ValueError(f"{self.kind} PDU: {message} at octet {where}")


def _bcd(digits: str) -> bytes:
    nibbles = [_BCD.index(ch) for ch in digits]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(lo | (hi << 4) for lo, hi in zip(nibbles[::2], nibbles[1::2]))


def _split_number(number: str, what: str) -> tuple[int, str]:
    """(type of address, digits); "+" means international."""
    digits = number.strip()
    toa = TOA_UNKNOWN
    if digits.startswith("+"):
        toa, digits = TOA_INTERNATIONAL, digits[1:]
    if not digits:
        raise ValueError(f"{what} {number!r} has no digits")
    for ch in digits:
        if ch not in "0123456789*#":
            raise ValueError(f"{what} {number!r} has {ch!r}, not a digit, '*' or '#'")
    if len(digits) > 20:
        raise ValueError(f"{what} {number!r} has {len(digits)} digits, at most 20 fit")
    return toa, digits


def encode_address(number: str, what: str = "number") -> bytes:
    """TP-DA / TP-OA: digit count, type of address, BCD digits. "+" means international."""
    toa, digits = _split_number(number, what)
    return bytes((len(digits), toa)) + _bcd(digits)


def encode_alphanumeric(name: str) -> bytes:
    """TP-OA for an alphanumeric sender ("MyBank"): GSM-7 packed, at most 11 septets."""
    septets = gsm7.encode_septets(name)
    if not septets or len(septets) > MAX_ALPHA_SEPTETS:
        raise ValueError(f"alphanumeric sender {name!r} takes {len(septets)} septets, must be 1-11")
    packed = gsm7.pack_septets(septets)
    semi_octets = (len(septets) * 7 + 3) // 4
    return bytes((semi_octets, TOA_ALPHANUMERIC)) + packed


def encode_smsc(number: str | None) -> bytes:
    """SMSC part of a PDU: length in octets (type of address included); b"\\x00" = use the SIM's."""
    if not number:
        return b"\x00"
    toa, digits = _split_number(number, "SMSC number")
    body = bytes((toa,)) + _bcd(digits)
    return bytes((len(body),)) + body


def _digits(data: bytes, count: int) -> str:
    out = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble != 0xF:
                out.append(_BCD[nibble])
    return "".join(out)[:count]


def _with_toa(toa: int, digits: str) -> str:
    return ("+" + digits) if (toa >> 4) & 0x7 == 1 and digits else digits


def decode_address(reader: OctetReader, what: str) -> str:
    """TP-OA / TP-DA: international numbers get "+", alphanumeric senders become text."""
    length = reader.octet(f"{what} length")
    toa = reader.octet(f"{what} type of address")
    data = reader.take((length + 1) // 2, f"{what} ({length} semi-octets)")
    if (toa >> 4) & 0x7 == 5:
        return gsm7.decode_septets(gsm7.unpack_septets(data, length * 4 // 7))
    return _with_toa(toa, _digits(data, length))


def decode_smsc(reader: OctetReader) -> str:
    length = reader.octet("SMSC length")
    if length == 0:
        return ""
    data = reader.take(length, f"SMSC address ({length} octets)")
    return _with_toa(data[0], _digits(data[1:], 2 * (length - 1)))


def _swapped(value: int) -> int:
    return ((value % 10) << 4) | (value // 10)


def encode_timestamp(time: datetime) -> bytes:
    """TP-SCTS: yy MM dd hh mm ss and the UTC offset in quarter hours (naive = UTC)."""
    offset = time.utcoffset() or timedelta(0)
    quarters = round(offset.total_seconds() / 900)
    fields = [time.year % 100, time.month, time.day, time.hour, time.minute, time.second]
    zone = _swapped(abs(quarters)) | (0x08 if quarters < 0 else 0)
    return bytes(_swapped(v) for v in fields) + bytes((zone,))


def decode_timestamp(data: bytes) -> datetime | None:
    """TP-SCTS -> aware datetime; None when it is not a real date (some SMSCs send zeros)."""
    values = []
    for octet in data[:6]:
        lo, hi = octet & 0x0F, octet >> 4
        if lo > 9 or hi > 9:
            return None
        values.append(lo * 10 + hi)
    zone = data[6]
    tens, units = zone & 0x07, zone >> 4
    if units > 9:
        return None
    quarters = (tens * 10 + units) * (-1 if zone & 0x08 else 1)
    year, month, day, hour, minute, second = values
    try:
        tz = timezone(timedelta(minutes=15 * quarters))
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


@dataclass(frozen=True)
class Coding:
    """What a TP-DCS says about the user data."""

    alphabet: str  # "gsm7", "8bit" or "ucs2"
    msg_class: int | None
    compressed: bool = False


def parse_dcs(dcs: int) -> Coding:
    """TP-DCS per 23.038 4; reserved alphabets and groups are read as GSM-7 as 23.038 asks."""
    alphabets = ("gsm7", "8bit", "ucs2", "gsm7")
    group = dcs >> 4
    if group < 0x8:  # general data coding (00xx) and automatic deletion (01xx)
        has_class = bool(dcs & 0x10)
        return Coding(alphabets[(dcs >> 2) & 3], dcs & 3 if has_class else None, bool(dcs & 0x20))
    if group == 0xF:  # data coding / message class
        return Coding("8bit" if dcs & 0x04 else "gsm7", dcs & 3)
    if group == 0xE:  # message waiting indication, UCS2 text
        return Coding("ucs2", None)
    return Coding("gsm7", None)  # 1100/1101 message waiting (GSM-7), 1000-1011 reserved


Concat = tuple[int, int, int]  # (reference, total, seq)


def concat_udh(reference: int, total: int, seq: int) -> bytes:
    """UDH with the concatenation IE, 8-bit reference (IEI 0x00)."""
    return bytes((5, 0x00, 3, reference & 0xFF, total, seq))


def parse_udh(user_data: bytes, reader: OctetReader, at: int) -> tuple[int, Concat | None]:
    """(octets the UDH takes including UDHL, concatenation info) for user data with UDHI set.

    Unknown IEs are skipped; a concatenation IE with total/seq of 0 or seq > total is
    ignored as 23.040 9.2.3.24.1 asks.
    """
    if not user_data:
        raise reader.error("UDHI set but the user data is empty", at)
    udhl = user_data[0]
    if udhl + 1 > len(user_data):
        raise reader.error(f"UDH length {udhl} runs past the {len(user_data)}-octet user data", at)
    concat: Concat | None = None
    pos = 1
    while pos < udhl + 1:
        if pos + 2 > udhl + 1:
            raise reader.error(f"UDH information element cut short at UDH octet {pos}", at)
        iei, length = user_data[pos], user_data[pos + 1]
        body = user_data[pos + 2 : pos + 2 + length]
        if pos + 2 + length > udhl + 1:
            raise reader.error(
                f"UDH element 0x{iei:02X} of {length} octets runs past the header end", at
            )
        if iei == 0x00 and length == 3:
            concat = (body[0], body[1], body[2])
        elif iei == 0x08 and length == 4:
            concat = ((body[0] << 8) | body[1], body[2], body[3])
        pos += 2 + length
    if concat and not (concat[1] and 1 <= concat[2] <= concat[1]):
        concat = None
    return udhl + 1, concat
