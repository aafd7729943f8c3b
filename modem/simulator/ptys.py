"""Pseudo-terminal pairs standing in for the modem's USB serial ports.

The host opens the slave end through a stable symlink (DIR/sim7600-at), as it would open a
udev name. We keep our own slave fd open so the master never sees EIO while the host is
away; "unplugging" closes both our ends, so the host's fd gets EIO/EOF just as pyserial
sees a USB modem vanish, and removes the symlink until new ptys appear.
"""

from __future__ import annotations

import contextlib
import os
import tty
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pty:
    master: int
    slave: int
    name: str  # /dev/pts/N

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def open_pty() -> Pty:
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no CR/LF translation: bytes pass as on a USB CDC port
    os.set_blocking(master, False)
    name = os.ttyname(slave)
    # The host side may run as another user (a service account): let it open the port.
    with contextlib.suppress(OSError):
        os.chmod(name, 0o666)
    return Pty(master, slave, name)


def link(path: Path, target: str) -> None:
    """Points `path` at `target` atomically (no moment without a link while replacing)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class PortPair:
    """The AT port and the audio port, plugged in or not."""

    def __init__(self, directory: Path) -> None:
        self.at_link = directory / "sim7600-at"
        self.audio_link = directory / "sim7600-audio"
        self.at: Pty | None = None
        self.audio: Pty | None = None

    @property
    def plugged(self) -> bool:
        return self.at is not None

    def plug(self) -> None:
        if self.at is not None:
            return
        self.at, self.audio = open_pty(), open_pty()
        link(self.at_link, self.at.name)
        link(self.audio_link, self.audio.name)

    def unplug(self) -> None:
        """Links first (nobody opens a dying port), then the fds (the host sees EIO)."""
        unlink(self.at_link)
        unlink(self.audio_link)
        for pty in (self.at, self.audio):
            if pty is not None:
                pty.close()
        self.at = self.audio = None
