"""The AT serial port for asyncio: pyserial opens and configures it, the event loop's
reader callback (loop.add_reader) drains it without blocking. Works on ttys and ptys."""

from __future__ import annotations

import asyncio
import errno
import os

import serial

from modem.at.errors import PortGone

READ_SIZE = 4096
_REASONS = {
    errno.ENOENT: "no such device (modem unplugged or wrong path?)",
    errno.EACCES: "permission denied (is the user in the dialout group?)",
    errno.EAGAIN: "in use by another program (it holds the port's lock)",
    errno.EBUSY: "device busy",
}


class SerialPort:
    """Async read/write over an open pyserial port; EOF/EIO/SerialException -> PortGone."""

    def __init__(self, port: serial.Serial, path: str) -> None:
        self.path = path
        self._serial = port
        self._fd = port.fileno()
        os.set_blocking(self._fd, False)
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._readable = asyncio.Event()
        self._error = ""
        self._loop.add_reader(self._fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            # timeout=0: returns what is there; no data on a readable fd raises (unplugged).
            data = self._serial.read(READ_SIZE)
        except (serial.SerialException, OSError) as exc:
            self._stop(f"{self.path}: port went away ({exc})")
        else:
            self._buffer += data
        self._readable.set()

    async def read(self) -> bytes:
        """The bytes received so far (never b""); PortGone once the port is gone."""
        while not self._buffer:
            if self._error:
                raise PortGone(self._error)
            self._readable.clear()
            await self._readable.wait()
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._error:
                raise PortGone(self._error)
            try:
                sent = os.write(self._fd, view)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                self._stop(f"{self.path}: write failed: {exc}")
                raise PortGone(self._error) from exc
            view = view[sent:]
            if view:
                await self._writable()

    async def _writable(self) -> None:
        ready = self._loop.create_future()
        self._loop.add_writer(self._fd, ready.set_result, None)
        try:
            await ready
        finally:
            self._loop.remove_writer(self._fd)

    def close(self) -> None:
        self._stop(f"{self.path}: closed")
        self._serial.close()

    def _stop(self, reason: str) -> None:
        if not self._error:
            self._error = reason
            self._loop.remove_reader(self._fd)
            self._readable.set()


async def open_port(path: str, baudrate: int = 115200) -> SerialPort:
    """Open the modem's AT port; PortGone naming the path when it cannot be opened."""
    try:
        port = serial.Serial(path, baudrate, timeout=0, write_timeout=0, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        code = getattr(exc, "errno", None)
        reason = _REASONS.get(code) if isinstance(code, int) else None
        if reason is None:
            reason = os.strerror(code) if isinstance(code, int) else str(exc)
        raise PortGone(f"cannot open {path}: {reason}") from exc
    return SerialPort(port, path)
