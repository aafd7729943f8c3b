"""Parse unsolicited result codes (URCs) into typed events; the reply prefix of a command."""

from __future__ import annotations

import logging
import re

from modem.at.events import (
    Boot,
    CallBegin,
    CallEnd,
    CallState,
    CallWaiting,
    Clip,
    Dtmf,
    Event,
    MissedCall,
    NoCarrier,
    Registration,
    Ring,
    Signal,
    SimState,
    SmsStored,
    Unknown,
)

log = logging.getLogger(__name__)

CALL_STATES = ("active", "held", "dialing", "alerting", "incoming", "waiting", "disconnect")
REG_STATUS = ("not_registered", "home", "searching", "denied", "unknown", "roaming")
# Two-line URC: the header line is followed by a body line (text, or a hex PDU).
CMT = "+CMT"

_PLAIN: dict[str, Event] = {
    "RING": Ring(), "+CRING: VOICE": Ring(), "NO CARRIER": NoCarrier(),
    "RDY": Boot("RDY"), "SMS DONE": Boot("SMS DONE"), "PB DONE": Boot("PB DONE"),
}
_COMMAND = re.compile(r"^AT([+^$#%*][A-Z0-9]+)", re.IGNORECASE)


def urc_prefix(cmd: str) -> str | None:
    """The prefix the command's own reply lines carry: AT+CPIN? -> "+CPIN", ATA -> None."""
    match = _COMMAND.match(cmd.strip())
    return match.group(1).upper() if match else None


def line_prefix(line: str) -> str:
    """``"+CLCC: 1,..."`` -> ``"+CLCC"``; "" when the line has no ``X:`` prefix."""
    head, sep, _ = line.partition(":")
    return head.strip() if sep else ""


def split_fields(value: str) -> list[str]:
    """Comma separated fields, stripped; quoted fields may hold commas and keep their quotes."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == "," and not quoted:
            fields.append("".join(current).strip())
            current = []
            continue
        if char == '"':
            quoted = not quoted
        current.append(char)
    fields.append("".join(current).strip())
    return fields


def unquote(field: str) -> str:
    return field[1:-1] if len(field) >= 2 and field[0] == field[-1] == '"' else field


def _int(field: str) -> int | None:
    field = unquote(field).strip()
    return int(field) if field.isdigit() else None


def _at(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


def parse_urc(line: str) -> Event | None:
    """The event for a known URC line; ``Unknown(line)`` for a known prefix with bad
    fields; None for a line that is not a URC this parser knows (a reply, garbage)."""
    line = line.strip()
    if line in _PLAIN:
        return _PLAIN[line]
    prefix = line_prefix(line)
    parser = _PARSERS.get(prefix)
    if parser is None:
        return None
    value = line.partition(":")[2].strip()
    try:
        return parser(prefix, value)
    except (ValueError, IndexError) as exc:
        log.debug("malformed %s URC %r: %s", prefix, line, exc)
        return Unknown(line)


def _clip(_: str, value: str) -> Event:
    f = split_fields(value)
    return Clip(unquote(f[0]), _int(_at(f, 1)), unquote(_at(f, 4)))


def _clcc(_: str, value: str) -> Event:
    f = split_fields(value)
    stat = int(f[2])
    return CallState(int(f[0]), "in" if int(f[1]) == 1 else "out", CALL_STATES[stat],
                     unquote(_at(f, 5)), _int(_at(f, 6)))


def _ccwa(_: str, value: str) -> Event:
    f = split_fields(value)
    return CallWaiting(unquote(f[0]), _int(_at(f, 1)))


def _voice_call(_: str, value: str) -> Event:
    # "VOICE CALL: END: 000017"; the manual says HHMMSS, ModemManager reads seconds.
    what, _, duration = value.partition(":")
    if what.strip() == "BEGIN":
        return CallBegin()
    if what.strip() != "END":
        raise ValueError(f"unknown VOICE CALL event {what!r}")
    return CallEnd(_duration(duration.strip()))


def _duration(text: str) -> int | None:
    if not text.isdigit():
        return None
    if len(text) == 6:
        hours, minutes, seconds = int(text[:2]), int(text[2:4]), int(text[4:])
        if minutes < 60 and seconds < 60:
            return hours * 3600 + minutes * 60 + seconds
    return int(text)


def _missed(_: str, value: str) -> Event:
    time, _, number = value.partition(" ")
    if not time:
        raise ValueError("empty MISSED_CALL")
    return MissedCall(time, number.strip())


def _dtmf(_: str, value: str) -> Event:
    digit = value.strip()
    if len(digit) != 1 or digit not in "0123456789ABCD*#":
        raise ValueError(f"bad DTMF digit {digit!r}")
    return Dtmf(digit)


def _cmti(_: str, value: str) -> Event:
    f = split_fields(value)
    return SmsStored(unquote(f[0]), int(f[1]))


def _csq(_: str, value: str) -> Event:
    f = split_fields(value)
    rssi, ber = int(f[0]), int(f[1])
    return Signal(rssi, ber, -113 + 2 * rssi if 0 <= rssi <= 31 else None)


def _reg(prefix: str, value: str) -> Event:
    # URC "+CREG: <stat>[,"<lac>","<ci>"[,<act>]]"; reply "+CREG: <n>,<stat>[,...]".
    f = split_fields(value)
    if len(f) >= 2 and f[1] and not f[1].startswith('"'):
        f = f[1:]
    stat = int(f[0])
    return Registration(stat, REG_STATUS[stat], unquote(_at(f, 1)), unquote(_at(f, 2)),
                        _int(_at(f, 3)), prefix[1:])


def _cpin(_: str, value: str) -> Event:
    if not value:
        raise ValueError("empty +CPIN")
    return SimState(value)


_PARSERS = {
    "+CLIP": _clip, "+CLCC": _clcc, "+CCWA": _ccwa, "VOICE CALL": _voice_call,
    "MISSED_CALL": _missed, "+RXDTMF": _dtmf, "+CMTI": _cmti, "+CSQ": _csq,
    "+CREG": _reg, "+CEREG": _reg, "+CGREG": _reg, "+CPIN": _cpin,
}
