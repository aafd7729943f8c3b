"""Read one file into sections, or reject it with a reason naming the file.

One module per format; this module checks what every format shares (exists, type, size,
not empty) so each loader only parses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from appliance.knowledge.loaders import faq_csv, markdown, pdf, text
from appliance.knowledge.model import MAX_FILE_BYTES, LoadedDocument, RejectedFile, Section

Loader = Callable[[Path], list[Section]]

# suffix -> (kind, loader)
LOADERS: dict[str, tuple[str, Loader]] = {
    ".md": ("markdown", markdown.load),
    ".markdown": ("markdown", markdown.load),
    ".txt": ("text", text.load),
    ".pdf": ("pdf", pdf.load),
    ".csv": ("faq", faq_csv.load),
}


def supported_suffixes() -> list[str]:
    return sorted(LOADERS)


def load(path: Path, max_bytes: int = MAX_FILE_BYTES) -> LoadedDocument:
    """Parse ``path``; raises RejectedFile with a reason a user can act on."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise RejectedFile(path, f"unsupported file type {suffix or '(no extension)'!r}; "
                                 f"supported: {', '.join(supported_suffixes())}")
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RejectedFile(path, "file not found") from None
    except OSError as exc:
        raise RejectedFile(path, f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise RejectedFile(path, "not a regular file")
    if st.st_size == 0:
        raise RejectedFile(path, "file is empty")
    if st.st_size > max_bytes:
        raise RejectedFile(path, f"file too large ({st.st_size} bytes; limit {max_bytes})")
    kind, loader = LOADERS[suffix]
    sections = [s for s in loader(path) if s.text.strip()]
    if not sections:
        raise RejectedFile(path, "file is empty (no text found)")
    return LoadedDocument(name=path.name, kind=kind, sections=sections)
