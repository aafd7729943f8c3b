import threading
from pathlib import Path

import numpy as np
import pytest

from appliance.knowledge import KnowledgeBase, KnowledgeError
from appliance.knowledge.store import ChromaIndex
from tests.unit.test_knowledge_support import HashEmbedder, make_pdf

DATA = Path(__file__).parents[1] / "data" / "kb"
FILES = [DATA / "clinic.md", DATA / "faq.csv", DATA / "team.txt"]


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(tmp_path / "kb", HashEmbedder())


def _leftovers(kb: KnowledgeBase) -> list[str]:
    return sorted(p.name for p in kb.root.iterdir() if p.name.startswith((".tmp-", "gen-")))


def test_empty_kb(kb: KnowledgeBase) -> None:
    assert kb.list() == [] and kb.search("parking") == []


def test_add_list_search_and_sources_copied(kb: KnowledgeBase, tmp_path: Path) -> None:
    messages: list[str] = []
    report = kb.add(FILES, progress=messages.append)
    assert [d.name for d in report.accepted] == ["clinic.md", "faq.csv", "team.txt"]
    assert report.rejected == [] and report.replaced == []
    assert any("faq.csv (faq, 3 chunks)" in m for m in messages)
    docs = {d.name: d for d in kb.list()}
    assert docs["faq.csv"].kind == "faq" and docs["faq.csv"].chunks == 3
    assert docs["clinic.md"].added_at.endswith("+00:00")
    assert (kb.root / "sources" / "clinic.md").read_bytes() == FILES[0].read_bytes()
    top = kb.search("cancel appointment late cancellations", k=2)
    assert top[0].source == "faq.csv" and "24 hours" in top[0].text
    assert 0 < top[0].score <= 1.0001 and top[0].score >= top[1].score
    assert _leftovers(kb) == [kb.current_dir().name]  # type: ignore[union-attr]


def test_rejections_keep_accepted_files(kb: KnowledgeBase, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    odd = tmp_path / "slides.pptx"
    odd.write_bytes(b"x")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 garbage")
    leaflet = tmp_path / "leaflet.pdf"
    leaflet.write_bytes(make_pdf(["Bus lines 4 and 12 stop at the Library stop."]))
    report = kb.add([empty, FILES[1], odd, broken, leaflet, tmp_path / "faq.csv"])
    assert [d.name for d in report.accepted] == ["faq.csv", "leaflet.pdf"]
    reasons = {r.path.name: r.reason for r in report.rejected}
    assert reasons["empty.txt"] == "file is empty"
    assert "unsupported file type" in reasons["slides.pptx"]
    assert "corrupt PDF" in reasons["broken.pdf"]
    assert "another file named 'faq.csv'" in reasons["faq.csv"]
    assert kb.search("bus lines library stop", k=1)[0].source == "leaflet.pdf"


def test_readd_replaces_document(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.add(FILES)
    faq = tmp_path / "faq.csv"
    faq.write_text("Do you sell toothbrushes?,Yes at the front desk.\n")
    report = kb.add([faq])
    assert report.replaced == ["faq.csv"]
    docs = {d.name: d.chunks for d in kb.list()}
    assert sorted(docs) == ["clinic.md", "faq.csv", "team.txt"] and docs["faq.csv"] == 1
    assert all(p.source != "faq.csv" or "toothbrushes" in p.text
               for p in kb.search("insurance cancel toothbrushes", k=20))


def test_remove_and_clear(kb: KnowledgeBase) -> None:
    kb.add(FILES)
    kb.remove("faq.csv")
    assert [d.name for d in kb.list()] == ["clinic.md", "team.txt"]
    assert all(p.source != "faq.csv" for p in kb.search("insurance", k=50))
    assert not (kb.root / "sources" / "faq.csv").exists()
    with pytest.raises(KnowledgeError, match="no document named 'nope.md'"):
        kb.remove("nope.md")
    kb.clear()
    assert kb.list() == [] and kb.search("parking") == []
    assert len(_leftovers(kb)) == 1


def test_failure_mid_ingest_keeps_old_index(kb: KnowledgeBase, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    kb.add([FILES[0]])
    before = kb.search("free parking courtyard", k=1)
    live = kb.current_dir()
    calls = {"n": 0}
    real_add = ChromaIndex.add

    def flaky_add(self: ChromaIndex, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the old chunks were copied, while adding new ones
            raise RuntimeError("disk on fire")
        real_add(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ChromaIndex, "add", flaky_add)
    with pytest.raises(RuntimeError, match="disk on fire"):
        kb.add([FILES[1], FILES[2]])
    assert calls["n"] == 2
    assert kb.current_dir() == live
    assert [d.name for d in kb.list()] == ["clinic.md"]
    assert kb.search("free parking courtyard", k=1) == before
    assert _leftovers(kb) == [live.name]  # type: ignore[union-attr]
    assert sorted(p.name for p in (kb.root / "sources").iterdir()) == ["clinic.md"]


def test_interrupted_writer_leftovers_are_swept(kb: KnowledgeBase) -> None:
    kb.add([FILES[0]])
    (kb.root / ".tmp-deadbeef" / "chroma").mkdir(parents=True)  # a killed writer's temp dir
    kb.add([FILES[1]])
    assert len(_leftovers(kb)) == 1


def test_readers_keep_working_during_ingest(tmp_path: Path) -> None:
    writer = KnowledgeBase(tmp_path / "kb", HashEmbedder())
    writer.add([FILES[0]])
    reader = KnowledgeBase(tmp_path / "kb", HashEmbedder())
    errors: list[BaseException] = []
    results: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                results.append(reader.search("parking courtyard Elm Lane", k=1)[0].source)
            except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(3):
            writer.add([FILES[1], FILES[2]])
            writer.remove("team.txt")
    finally:
        stop.set()
        thread.join()
    assert errors == [] and results and set(results) == {"clinic.md"}


def test_store_scores_are_cosine(tmp_path: Path) -> None:
    index = ChromaIndex(tmp_path / "c")
    vectors = np.eye(3, 8, dtype=np.float32)
    index.add(["a", "b", "c"], ["A", "B", "C"], ["s", "s", "t"], vectors)
    hits = index.query(vectors[1], k=5)
    assert [h.text for h in hits][0] == "B" and hits[0].score == pytest.approx(1.0)
    assert len(hits) == 3
    stored = index.all()
    assert sorted(stored.ids) == ["a", "b", "c"] and stored.vectors.shape == (3, 8)
    index.close()


def test_open_reader_follows_swap_and_leaves_no_dirs(tmp_path: Path) -> None:
    writer = KnowledgeBase(tmp_path / "kb", HashEmbedder())
    writer.add([FILES[0]])
    reader = KnowledgeBase(tmp_path / "kb", HashEmbedder())
    assert reader.search("parking courtyard", k=1)[0].source == "clinic.md"
    old = reader.current_dir()
    writer.add([FILES[1]])  # deletes the generation the reader still has open
    assert old is not None and not old.exists()
    top = reader.search("cancel appointment late cancellations", k=1)
    assert top[0].source == "faq.csv"
    reader.close()
    writer.close()
    assert _leftovers(writer) == [writer.current_dir().name]  # type: ignore[union-attr]
