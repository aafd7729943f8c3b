"""The simulator's AT behaviour as pure code: time is handed in, so minutes of ringing or an
hour-long call take no wall time."""

from __future__ import annotations

import re
from typing import Any

from modem.simulator.device import Device
from modem.simulator.state import DeviceConfig, PcmOn


class Clock:
    def __init__(self, device: Device) -> None:
        self.device, self.now = device, 0.0

    def at(self, t: float, data: bytes = b"") -> bytes:
        """Advances to t (running every timer due on the way), feeds data, returns the output."""
        out = b""
        while True:
            due = self.device.next_due()
            if due is None or due > t:
                break
            self.now = max(self.now, due)
            self.device.advance(self.now)
            out += self.device.take_output()
        self.now = t
        if data:
            self.device.feed(data, t)
        self.device.advance(t)
        return out + self.device.take_output()


def _booted(**config: Any) -> Clock:
    device = Device(DeviceConfig(**config))
    clock = Clock(device)
    device.power_on(0.0)
    assert clock.at(5.0) == b"\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
    assert clock.at(5.0, b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
    return clock


def test_rings_every_interval_then_missed_call() -> None:
    clock = _booted(ring_interval=3.0, max_rings=5)
    clock.device.calls.ring("08020866256")
    out = clock.at(20.0)
    assert out.count(b"RING") == 5
    assert re.fullmatch(rb"(\r\nRING\r\n){5}\r\nMISSED_CALL: \d\d:\d\d[AP]M 08020866256\r\n", out)
    assert clock.device.calls.to_json() == []


def test_hour_long_call_duration_is_hhmmss() -> None:
    clock = _booted()
    clock.device.calls.ring("+27821231234")
    clock.at(6.0)
    assert clock.at(6.0, b"ATA\r") == b"\r\nVOICE CALL: BEGIN\r\n\r\nOK\r\n"
    assert clock.at(6.5, b"AT+CPCMREG=1\r") == b"\r\nOK\r\n"
    assert clock.device.take_effects()[-1] == PcmOn(8000)
    assert clock.at(6.0 + 3725, b"AT+CHUP\r") == b"\r\nVOICE CALL: END: 010205\r\n\r\nOK\r\n"


def test_command_lines_compound_unknown_and_queued_behind_a_pending_send() -> None:
    clock = _booted(sms_send_delay=2.0)
    assert clock.at(6.0, b"AT+CMEE=2;+CLIP=1\r") == b"\r\nOK\r\n"
    assert clock.at(6.0, b"AT+CLIP=1;+BOGUS;+CMEE=0\r") == b"\r\nERROR\r\n"
    assert clock.device.ctx.settings.cmee == 2  # the line stopped at the unknown command
    assert clock.at(6.0, b'AT+CMGF=1\rAT+CMGS="123"\r') == b"\r\nOK\r\n\r\n> "
    assert clock.at(6.0, b"hello\x1aAT+CSQ\r") == b""  # the modem is busy sending
    assert clock.at(8.0) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CSQ: 22,0\r\n\r\nOK\r\n"


def test_pcm_refused_until_the_call_has_settled() -> None:
    clock = _booted(pcm_ready_delay=0.5)
    clock.device.calls.ring("+27821231234")
    clock.at(6.0, b"ATA\r")
    assert clock.at(6.2, b"AT+CPCMREG=1\r") == b"\r\nERROR\r\n"
    assert clock.at(6.6, b"AT+CPCMREG=1\r") == b"\r\nOK\r\n"
