"""Decode a text file strictly, so mojibake never reaches the knowledge base."""

from __future__ import annotations

from pathlib import Path

from appliance.knowledge.model import RejectedFile


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RejectedFile(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")  # utf-8-sig: Windows editors add a BOM
    except UnicodeDecodeError as exc:
        raise RejectedFile(path, f"not UTF-8 text (bad byte at offset {exc.start})") from None
