"""Plain text: paragraphs separated by blank lines, no headings."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.knowledge.loaders.textio import read_text
from appliance.knowledge.model import Section


def paragraphs(text: str) -> list[str]:
    parts = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [" ".join(p.split()) for p in parts if p.strip()]


def load(path: Path) -> list[Section]:
    return [Section((), p) for p in paragraphs(read_text(path))]
