"""Text-mode SMS (AT+CMGF=1): the +CMGR / +CMT header line and the body line.

`+CMGR: "REC UNREAD","+2784000136800051","","22/08/08,12:03:29+08"` (status, sender,
alpha, time with the UTC offset in quarter hours); +CMT has no status. With AT+CSDH=1
more fields follow and are ignored. With AT+CSCS="UCS2" the body, and the sender, are
the hex of UTF-16BE; with AT+CSCS="GSM" each character is a GSM 03.38 septet value.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from modem.sms import gsm7
from modem.sms.pdu import join_surrogates

STATUSES = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT")
# "yy/MM/dd,hh:mm:ss+zz" (27.005); some firmware (Quectel) prints "yyyy/MM/dd hh:mm:ss+zz".
_TIME = re.compile(r"(\d\d|\d{4})/(\d\d)/(\d\d)[, ](\d\d):(\d\d):(\d\d)(?:([+-])(\d\d?))?")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{4})+")


def _fields(line: str) -> list[tuple[str, bool]]:
    """Comma-separated fields as (value, was quoted); commas inside quotes stay."""
    fields: list[tuple[str, bool]] = []
    pos = 0
    while True:
        if line.startswith('"', pos):
            end = line.find('"', pos + 1)
            if end < 0:
                raise ValueError(f"text-mode SMS header has an unclosed quote at {pos}: {line!r}")
            fields.append((line[pos + 1 : end], True))
            pos = end + 1
            if pos < len(line) and line[pos] != ",":
                raise ValueError(f"text-mode SMS header has {line[pos]!r} after a quote at {pos}")
        else:
            end = line.find(",", pos)
            end = len(line) if end < 0 else end
            fields.append((line[pos:end].strip(), False))
            pos = end
        if pos >= len(line):
            return fields
        pos += 1  # the comma


def parse_text_time(value: str) -> datetime | None:
    """ "22/08/08,12:03:29+08" -> 2022-08-08 12:03:29+02:00; None when it is not a valid time."""
    match = _TIME.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    quarters = int(match[8] or 0) * (-1 if match[7] == "-" else 1)
    try:
        tz = timezone(timedelta(minutes=15 * quarters))
        return datetime(year % 100 + 2000, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def _ucs2_hex(value: str) -> str:
    return join_surrogates(bytes.fromhex(value).decode("utf-16-be", "surrogatepass"))


def parse_text_header(header: str, *, ucs2: bool = False) -> tuple[str, str, datetime | None]:
    """A +CMGR / +CMT text-mode header (with or without its prefix) -> (status or "",
    sender, time). With `ucs2` (AT+CSCS="UCS2") a hex-encoded sender is decoded."""
    line = header.strip()
    for prefix in ("+CMGR:", "+CMT:"):
        if line.startswith(prefix):
            line = line[len(prefix) :].strip()
            break
    fields = _fields(line)
    if not fields[0][1]:
        raise ValueError(
            f"not a text-mode SMS header (first field is not quoted; PDU mode?): {header!r}"
        )
    status = ""
    if fields[0][0] in STATUSES:
        status, fields = fields[0][0], fields[1:]
    if not fields:
        raise ValueError(f"text-mode SMS header has no sender: {header!r}")
    sender = fields[0][0]
    if ucs2 and _HEX.fullmatch(sender):
        sender = _ucs2_hex(sender)
    time = parse_text_time(fields[2][0]) if len(fields) > 2 else None
    return status, sender, time


def decode_text_body(body: str, ucs2: bool) -> str:
    """The line after a text-mode header -> text. UCS2: hex of UTF-16BE (4 hex digits per
    code unit); GSM: each character below U+0080 is a septet value (0x00 '@', 0x02 '$',
    0x1B escapes), anything above is passed through as the modem sent it."""
    if ucs2:
        value = "".join(body.split())
        bad = re.search(r"[^0-9A-Fa-f]", value)
        if bad:
            raise ValueError(
                f"UCS2 text body is not hex: {bad.group()!r} at position {bad.start()}"
            )
        if len(value) % 4:
            raise ValueError(f"UCS2 text body has {len(value)} hex digits, not a multiple of 4")
        return _ucs2_hex(value)
    out: list[str] = []
    run: list[int] = []
    for ch in body:
        if ord(ch) < 0x80:
            run.append(ord(ch))
            continue
        out.append(gsm7.decode_septets(run))
        run = []
        out.append(ch)
    out.append(gsm7.decode_septets(run))
    return "".join(out)


def encode_text_body(text: str, ucs2: bool) -> str:
    """Inverse of decode_text_body (for the simulator): UCS2 hex, or GSM septets as chars."""
    if ucs2:
        return text.encode("utf-16-be").hex().upper()
    return "".join(chr(septet) for septet in gsm7.encode_septets(text))


def format_text_header(sender: str, time: datetime, *, status: str = "", ucs2: bool = False) -> str:
    """The fields of a +CMGR (with `status`) or +CMT (without) text-mode header, no prefix."""
    offset = time.utcoffset() or timedelta(0)
    quarters = round(offset.total_seconds() / 900)
    sign = "-" if quarters < 0 else "+"
    stamp = f"{time:%y/%m/%d,%H:%M:%S}{sign}{abs(quarters):02d}"
    shown = sender.encode("utf-16-be").hex().upper() if ucs2 else sender
    fields = [f'"{status}"'] if status else []
    fields += [f'"{shown}"', '""', f'"{stamp}"']
    return ",".join(fields)
