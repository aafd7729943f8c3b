"""Line-level events: what GsmLine publishes besides the modem's own URC events.

Calls are told with their number (the CallTracker's view, not the bare URCs), SMS as whole
messages, and the link to the modem as disconnected / reconnected / status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from modem.at.events import CallState, Clip, Dtmf, Event, Registration, Ring, Signal, SimState
from modem.sim7600.status import ModemStatus


@dataclass(frozen=True)
class CallBegun:
    """A call was answered (in) or picked up by the far end (out)."""

    kind: ClassVar[str] = "call_begin"
    number: str
    direction: str  # "in" / "out"

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "number": self.number, "direction": self.direction}


@dataclass(frozen=True)
class CallEnded:
    """A call that had begun ended; an outgoing call nobody answered ends with duration 0."""

    kind: ClassVar[str] = "call_end"
    number: str
    direction: str
    duration_s: int

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "number": self.number, "direction": self.direction,
                "duration_s": self.duration_s}


@dataclass(frozen=True)
class CallMissed:
    """An incoming call stopped ringing before it was answered; ``time`` as the modem says it."""

    kind: ClassVar[str] = "missed_call"
    number: str
    time: str

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "number": self.number, "time": self.time}


@dataclass(frozen=True)
class CallWaitingIn:
    """A second caller while a call is up (reject with Sim7600.reject_waiting)."""

    kind: ClassVar[str] = "call_waiting"
    number: str

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "number": self.number}


@dataclass(frozen=True)
class SmsReceived:
    """A whole received message (multipart messages reassembled)."""

    kind: ClassVar[str] = "sms_received"
    sender: str
    text: str
    time: datetime | None

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "sender": self.sender, "text": self.text,
                "time": self.time.isoformat() if self.time else None}


@dataclass(frozen=True)
class Disconnected:
    kind: ClassVar[str] = "disconnected"
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class Reconnected:
    kind: ClassVar[str] = "reconnected"

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind}


@dataclass(frozen=True)
class ModemState:
    """The line's status changed (SIM, registration, operator, signal, calls, error)."""

    kind: ClassVar[str] = "status"
    status: ModemStatus

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, **self.status.to_json()}


CallEvent = CallBegun | CallEnded | CallMissed | CallWaitingIn
LineEvent = (
    Ring | Clip | CallState | Dtmf | Signal | Registration | SimState | CallEvent | SmsReceived
    | Disconnected | Reconnected | ModemState
)
# The modem's own events GsmLine passes on unchanged.
PASSED_ON: tuple[type[Event], ...] = (Ring, Clip, CallState, Dtmf, Signal, Registration, SimState)
