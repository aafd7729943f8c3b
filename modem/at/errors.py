"""The AT error tree: every non-OK final result, a timeout, or a port that went away."""

from __future__ import annotations

import re


class AtError(Exception):
    """A command failed; ``final`` is the final result line ("" when there was none)."""

    def __init__(self, message: str, final: str = "") -> None:
        super().__init__(message)
        self.final = final


class CmeError(AtError):
    """``+CME ERROR: 14`` (numeric, AT+CMEE=1) or ``+CME ERROR: SIM busy`` (verbose, =2)."""

    def __init__(self, message: str, final: str, code: int | None, text: str) -> None:
        super().__init__(message, final)
        self.code = code
        self.text = text


class CmsError(AtError):
    """``+CMS ERROR: 500`` - an SMS command failed."""

    def __init__(self, message: str, final: str, code: int | None, text: str) -> None:
        super().__init__(message, final)
        self.code = code
        self.text = text


class CallFailed(AtError):
    """NO CARRIER / BUSY / NO ANSWER as the final result of a dial or answer."""


class AtTimeout(AtError):
    """No final result within the command's timeout."""


class PortGone(AtError):
    """The port closed or the USB device went away (EOF, EIO, pyserial's SerialException)."""


_CODED = re.compile(r"^\+(CME|CMS) ERROR:\s*(.*)$")


_SECRET = re.compile(r"(\+CPIN=|\+CLCK=[^,]*,[^,]*,|\+CPWD=[^,]*,)(.*)", re.I)


def shown(command: str) -> str:
    """``command`` as errors and logs may show it: a PIN/PUK/password is never printed."""
    return _SECRET.sub(lambda m: m.group(1) + '"****"', command)


def error_for(command: str, final: str) -> AtError:
    """The exception for a non-OK final result line of ``command``."""
    message = f"{shown(command)}: {final}"
    match = _CODED.match(final)
    if match:
        value = match.group(2).strip()
        code = int(value) if value.isdigit() else None
        cls = CmeError if match.group(1) == "CME" else CmsError
        return cls(message, final, code, value)
    if final in ("NO CARRIER", "BUSY", "NO ANSWER"):
        return CallFailed(message, final)
    return AtError(message, final)
