"""SMS-SUBMIT and SMS-DELIVER PDUs (3GPP TS 23.040) as the SIM7600 shows them in PDU mode.

Hex PDUs always start with the SMSC part ("00" = the SIM's SMSC), as AT+CMGS expects
and AT+CMGR / +CMT print. Long texts are split into concatenated parts with an 8-bit
reference UDH: 153 GSM-7 septets or 67 UCS2 code units per part, never between an
escape pair or a UTF-16 surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from modem.sms import gsm7
from modem.sms.fields import (
    Concat,
    OctetReader,
    concat_udh,
    decode_address,
    decode_smsc,
    decode_timestamp,
    encode_address,
    encode_alphanumeric,
    encode_smsc,
    encode_timestamp,
    parse_dcs,
    parse_udh,
)

DCS_GSM7 = 0x00
DCS_UCS2 = 0x08
MAX_PARTS = 255
_MTI_NAMES = ("SMS-DELIVER", "SMS-SUBMIT", "SMS-STATUS-REPORT", "reserved")


@dataclass(frozen=True)
class SmsSubmitPdu:
    hex: str
    tpdu_length: int  # octets after the SMSC part: the <length> of AT+CMGS=<length>


@dataclass(frozen=True)
class SmsDeliver:
    """A received SMS or one part of a long one. A UCS2 part whose sender split a surrogate
    pair keeps the lone half in `text` until the Reassembler joins the parts."""

    sender: str
    text: str
    time: datetime | None
    smsc: str
    concat: Concat | None = None  # (reference, total, seq) from the UDH
    msg_class: int | None = None  # 0 = flash SMS


@dataclass(frozen=True)
class SmsSubmit:
    number: str
    text: str
    concat: Concat | None = None
    request_status: bool = False
    tpdu_length: int = 0


def split_text(text: str) -> tuple[int, list[str]]:
    """(TP-DCS, parts): GSM-7 when every character fits, else UCS2; one part when it fits."""
    if gsm7.is_gsm7(text):
        dcs, single, per_part = DCS_GSM7, 160, 153
        cost = gsm7.char_septets
    else:
        dcs, single, per_part = DCS_UCS2, 70, 67

        def cost(ch: str) -> int:
            return 2 if ord(ch) > 0xFFFF else 1

    if sum(cost(ch) for ch in text) <= single:
        return dcs, [text]
    parts: list[str] = []
    start, used = 0, 0
    for index, ch in enumerate(text):
        if used + cost(ch) > per_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost(ch)
    parts.append(text[start:])
    if len(parts) > MAX_PARTS:
        raise ValueError(f"text needs {len(parts)} parts, at most {MAX_PARTS} can be concatenated")
    return dcs, parts


def _user_data(chunk: str, dcs: int, udh: bytes) -> bytes:
    """TP-UDL followed by TP-UD (UDH, fill bits, packed text)."""
    if dcs == DCS_GSM7:
        septets = gsm7.encode_septets(chunk)
        header_septets, fill = gsm7.udh_fill(len(udh)) if udh else (0, 0)
        return bytes((header_septets + len(septets),)) + udh + gsm7.pack_septets(septets, fill)
    body = chunk.encode("utf-16-be")
    return bytes((len(udh) + len(body),)) + udh + body


def _parts(text: str, reference: int) -> list[tuple[int, bytes, bytes]]:
    """(DCS, UDH or b"", TP-UDL + TP-UD) per part."""
    if not 0 <= reference <= 255:
        raise ValueError(f"concatenation reference must be 0-255, got {reference}")
    dcs, chunks = split_text(text)
    out = []
    for seq, chunk in enumerate(chunks, 1):
        udh = concat_udh(reference, len(chunks), seq) if len(chunks) > 1 else b""
        out.append((dcs, udh, _user_data(chunk, dcs, udh)))
    return out


def encode_submit(
    number: str,
    text: str,
    *,
    reference: int = 0,
    smsc: str | None = None,
    request_status: bool = False,
) -> list[SmsSubmitPdu]:
    """SMS-SUBMIT PDUs for AT+CMGS. `reference` is the concatenation reference of a long text
    (use a different one per message); TP-MR is 0 and the modem numbers the messages."""
    smsc_part = encode_smsc(smsc)
    address = encode_address(number, "destination number")
    pdus = []
    for dcs, udh, user_data in _parts(text, reference):
        # No TP-VP: the SMSC applies its default validity period.
        first = 0x01 | (0x20 if request_status else 0) | (0x40 if udh else 0)
        tpdu = bytes((first, 0x00)) + address + bytes((0x00, dcs)) + user_data
        pdus.append(SmsSubmitPdu((smsc_part + tpdu).hex().upper(), len(tpdu)))
    return pdus


def _sender_address(sender: str) -> bytes:
    plain = sender[1:] if sender.startswith("+") else sender
    if plain.isdigit() and plain.isascii():
        return encode_address(sender, "sender number")
    return encode_alphanumeric(sender)


def encode_deliver(
    sender: str,
    text: str,
    time: datetime,
    *,
    smsc: str = "+27831000000",
    reference: int = 0,
) -> list[str]:
    """SMS-DELIVER hex PDUs (SMSC part included) as +CMGR / +CMT show them, for the simulator.
    A sender that is not a number becomes an alphanumeric sender (at most 11 septets)."""
    smsc_part = encode_smsc(smsc)
    address = _sender_address(sender)
    stamp = encode_timestamp(time)
    pdus = []
    for dcs, udh, user_data in _parts(text, reference):
        first = 0x04 | (0x40 if udh else 0)  # TP-MMS: no more messages waiting
        tpdu = bytes((first,)) + address + bytes((0x00, dcs)) + stamp + user_data
        pdus.append((smsc_part + tpdu).hex().upper())
    return pdus


def join_surrogates(text: str) -> str:
    """Pair up UTF-16 surrogates left apart by a split part; unpaired ones become U+FFFD."""
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


def _first_octet(reader: OctetReader, mti: int) -> int:
    at = reader.pos
    first = reader.octet("first octet")
    if first & 0x03 != mti:
        raise reader.error(
            f"TP-MTI is {first & 0x03} ({_MTI_NAMES[first & 0x03]}), not {_MTI_NAMES[mti]}", at
        )
    return first


def _user_text(reader: OctetReader, udhi: bool, dcs: int) -> tuple[str, Concat | None, int | None]:
    """Reads TP-UDL and TP-UD; returns (text, concat, message class)."""
    coding = parse_dcs(dcs)
    if coding.compressed:
        raise reader.error(f"TP-DCS 0x{dcs:02X} means compressed text, which is not supported")
    udl_at = reader.pos
    udl = reader.octet("TP-UDL")
    septets = coding.alphabet == "gsm7"
    if udl > (160 if septets else 140):
        unit = "septets" if septets else "octets"
        raise reader.error(f"TP-UDL {udl} {unit} is more than user data can hold", udl_at)
    size = gsm7.packed_length(udl) if septets else udl
    user_data = reader.take(size, f"user data ({udl} {'septets' if septets else 'octets'})")
    header, concat = parse_udh(user_data, reader, udl_at + 1) if udhi else (0, None)
    if septets:
        skip = gsm7.udh_fill(header)[0] if header else 0
        if skip > udl:
            raise reader.error(f"TP-UDL {udl} septets is shorter than the {header}-octet UDH")
        text = gsm7.decode_septets(gsm7.unpack_septets(user_data, udl)[skip:])
    elif coding.alphabet == "ucs2":
        body = user_data[header:]
        if len(body) % 2:
            raise reader.error(f"UCS2 text has an odd number of octets ({len(body)})", udl_at + 1)
        # A part of a long message may end inside a surrogate pair; the Reassembler joins them.
        text = body.decode("utf-16-be", "surrogatepass")
        if concat is None:
            text = join_surrogates(text)
    else:  # 8-bit data (rare as text): one character per octet
        text = user_data[header:].decode("latin-1")
    return text, concat, coding.msg_class


def decode_deliver(hex_pdu: str) -> SmsDeliver:
    """An SMS-DELIVER hex PDU (with SMSC part) -> SmsDeliver. Octets after the user data are
    ignored; anything missing or malformed raises ValueError naming the field and octet."""
    reader = OctetReader(hex_pdu, "SMS-DELIVER")
    smsc = decode_smsc(reader)
    first = _first_octet(reader, 0)
    sender = decode_address(reader, "sender address")
    reader.octet("TP-PID")
    dcs = reader.octet("TP-DCS")
    time = decode_timestamp(reader.take(7, "TP-SCTS time stamp"))
    text, concat, msg_class = _user_text(reader, bool(first & 0x40), dcs)
    return SmsDeliver(sender, text, time, smsc, concat, msg_class)


def decode_submit(hex_pdu: str) -> SmsSubmit:
    """An SMS-SUBMIT hex PDU (with SMSC part, as written after AT+CMGS) -> SmsSubmit."""
    reader = OctetReader(hex_pdu, "SMS-SUBMIT")
    decode_smsc(reader)
    smsc_octets = reader.pos
    first = _first_octet(reader, 1)
    reader.octet("TP-MR")
    number = decode_address(reader, "destination address")
    reader.octet("TP-PID")
    dcs = reader.octet("TP-DCS")
    vpf = (first >> 3) & 0x03
    reader.take((0, 7, 1, 7)[vpf], "TP-VP validity period")
    text, concat, _ = _user_text(reader, bool(first & 0x40), dcs)
    tpdu_length = reader.pos - smsc_octets
    return SmsSubmit(number, text, concat, bool(first & 0x20), tpdu_length)
