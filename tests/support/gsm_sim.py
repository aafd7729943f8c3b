"""The SIM7600 simulator as a separate process (as a real modem is), scripted over its
control socket - for the tests that run the whole appliance against it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class SimulatedModem:
    def __init__(self, *args: str, directory: Path | None = None) -> None:
        self.dir = directory or Path(tempfile.mkdtemp(prefix="sim-", dir="/tmp"))
        self.control = self.dir / "control.sock"
        with open(self.dir / "simulator.log", "wb") as log:  # the child keeps its own fd
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "modem.simulator", "--dir", str(self.dir),
                 "--control", str(self.control), *args],
                stdout=subprocess.PIPE, stderr=log, text=True)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if not ready:
            raise RuntimeError(f"the simulator did not start:\n{self.log()}")
        self.ports = json.loads(ready)

    @property
    def at_port(self) -> str:
        return str(self.dir / "sim7600-at")

    @property
    def audio_port(self) -> str:
        return str(self.dir / "sim7600-audio")

    def op(self, op: str, **params: Any) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(self.control))
            s.sendall(json.dumps({"op": op, **params}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        answer: dict[str, Any] = json.loads(data)
        if not answer.get("ok"):
            raise AssertionError(f"simulator refused {op}: {answer}")
        return answer

    def state(self) -> dict[str, Any]:
        return self.op("state")

    def wait_for(self, predicate: Any, timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.state()
            if predicate(st):
                return st
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}: "
                             f"{self.state()}\n{self.log()}")

    def log(self) -> str:
        p = self.dir / "simulator.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
