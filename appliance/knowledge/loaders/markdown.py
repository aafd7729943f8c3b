"""Markdown: each block of text remembers the heading path above it.

Only the structure matters for retrieval, so this is a line scanner rather than a full
CommonMark parser: ATX headings (``#``..``######``), list items and paragraphs; inline
emphasis, links and code markers are reduced to their text.
"""

from __future__ import annotations

import re
from pathlib import Path

from appliance.knowledge.loaders.textio import read_text
from appliance.knowledge.model import Section

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(.+?)\1")


def _inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return _EMPHASIS.sub(r"\2", text).strip()


def _sentence(item: str) -> str:
    # List items rarely end with a full stop; add one so the chunker sees a sentence boundary.
    return item if item[-1:] in ".!?:;" else item + "."


def parse(text: str) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    in_code = False

    def flush() -> None:
        body = " ".join(" ".join(block).split())
        if body:
            sections.append(Section(tuple(h for _, h in stack), body))
        block.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        heading = None if in_code else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, _inline(heading.group(2))))
        elif not line.strip():
            # A blank line ends a paragraph but not the section: keep text under its heading.
            if block and block[-1] and block[-1][-1:] not in ".!?:;":
                block[-1] += "."
        elif _LIST_ITEM.match(line):
            item = _inline(_LIST_ITEM.sub("", line, count=1))
            if item:
                block.append(_sentence(item))
        else:
            block.append(_inline(line.lstrip("> ")))
    flush()
    return sections


def load(path: Path) -> list[Section]:
    return parse(read_text(path))
