"""PDF text via pypdf (pure Python); scanned PDFs without a text layer are rejected."""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.knowledge.loaders.text import paragraphs
from appliance.knowledge.model import RejectedFile, Section

# pypdf logs recoverable structure problems as warnings; the per-file verdict is ours.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load(path: Path) -> list[Section]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise RejectedFile(path, "PDF is encrypted (password protected)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except RejectedFile:
        raise
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError..)
        raise RejectedFile(path, f"unreadable or corrupt PDF ({type(exc).__name__}: {exc})") \
            from None
    sections = [Section((), p) for page in pages for p in paragraphs(page)]
    if not sections:
        raise RejectedFile(path, "PDF has no extractable text (scanned image?)")
    return sections
