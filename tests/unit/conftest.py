"""Fixtures shared by unit test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.brain.embed import EmbedError, load
from appliance.knowledge import KnowledgeBase

DENTAL_KB = Path(__file__).parents[1] / "data" / "kb"


@pytest.fixture(scope="module")
def dental_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The Maple Street Dental knowledge base (tests/data/kb), indexed with the real MiniLM."""
    try:
        embedder = load()
    except EmbedError as exc:
        pytest.skip(str(exc))
    base = KnowledgeBase(tmp_path_factory.mktemp("kb") / "kb", embedder)
    report = base.add([DENTAL_KB / "clinic.md", DENTAL_KB / "faq.csv", DENTAL_KB / "team.txt"])
    assert not report.rejected
    yield base
    base.close()
