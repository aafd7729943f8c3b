"""SIM7600 features: status decoding, call tracking, commands (Sim7600), the line (GsmLine)."""

from modem.sim7600.calls import CallTracker
from modem.sim7600.events import (
    CallBegun,
    CallEnded,
    CallMissed,
    CallWaitingIn,
    Disconnected,
    LineEvent,
    ModemState,
    Reconnected,
    SmsReceived,
)
from modem.sim7600.line import GsmLine
from modem.sim7600.modem import Sim7600
from modem.sim7600.status import CallInfo, ModemStatus

__all__ = [
    "CallBegun", "CallEnded", "CallInfo", "CallMissed", "CallTracker", "CallWaitingIn",
    "Disconnected", "GsmLine", "LineEvent", "ModemState", "ModemStatus", "Reconnected",
    "Sim7600", "SmsReceived",
]
