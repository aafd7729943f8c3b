"""A small trigram language model of the office's own words, for PocketSphinx.

PocketSphinx's generic English model spreads its probability over 72,000 words, so over a
telephone line "opening hours on saturday" loses to "opening our database". This module
trains a model on the knowledge base's text plus generic caller sentences
(``caller_corpus``), so the office's phrases are likely, and keeps every common English word
possible: the unigram level is mixed with the generic model's unigram distribution over its
``GENERIC_WORDS`` most frequent words, so a question the office cannot answer is still heard
as itself rather than forced into the office's vocabulary.

Smoothing is interpolated Witten-Bell: for a history h seen c(h) times followed by T(h)
distinct words, P(w|h) = (c(h,w) + T(h) P(w|h')) / (c(h) + T(h)), h' being h without its
first word. Written as an ARPA back-off model, a seen n-gram stores that interpolated value
and the history's back-off weight is T(h) / (c(h) + T(h)), which makes every conditional
distribution sum to one. PocketSphinx 5 loads ARPA text directly: ``Decoder(lm=path)``.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.speech import caller_corpus
from appliance.speech.lm_text import spoken_sentences

if TYPE_CHECKING:
    from appliance.knowledge import KnowledgeBase

BOS, EOS = "<s>", "</s>"
ORDER = 3
GENERIC_WEIGHT = 0.3  # share of the unigram level given to the generic English distribution
GENERIC_WORDS = 20000  # most frequent generic words kept possible
CALLER_REPEAT = 1  # how many times the caller sentences are counted against the KB's text
_FLOOR_LOG10 = -7.0  # generic log10 P for an office word the generic model lacks ("allcare")
_LOGMATH_BASE = 1.0001  # pocketsphinx's default log base for NGramModel.prob()

Ngram = tuple[str, ...]


@dataclass
class BackoffLM:
    """An ARPA-style model: log10 probabilities and back-off weights by n-gram."""

    order: int
    logprob: list[dict[Ngram, float]] = field(default_factory=list)  # [k-1]: k-grams
    backoff: dict[Ngram, float] = field(default_factory=dict)  # log10 weight, absent = 0.0

    def log10(self, word: str, history: Ngram = ()) -> float:
        """log10 P(word | history) by the usual ARPA back-off walk."""
        history = history[-(self.order - 1):] if self.order > 1 else ()
        penalty = 0.0
        while True:
            gram = (*history, word)
            found = self.logprob[len(gram) - 1].get(gram)
            if found is not None:
                return penalty + found
            if not history:
                return -math.inf
            penalty += self.backoff.get(history, 0.0)
            history = history[1:]

    def vocabulary(self) -> list[str]:
        return [g[0] for g in self.logprob[0]]


def train(sentences: Iterable[list[str]], base: dict[str, float], order: int = ORDER,
          generic_weight: float = GENERIC_WEIGHT) -> BackoffLM:
    """Interpolated Witten-Bell over ``sentences`` (lists of words).

    ``base`` maps each word that must stay possible to a probability (they need not sum to
    one: they are renormalized over the final vocabulary); the unigram level is
    ``(1 - generic_weight) * c(w)/N + generic_weight * base(w)``.
    """
    counts: list[Counter[Ngram]] = [Counter() for _ in range(order)]
    for words in sentences:
        padded = [BOS, *words, EOS]
        for k in range(1, order + 1):
            for i in range(len(padded) - k + 1):
                gram = tuple(padded[i:i + k])
                if gram != (BOS,):
                    counts[k - 1][gram] += 1
    vocab = set(base) | {g[0] for g in counts[0]} | {EOS}
    floor = 10 ** _FLOOR_LOG10
    total_base = sum(base.get(w, floor) for w in vocab)
    n_tokens = sum(counts[0].values())
    ml_weight = 1.0 - generic_weight if n_tokens else 0.0
    prob: list[dict[Ngram, float]] = [{}]
    for w in vocab:
        ml = counts[0][(w,)] / n_tokens if n_tokens else 0.0
        prob[0][(w,)] = ml_weight * ml + (1.0 - ml_weight) * base.get(w, floor) / total_base
    lm = BackoffLM(order)
    for k in range(2, order + 1):
        followers: dict[Ngram, list[tuple[str, int]]] = defaultdict(list)
        for gram, c in counts[k - 1].items():
            followers[gram[:-1]].append((gram[-1], c))
        level: dict[Ngram, float] = {}
        for history, seen in followers.items():
            c_h = sum(c for _, c in seen)
            t_h = len(seen)
            lower = _lower(prob, lm, history[1:])
            for w, c in seen:
                level[(*history, w)] = (c + t_h * lower(w)) / (c_h + t_h)
            lm.backoff[history] = math.log10(t_h / (c_h + t_h))
        prob.append(level)
    prob[0][(BOS,)] = 0.0  # never predicted; present so "<s> w" has its history entry
    lm.logprob = [{g: math.log10(p) if p > 0 else -99.0 for g, p in level.items()}
                  for level in prob]
    return lm


def _lower(prob: list[dict[Ngram, float]], lm: BackoffLM,
           history: Ngram) -> Callable[[str], float]:
    """P(w | history) from the lower orders built so far (they are complete)."""
    def p(word: str) -> float:
        h, penalty = history, 1.0
        while True:
            found = prob[len(h)].get((*h, word))
            if found is not None:
                return penalty * found
            penalty *= 10 ** lm.backoff.get(h, 0.0)
            h = h[1:]
    return p


def write_arpa(lm: BackoffLM, path: Path) -> Path:
    """Write atomically (a decoder may be loading the previous file)."""
    lines = ["\\data\\"] + [f"ngram {k + 1}={len(level)}" for k, level in enumerate(lm.logprob)]
    for k, level in enumerate(lm.logprob):
        lines += ["", f"\\{k + 1}-grams:"]
        for gram in sorted(level):
            entry = f"{level[gram]:.6f}\t{' '.join(gram)}"
            if k + 1 < lm.order and gram in lm.backoff:
                entry += f"\t{lm.backoff[gram]:.6f}"
            lines.append(entry)
    lines += ["", "\\end\\", ""]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---- the pocketsphinx model's dictionary and generic unigrams -----------------------------

def model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    path = model_dir() / "cmudict-en-us.dict"
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0] for line in fh if "(" not in line.split(" ", 1)[0])


@lru_cache(maxsize=4)
def generic_unigrams(top: int = GENERIC_WORDS) -> dict[str, float]:
    """The ``top`` most likely words of the bundled generic model that the dictionary has."""
    from pocketsphinx import NGramModel

    lm = NGramModel.readfile(str(model_dir() / "en-us.lm.bin"))
    to_log10 = math.log10(_LOGMATH_BASE)
    scored = []
    for w in dictionary_words():
        raw = lm.prob([w])
        if raw > -536870000:  # pocketsphinx's log-zero for a word the model lacks
            scored.append((raw * to_log10, w))
    scored.sort(reverse=True)
    words = {w: 10 ** lp for lp, w in scored[:top]}
    words[EOS] = 10 ** (lm.prob([EOS]) * to_log10)
    return words


# ---- building ------------------------------------------------------------------------------

def corpus(texts: Iterable[str]) -> list[list[str]]:
    """The training sentences: the office's texts plus the generic caller sentences."""
    known = dictionary_words().__contains__
    # Heading paths prefix every chunk of their section: count each distinct sentence once.
    out = list(dict.fromkeys(tuple(s) for text in texts for s in spoken_sentences(text, known)))
    callers = [s.split() for s in caller_corpus.sentences()]
    return [list(s) for s in out] + callers * CALLER_REPEAT


def build_lm(texts: Iterable[str], out: Path, generic_words: int = GENERIC_WORDS,
             generic_weight: float = GENERIC_WEIGHT) -> Path:
    """Train on ``texts`` (plus the caller sentences) and write the ARPA file ``out``."""
    base = generic_unigrams(generic_words) if generic_words else {}
    lm = train(corpus(texts), base, generic_weight=generic_weight if generic_words else 0.0)
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_arpa(lm, out)


def build_for_kb(kb: KnowledgeBase, out: Path, extra: Iterable[str] = ()) -> Path:
    """The model for this office: every knowledge-base chunk plus ``extra`` texts (e.g. the
    business name). About a second; safe to call while decoders use an older file."""
    return build_lm([*kb.texts(), *extra], out)
