"""What the modem reports about itself: SIM, registration, operator, signal, calls.

Pure decoding of the replies to AT+CPIN?, AT+CREG?/AT+CEREG?, AT+COPS?, AT+CSQ, AT+CLCC
into plain names; the lines that can also come as URCs go through the URC parser.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from modem.at.events import CallState, Registration, Signal
from modem.at.urc import parse_urc, split_fields, unquote

SIM_STATES = ("ready", "pin_required", "puk_required", "not_inserted", "busy", "error", "unknown")
REGISTRATIONS = ("home", "roaming", "searching", "denied", "not_registered", "unknown")

# +CPIN: values, and the +CME ERROR texts/codes AT+CPIN? answers with instead.
_CPIN = {
    "READY": "ready", "SIM PIN": "pin_required", "SIM PUK": "puk_required",
    "SIM PIN2": "ready", "SIM PUK2": "ready", "PH-SIM PIN": "pin_required",
    "NOT INSERTED": "not_inserted", "SIM NOT INSERTED": "not_inserted",
    "SIM BUSY": "busy", "SIM FAILURE": "error", "SIM WRONG": "error", "NOT READY": "busy",
    "SIM REMOVED": "not_inserted",
}
_CME_SIM = {10: "not_inserted", 11: "pin_required", 12: "puk_required", 13: "error",
            14: "busy", 15: "error"}


@dataclass
class CallInfo:
    id: int
    direction: str  # "in" / "out"
    state: str  # active, held, dialing, alerting, incoming, waiting, disconnect
    number: str


@dataclass
class ModemStatus:
    connected: bool = False
    sim: str = "unknown"
    registration: str = "unknown"
    operator: str = ""
    signal_dbm: int | None = None
    calls: list[CallInfo] = field(default_factory=list)
    error: str = ""  # why the line is not usable ("" when it is), in words for the user
    model: str = ""

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def sim_state(value: str) -> str:
    """``+CPIN: <value>`` (or a SimState URC's state) -> one of SIM_STATES."""
    return _CPIN.get(value.strip().upper(), "unknown")


def sim_state_from_error(code: int | None, text: str) -> str:
    """The SIM state AT+CPIN? means by ``+CME ERROR: 10`` / ``+CME ERROR: SIM busy``."""
    if code is not None:
        return _CME_SIM.get(code, "error")
    return _CPIN.get(text.strip().upper(), "error")


def registration(line: str) -> str:
    """A ``+CREG:``/``+CEREG:`` line (reply form ``+CREG: 2,1,...`` or URC form) -> status."""
    event = parse_urc(line)
    return event.status if isinstance(event, Registration) else "unknown"


def best_registration(*states: str) -> str:
    """CS (+CREG) and EPS (+CEREG) registrations combined: registered on either counts."""
    for wanted in ("home", "roaming", "searching", "denied", "not_registered"):
        if wanted in states:
            return wanted
    return "unknown"


def operator(line: str) -> str:
    """A ``+COPS: 0,0,"Operator Name",7`` line -> "Operator Name"; ``+COPS: 0`` (none) -> ""."""
    fields = split_fields(line.partition(":")[2])
    return unquote(fields[2]) if len(fields) >= 3 else ""


def signal_dbm(line: str) -> int | None:
    """A ``+CSQ: 22,0`` line -> -69 dBm; rssi 99 (unknown) -> None."""
    event = parse_urc(line)
    return event.dbm if isinstance(event, Signal) else None


def call_info(event: CallState) -> CallInfo:
    return CallInfo(event.id, event.direction, event.state, event.number)


def calls(lines: list[str]) -> list[CallInfo]:
    """The ``+CLCC:`` lines of an AT+CLCC reply -> the calls (malformed lines skipped)."""
    events = [parse_urc(line) for line in lines if line.startswith("+CLCC:")]
    return [call_info(e) for e in events if isinstance(e, CallState)]


_SIM_PROBLEMS = {
    "pin_required": "the SIM needs a PIN (set gsm.pin)",
    "puk_required": "the SIM is locked (PUK required): unlock it in a phone",
    "not_inserted": "no SIM card in the modem",
    "busy": "the SIM is busy (still starting up)",
    "error": "the SIM card failed",
    "unknown": "the SIM state is unknown",
}
_REG_PROBLEMS = {
    "searching": "no network: searching",
    "denied": "no network: registration denied",
    "not_registered": "no network: not registered",
    "unknown": "no network: registration unknown",
}


def problem(sim: str, registration: str) -> str:
    """Why calls and SMS cannot work, in words; "" when SIM and network are fine."""
    if sim != "ready":
        return _SIM_PROBLEMS.get(sim, f"SIM: {sim}")
    return _REG_PROBLEMS.get(registration, "")
