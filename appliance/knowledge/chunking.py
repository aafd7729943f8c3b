"""Split sections into retrieval chunks of about 60-120 words on sentence boundaries.

Every chunk of a section is prefixed with its heading path ("Opening hours > Holidays: ..."),
so a chunk stays meaningful on its own; whole sections (FAQ rows) are never split.
"""

from __future__ import annotations

import re

from appliance.knowledge.model import Chunk, LoadedDocument, Section

MIN_WORDS = 60
MAX_WORDS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _pieces(text: str, max_words: int) -> list[list[str]]:
    """Sentences as word lists; a sentence longer than max_words is cut into windows."""
    out: list[list[str]] = []
    for sentence in sentences(text):
        words = sentence.split()
        for start in range(0, len(words), max_words):
            out.append(words[start : start + max_words])
    return out


def split_words(text: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[str]:
    """Pack sentences into evenly sized chunks of at most max_words (unless one sentence is
    longer), so a long section does not end with a stub chunk."""
    pieces = _pieces(text, max_words)
    total = sum(len(p) for p in pieces)
    target = total / max(1, -(-total // max_words))  # even share over ceil(total/max) chunks
    chunks: list[list[str]] = []
    current: list[str] = []
    for piece in pieces:
        if current and (len(current) + len(piece) > max_words or len(current) >= target):
            chunks.append(current)
            current = []
        current = current + piece
    if current:
        if chunks and len(current) < min_words // 2:
            chunks[-1] = chunks[-1] + current  # a stub alone retrieves badly; overshoot a bit
        else:
            chunks.append(current)
    return [" ".join(c) for c in chunks]


def chunk_section(section: Section, source: str) -> list[Chunk]:
    prefix = " > ".join(section.headings)
    bodies = [section.text.strip()] if section.whole else split_words(section.text)
    return [Chunk(f"{prefix}: {body}" if prefix else body, source) for body in bodies]


def chunk_document(doc: LoadedDocument) -> list[Chunk]:
    # Headless paragraphs (text, PDF) are merged first so chunks reach ~60 words; sections
    # with headings stay apart so a heading never leaks onto another section's text.
    merged: list[Section] = []
    for section in doc.sections:
        prev = merged[-1] if merged else None
        if (prev is not None and not section.whole and not prev.whole
                and not section.headings and not prev.headings):
            merged[-1] = Section((), f"{prev.text} {section.text}")
        else:
            merged.append(section)
    return [c for s in merged for c in chunk_section(s, doc.name)]
