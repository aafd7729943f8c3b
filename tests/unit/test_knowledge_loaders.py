from pathlib import Path

import pytest

from appliance.knowledge import loaders
from appliance.knowledge.chunking import MAX_WORDS, chunk_document, split_words
from appliance.knowledge.model import LoadedDocument, RejectedFile, Section
from tests.unit.test_knowledge_support import make_pdf

DATA = Path(__file__).parents[1] / "data" / "kb"


def _reject(path: Path, **kw: int) -> str:
    with pytest.raises(RejectedFile) as info:
        loaders.load(path, **kw)
    assert str(path) in str(info.value)  # every reason names its file
    return info.value.reason


def test_markdown_keeps_heading_path() -> None:
    doc = loaders.load(DATA / "clinic.md")
    assert doc.kind == "markdown" and doc.name == "clinic.md"
    holidays = [s for s in doc.sections if s.headings[-1:] == ("Holidays",)]
    assert holidays and holidays[0].headings == ("Maple Street Dental", "Opening hours",
                                                 "Holidays")
    prices = next(s for s in doc.sections if s.headings[-1:] == ("Prices",))
    assert "check-up costs 45 euros." in prices.text and "**" not in prices.text


def test_plain_text_paragraphs() -> None:
    doc = loaders.load(DATA / "team.txt")
    assert doc.kind == "text"
    assert [s.headings for s in doc.sections] == [()] * 3
    assert doc.sections[1].text.startswith("Dr. Anna Keller founded")


def test_faq_csv_rows_with_and_without_header(tmp_path: Path) -> None:
    doc = loaders.load(DATA / "faq.csv")
    assert doc.kind == "faq" and len(doc.sections) == 3
    assert all(s.whole for s in doc.sections)
    assert doc.sections[0].text.startswith("Q: Do you accept my health insurance? A: We accept")
    headless = tmp_path / "plain.csv"
    headless.write_text("Is there parking?,Yes in the courtyard.\n\nWifi?,Yes,\n")
    assert [s.text for s in loaders.load(headless).sections] == [
        "Q: Is there parking? A: Yes in the courtyard.", "Q: Wifi? A: Yes"]


def test_csv_without_two_columns_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nonly a question\n")
    assert "row 2 has 1 non-empty column(s)" in _reject(bad)
    three = tmp_path / "three.csv"
    three.write_text("a,b,c\n")
    assert "expected exactly two: question,answer" in _reject(three)


def test_real_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(make_pdf(["Parking is free behind the building.",
                              "Enter the courtyard from Elm Lane."]))
    doc = loaders.load(pdf)
    assert doc.kind == "pdf"
    text = " ".join(s.text for s in doc.sections)
    assert "Parking is free behind the building." in text and "Elm Lane" in text


def test_corrupt_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    assert "unreadable or corrupt PDF" in _reject(pdf)


def test_pdf_without_text(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_pdf([]))
    assert "no extractable text" in _reject(pdf)


@pytest.mark.parametrize("name", ["empty.md", "empty.txt", "empty.csv", "empty.pdf"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert _reject(path) == "file is empty"


def test_whitespace_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("\n   \n")
    assert "empty" in _reject(path)


def test_unsupported_type_missing_and_oversize(tmp_path: Path) -> None:
    doc = tmp_path / "menu.docx"
    doc.write_bytes(b"PK\x03\x04")
    assert "unsupported file type '.docx'" in _reject(doc)
    assert _reject(tmp_path / "nope.md") == "file not found"
    big = tmp_path / "big.txt"
    big.write_text("word " * 300)
    assert "file too large (1500 bytes; limit 1000)" in _reject(big, max_bytes=1000)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Öffnungszeiten".encode("latin-1"))
    assert "not UTF-8 text" in _reject(path)


def test_chunks_keep_headings_and_size() -> None:
    chunks = chunk_document(loaders.load(DATA / "clinic.md"))
    holiday = [c for c in chunks if "Christmas" in c.text]
    assert len(holiday) == 1
    assert holiday[0].text.startswith("Maple Street Dental > Opening hours > Holidays: ")
    assert all(c.source == "clinic.md" for c in chunks)


def test_long_section_splits_on_sentences() -> None:
    sentence = "The practice offers a friendly service to every patient who calls us today."
    text = " ".join([sentence] * 30)  # 30 x 13 = 390 words
    parts = split_words(text)
    assert len(parts) >= 3
    for part in parts:
        words = len(part.split())
        assert 60 <= words <= MAX_WORDS + 30
        assert part.endswith("today.")  # cut at sentence ends only
    doc = LoadedDocument("x.md", "markdown", [Section(("Service",), text)])
    assert all(c.text.startswith("Service: ") for c in chunk_document(doc))


def test_faq_rows_stay_whole() -> None:
    long_answer = "Yes. " + "We really do accept this plan without any extra paperwork. " * 30
    doc = LoadedDocument("f.csv", "faq", [Section((), f"Q: Insurance? A: {long_answer}",
                                                  whole=True)] * 2)
    chunks = chunk_document(doc)
    assert len(chunks) == 2 and chunks[0].text.endswith("paperwork.")


def test_headless_paragraphs_merge() -> None:
    doc = LoadedDocument("t.txt", "text", [Section((), "One short line."),
                                           Section((), "Another short line.")])
    assert [c.text for c in chunk_document(doc)] == ["One short line. Another short line."]
