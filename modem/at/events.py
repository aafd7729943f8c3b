"""Typed unsolicited events from the modem's AT port (one frozen dataclass per URC).

Every event has a class constant ``kind`` (the JSON "event" name) and ``to_json()``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar


class _Event:
    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, object]:
        fields = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {"event": self.kind, **fields}


@dataclass(frozen=True)
class Ring(_Event):
    kind: ClassVar[str] = "ring"


@dataclass(frozen=True)
class Clip(_Event):
    """``+CLIP: "+27821231234",145,,,"alpha",0`` - caller id of a ringing call."""

    kind: ClassVar[str] = "clip"
    number: str
    type: int | None
    alpha: str = ""


@dataclass(frozen=True)
class CallState(_Event):
    """``+CLCC`` line; direction "in"/"out", state "active" ... "disconnect"."""

    kind: ClassVar[str] = "call_state"
    id: int
    direction: str
    state: str
    number: str = ""
    type: int | None = None


@dataclass(frozen=True)
class CallBegin(_Event):
    kind: ClassVar[str] = "call_begin"


@dataclass(frozen=True)
class CallEnd(_Event):
    kind: ClassVar[str] = "call_end"
    duration_s: int | None = None


@dataclass(frozen=True)
class MissedCall(_Event):
    kind: ClassVar[str] = "missed_call"
    time: str
    number: str


@dataclass(frozen=True)
class CallWaiting(_Event):
    kind: ClassVar[str] = "call_waiting"
    number: str
    type: int | None = None


@dataclass(frozen=True)
class NoCarrier(_Event):
    kind: ClassVar[str] = "no_carrier"


@dataclass(frozen=True)
class Dtmf(_Event):
    kind: ClassVar[str] = "dtmf"
    digit: str


@dataclass(frozen=True)
class SmsStored(_Event):
    kind: ClassVar[str] = "sms_stored"
    storage: str
    index: int


@dataclass(frozen=True)
class SmsDeliver(_Event):
    """``+CMT:`` header (after "+CMT: ") and the next line as body (text, or hex PDU)."""

    kind: ClassVar[str] = "sms_deliver"
    header: str
    body: str


@dataclass(frozen=True)
class Signal(_Event):
    kind: ClassVar[str] = "signal"
    rssi: int
    ber: int
    dbm: int | None


@dataclass(frozen=True)
class Registration(_Event):
    kind: ClassVar[str] = "registration"
    stat: int
    status: str
    lac: str = ""
    ci: str = ""
    act: int | None = None
    source: str = "CREG"


@dataclass(frozen=True)
class SimState(_Event):
    kind: ClassVar[str] = "sim"
    state: str


@dataclass(frozen=True)
class Boot(_Event):
    """``RDY``, ``SMS DONE``, ``PB DONE`` after power-up or reset."""

    kind: ClassVar[str] = "boot"
    what: str


@dataclass(frozen=True)
class Unknown(_Event):
    """A line nobody asked for and no parser knows; users log and skip it."""

    kind: ClassVar[str] = "unknown"
    line: str


Event = (
    Ring | Clip | CallState | CallBegin | CallEnd | MissedCall | CallWaiting | NoCarrier | Dtmf
    | SmsStored | SmsDeliver | Signal | Registration | SimState | Boot | Unknown
)
