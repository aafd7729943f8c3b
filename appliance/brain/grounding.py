"""Keep the receptionist from inventing facts: a relevance gate and per-clause checks.

A small model invents prices, hours and yes/no policy answers when the facts do not hold
the answer, and retrieval always returns *something* (cosine scores of relevant and
irrelevant passages overlap). So the decision is made in code, on words:

* ``Grounding.coverage`` asks, for every content word of the question, whether the
  retrieved facts contain it: the same stem, a near synonym (word-embedding similarity,
  "kids" ~ "children"), or - for generic question words - a fact of the right kind ("when
  are you open" is covered by a clock time, "how much" by an amount). A word only loosely
  related ("cello" ~ "violin") is *related*, not covered.
* The gate: every question word must be covered or related, else the answer is "not found".
* ``check_clause`` runs on each reply clause before it is spoken: a number that is not in
  the facts, a word of the question that the facts do not contain, or a "yes" while such a
  word exists makes the clause fail; the caller then hears ``DONT_KNOW`` instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from appliance.brain.embed import Embedder
from appliance.brain.prompt import ungrounded_numbers
from appliance.brain.words import content_words, fact_kinds, generic_kind, numbers_as_digits, stem
from appliance.knowledge.chunking import sentences

RELATED_SIM = 0.66  # cello~violin 0.68, daughter~child 0.73: allowed to reach the LLM
SYNONYM_SIM = 0.8  # kids~children 0.88, kid~child 0.81, meet~meets 0.85: the same thing

_AFFIRMATIVE = re.compile(
    r"^\s*(?:yes|yeah|yep|sure|certainly|absolutely|of course|definitely|indeed|correct|"
    r"that's right|we (?:do|can|have|offer|accept|take|provide|sell|rent|run|teach|give)\b|"
    r"you can\b|it is\b|there is\b|there are\b)", re.IGNORECASE)
_REFUSAL = re.compile(
    r"\b(?:(?:do not|don't|dont) (?:have|know)|not sure|no information|(?:can't|cannot|can not|"
    r"unable to) (?:help|answer|say|find)|not (?:able|available) to|i'm afraid)\b",
    re.IGNORECASE)
_OFFER = re.compile(
    r"\b(?:staff|colleague|team member|put you through|transfer you|take a message|"
    r"leave a message|a message|call you back|someone who)\b", re.IGNORECASE)


def is_refusal(text: str) -> bool:
    """The reply says it does not know / cannot answer."""
    return bool(_REFUSAL.search(text))


def offers_human(text: str) -> bool:
    """The reply offers a staff member or to take a message."""
    return bool(_OFFER.search(text))


@dataclass
class Coverage:
    """How the facts cover the question's content words."""

    covered: list[str] = field(default_factory=list)  # same stem, near synonym or fact kind
    related: list[str] = field(default_factory=list)  # only a loosely related word in the facts
    missing: list[str] = field(default_factory=list)  # nothing like it in the facts

    @property
    def words(self) -> list[str]:
        return self.covered + self.related + self.missing

    @property
    def gate_ok(self) -> bool:
        return bool(self.words) and not self.missing

    @property
    def unsupported(self) -> list[str]:
        """Words the reply must neither repeat nor say "yes" to."""
        return self.related + self.missing


class Grounding:
    """Word coverage with an embedding fallback; word vectors are cached (thread-safe)."""

    def __init__(self, embedder: Embedder | None, related_sim: float = RELATED_SIM,
                 synonym_sim: float = SYNONYM_SIM) -> None:
        self._embedder = embedder
        self.related_sim = related_sim
        self.synonym_sim = synonym_sim
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def coverage(self, words: Sequence[str], facts: Sequence[str]) -> Coverage:
        text = " ".join(facts)
        kinds = fact_kinds(text)
        fact_words = content_words(text)
        fact_stems = {stem(w) for w in fact_words}
        cov = Coverage()
        unmatched: list[str] = []
        for word in words:
            kind = generic_kind(word)
            if stem(word) in fact_stems or (kind is not None and kind in kinds):
                cov.covered.append(word)
            elif word.isdigit():
                cov.missing.append(word)  # a number is in the facts or it is not
            else:
                unmatched.append(word)
        if unmatched:
            best = self._best_similarity(unmatched, [w for w in fact_words if not w.isdigit()])
            for word, sim in zip(unmatched, best):
                if sim >= self.synonym_sim:
                    cov.covered.append(word)
                elif sim >= self.related_sim:
                    cov.related.append(word)
                else:
                    cov.missing.append(word)
        return cov

    def matched(self, words: Sequence[str], text: str) -> list[str]:
        """The question words that ``text`` covers or relates to."""
        cov = self.coverage(words, [text])
        return cov.covered + cov.related

    def rank(self, words: Sequence[str], passages: Sequence[str]) -> list[float]:
        """How specifically each passage answers: matched words weighted by 1 / (number of
        passages matching them), so "lesson", found everywhere, counts less than
        "discount", found in one passage."""
        matched = [set(self.matched(words, p)) for p in passages]
        df = {w: sum(w in m for m in matched) for w in words}
        return [sum(1.0 / df[w] for w in m) for m in matched]

    def focus(self, words: Sequence[str], passage: str) -> str:
        """``passage`` cut to its heading and the sentences that match the most question
        words: fewer tokens for the LLM to read (faster), and fewer wrong facts to pick
        ("Maria teaches piano." next to "Tom teaches guitar."). FAQ rows stay whole."""
        if passage.startswith("Q: "):
            return passage
        heading, body = _split_heading(passage)
        parts = sentences(body)
        counts = [len(self.matched(words, s)) for s in parts]
        best = max(counts, default=0)
        keep = [s for s, n in zip(parts, counts) if n == best]
        if best == 0 or len(keep) == len(parts):
            return passage
        return f"{heading}: {' '.join(keep)}" if heading else " ".join(keep)

    def _best_similarity(self, words: list[str], vocab: list[str]) -> list[float]:
        if self._embedder is None or not vocab:
            return [0.0] * len(words)
        # A plural is also tried as its singular: "kids" is 0.72 like "child", "kid" 0.81.
        forms = [[w, w[:-1]] if w.endswith("s") and not w.endswith("ss") else [w]
                 for w in words]
        flat = [f for fs in forms for f in fs]
        vecs = self._word_vectors(flat + vocab)
        v = np.stack([vecs[w] for w in vocab])
        sims = {f: float((v @ vecs[f]).max()) for f in flat}
        return [max(sims[f] for f in fs) for fs in forms]

    def _word_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            new = sorted({w for w in words if w not in self._vectors})
        if new:
            assert self._embedder is not None
            vectors = self._embedder.embed(new)
            with self._lock:
                self._vectors.update(zip(new, vectors))
        with self._lock:
            return {w: self._vectors[w] for w in words}


def _split_heading(passage: str) -> tuple[str, str]:
    """("School > Prices", "A lesson costs...") from a chunk's "heading path: text"."""
    head, sep, body = passage.partition(": ")
    if sep and len(head) < 120 and not re.search(r"[.!?]", head):
        return head, body
    return "", passage


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?\b")


def ungrounded_names(clause: str, known: Sequence[str]) -> list[str]:
    """Capitalised words inside ``clause`` (names, places, days) found in none of ``known``:
    the small model copies names from its worked examples ("The dentist is Omar Haddad")."""
    words = {w.lower() for text in known for w in re.findall(r"[A-Za-z]+", text)}
    return [n for n in _NAME.findall(clause.strip())
            if n.split("'")[0].lower() not in words]


def check_clause(clause: str, facts: Sequence[str], unsupported: Sequence[str],
                 known: Sequence[str] = ()) -> str | None:
    """Why ``clause`` must not be spoken, or None when it is grounded as far as we can tell.

    ``known``: texts besides the facts whose names may be repeated (the question, the
    business name)."""
    numbers = ungrounded_numbers(numbers_as_digits(clause), [numbers_as_digits(f) for f in facts])
    if numbers:
        return f"number {numbers[0]!r} is not in the facts"
    names = ungrounded_names(clause, [*facts, *known])
    if names:
        return f"name {names[0]!r} is not in the facts"
    if unsupported:
        stems = {stem(w) for w in content_words(clause)}
        said = [w for w in unsupported if stem(w) in stems]
        if said:
            return f"{said[0]!r} is not in the facts"
        if _AFFIRMATIVE.search(clause):
            return f"affirms {unsupported[0]!r}, which is not in the facts"
    return None
