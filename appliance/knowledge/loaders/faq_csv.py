"""FAQ CSV: one ``question,answer`` pair per row (header row optional); rows stay whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from appliance.knowledge.loaders.textio import read_text
from appliance.knowledge.model import RejectedFile, Section


def load(path: Path) -> list[Section]:
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise RejectedFile(path, f"invalid CSV: {exc}") from None
    sections: list[Section] = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()  # trailing empty cells (spreadsheet exports) are not extra columns
        if not cells:
            continue
        if len(cells) != 2 or not cells[0] or not cells[1]:
            raise RejectedFile(
                path, f"row {number} has {len(cells)} non-empty column(s); "
                      "expected exactly two: question,answer")
        question, answer = (" ".join(c.split()) for c in cells)
        if number == 1 and (question.lower(), answer.lower()) == ("question", "answer"):
            continue
        sections.append(Section((), f"Q: {question} A: {answer}", whole=True))
    return sections
