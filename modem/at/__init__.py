"""The SIM7600's AT port: line framing, typed URC events, one command in flight."""

from modem.at.engine import AtEngine, Port, Response
from modem.at.errors import AtError, AtTimeout, CallFailed, CmeError, CmsError, PortGone
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
    SmsDeliver,
    SmsStored,
    Unknown,
)
from modem.at.lines import LineSplitter
from modem.at.port import SerialPort, open_port
from modem.at.urc import parse_urc, urc_prefix

__all__ = [
    "AtEngine", "AtError", "AtTimeout", "Boot", "CallBegin", "CallEnd", "CallFailed",
    "CallState", "CallWaiting", "Clip", "CmeError", "CmsError", "Dtmf", "Event",
    "LineSplitter", "MissedCall", "NoCarrier", "Port", "PortGone", "Registration",
    "Response", "Ring", "SerialPort", "Signal", "SimState", "SmsDeliver", "SmsStored",
    "Unknown", "open_port", "parse_urc", "urc_prefix",
]
