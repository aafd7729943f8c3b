"""Streaming clause splitter: LLM text pieces in, speakable clauses out as soon as complete.

TTS can start on the first clause while the model is still writing the rest, which is most
of the perceived answer latency. A boundary is only decided once the character after the
punctuation is known (whitespace), so "9.30", "$12.50", "1,000" and "9:30" never split, and
"e.g." / "Dr." are recognised as abbreviations rather than sentence ends.
"""

from __future__ import annotations

SENTENCE_END = ".?!"
# Punctuation that may directly follow a sentence end and belongs to it: `?!`, `...`, `."`.
TRAILING = SENTENCE_END + "\"')]\u201d\u2019"
# Words that end in "." without ending a sentence (compared lower-case, without the dot).
ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "mt", "ave", "rd", "approx",
    "e.g", "i.e", "vs", "cf", "incl", "dept", "tel", "ext", "fig",
})
# Time suffixes end a sentence only when the next word is capitalised ("at 5 p.m. See you").
TIME_SUFFIXES = frozenset({"a.m", "p.m"})


class ClauseSplitter:
    """Feed text pieces with ``feed``; call ``flush`` at the end for the tail.

    ``min_pause_chars``: a clause must be at least this long before ``;`` or ``:`` split it;
    ``min_comma_chars``: likewise for a comma (short comma splits sound choppy in TTS);
    ``first_comma_chars``: the same for the reply's first clause, which may be shorter: the
    caller hears the reply start that much sooner (default: ``min_comma_chars``).
    """

    def __init__(self, min_pause_chars: int = 20, min_comma_chars: int = 40,
                 first_comma_chars: int | None = None) -> None:
        self.min_pause_chars = min_pause_chars
        self.min_comma_chars = min_comma_chars
        self.first_comma_chars = min_comma_chars if first_comma_chars is None \
            else first_comma_chars
        self._buf = ""
        self._first = True

    def feed(self, piece: str) -> list[str]:
        self._buf += piece
        out: list[str] = []
        while (cut := self._next_boundary()) is not None:
            clause = self._buf[:cut].strip()
            self._buf = self._buf[cut:].lstrip()
            if clause:
                out.append(clause)
                self._first = False
        return out

    def flush(self) -> str | None:
        """The unfinished tail (if any non-blank), and reset for the next reply."""
        tail, self._buf = self._buf.strip(), ""
        self._first = True
        return tail or None

    @property
    def _comma_chars(self) -> int:
        return self.first_comma_chars if self._first else self.min_comma_chars

    def _next_boundary(self) -> int | None:
        """Index just after the first complete clause in the buffer, else None."""
        buf = self._buf
        for i, c in enumerate(buf):
            if c == "\n":
                if buf[:i].strip():
                    return i + 1
                continue
            if c not in SENTENCE_END and c not in ";:,":
                continue
            j = i + 1
            if c in SENTENCE_END:
                while j < len(buf) and buf[j] in TRAILING:
                    j += 1
            if j == len(buf):
                return None  # the next character decides (e.g. "9." + "30"); wait for it
            if not buf[j].isspace():
                continue
            clause = buf[:i].strip()
            if c in SENTENCE_END:
                decided = self._sentence_end(buf, i, j, clause)
                if decided is None:
                    return None
                if decided:
                    return j
            elif len(clause) >= (self._comma_chars if c == "," else self.min_pause_chars):
                return j
        return None

    @staticmethod
    def _sentence_end(buf: str, i: int, j: int, clause: str) -> bool | None:
        """Is the sentence punctuation at ``i`` a real end? None: need more text to tell."""
        if buf[i] != "." or buf[i + 1:j].strip(".") != buf[i + 1:j]:
            return True  # "?", "!", or "..." always end
        word = clause.rsplit(None, 1)[-1] if clause else ""
        word = word.lstrip("(\"'$").lower()
        if word in ABBREVIATIONS:
            return False
        if len(word) == 1 and word.isalpha():
            return False  # an initial: "J. Smith"
        if word.isdigit() and clause == word:
            return False  # a list number at the start of a line: "1. Cleaning"
        if word in TIME_SUFFIXES:
            rest = buf[j:].lstrip()
            if not rest:
                return None
            return rest[0].isupper()
        return True
