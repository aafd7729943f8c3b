"""Plain data shared by the knowledge-base loaders, chunker, store and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 10 * 1024 * 1024  # default per-file limit; KnowledgeBase(max_bytes=...)


class RejectedFile(Exception):  # noqa: N818 - it is a verdict on a file, raised by loaders
    """A file the knowledge base will not take; ``str()`` names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Section:
    """Text under one heading path; ``whole`` sections (FAQ rows) are never split."""

    headings: tuple[str, ...]
    text: str
    whole: bool = False


@dataclass(frozen=True)
class LoadedDocument:
    name: str
    kind: str  # "markdown", "text", "pdf", "faq"
    sections: list[Section]


@dataclass(frozen=True)
class Chunk:
    text: str
    source: str


@dataclass(frozen=True)
class Passage:
    text: str
    source: str
    score: float  # cosine similarity, higher is better


@dataclass(frozen=True)
class DocumentInfo:
    name: str
    kind: str
    chunks: int
    added_at: str  # ISO 8601 UTC


@dataclass
class IngestReport:
    accepted: list[DocumentInfo] = field(default_factory=list)
    rejected: list[RejectedFile] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # names that overwrote older documents
