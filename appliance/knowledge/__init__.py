"""The office's knowledge base: the only source the receptionist may answer from.

``for_home(home)`` manages ``<home>/kb``: loaders per format (Markdown, text,
PDF, FAQ CSV), heading-aware chunking, a ChromaDB index fed with our own MiniLM embeddings,
and atomic generation swaps so calls keep searching while the office edits the KB.
"""

from __future__ import annotations

from pathlib import Path

from appliance.brain.embed import Embedder
from appliance.home import Home
from appliance.knowledge.base import KnowledgeBase, KnowledgeError
from appliance.knowledge.model import (
    MAX_FILE_BYTES,
    DocumentInfo,
    IngestReport,
    Passage,
    RejectedFile,
)


def kb_dir(home: Home) -> Path:
    return home.root / "kb"


def for_home(home: Home, embedder: Embedder | None = None) -> KnowledgeBase:
    return KnowledgeBase(kb_dir(home), embedder)


__all__ = [
    "MAX_FILE_BYTES",
    "DocumentInfo",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeError",
    "Passage",
    "RejectedFile",
    "for_home",
    "kb_dir",
]
