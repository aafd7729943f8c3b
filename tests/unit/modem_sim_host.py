"""Test harness for the modem simulator: the Simulator on its own thread and event loop, and
a host side that talks to its ptys with plain pyserial (never through modem.at)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import serial

from modem.simulator import DeviceConfig, Simulator

T = TypeVar("T")

FAST = {
    "boot_delay": 0.3, "sim_busy_seconds": 0.1, "ring_interval": 0.3, "dial_alert_after": 0.1,
    "dial_result_after": 0.2, "sms_send_delay": 0.05, "reset_seconds": 0.5,
}
BOOT = b"\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"


class SimThread:
    """A running Simulator whose loop lives on a background thread, so tests can block."""

    def __init__(self, directory: Path, **config: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = Simulator(directory, DeviceConfig(**{**FAST, **config}))
        self.run(self.sim.start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def state(self) -> dict[str, Any]:
        async def get() -> dict[str, Any]:
            return self.sim.state()

        return self.run(get())

    def close(self) -> None:
        self.run(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Host:
    """The host's end of a port: pyserial with short reads, helpers to wait for bytes."""

    def __init__(self, path: Path | str) -> None:
        self.port = serial.Serial(str(path), 115200, timeout=0.05)
        self.buf = b""

    def read_until(self, needle: bytes, timeout: float = 3.0) -> bytes:
        """Everything up to and including `needle` (the rest stays buffered)."""
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} within {timeout} s; got {self.buf!r}")
            self.buf += self.port.read(4096)
        end = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    def command(self, cmd: str, final: bytes = b"OK\r\n", timeout: float = 3.0) -> bytes:
        self.port.write(cmd.encode() + b"\r")
        return self.read_until(final, timeout)

    def quiet(self, seconds: float = 0.3) -> bytes:
        """Whatever arrives within `seconds`, plus anything already buffered."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.buf += self.port.read(4096)
        out, self.buf = self.buf, b""
        return out

    def close(self) -> None:
        self.port.close()


def booted_host(sim: SimThread, init: tuple[str, ...] = ("ATE0", "AT+CMEE=2")) -> Host:
    """A host that has seen the boot URCs and sent `init` (echo off, verbose errors)."""
    host = Host(sim.sim.at_path)
    host.read_until(b"PB DONE\r\n")
    for cmd in init:
        host.command(cmd)
    return host
