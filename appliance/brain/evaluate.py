"""Answer-quality evaluation: a set of (spoken) questions about a fictional business, scored.

A set is a directory::

    questions.toml   [business] name, description; [[question]] id, text, expect | outside
    kb/              the business's knowledge base (any files ``appliance kb add`` takes)
    audio/<id>.wav   each question spoken (8 kHz mono), optional with text-only runs

An answerable question passes when the reply contains one of its ``expect`` strings
(compared after ``normalize``); an outside question passes when the reply declines
(``is_refusal``), offers a staff member or a message, and states no number that the
knowledge base does not contain.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from appliance.brain.answerer import Answerer, AnswerTrace
from appliance.brain.grounding import is_refusal, offers_human
from appliance.brain.prompt import BusinessProfile, ungrounded_numbers
from appliance.brain.words import numbers_as_digits
from appliance.speech.stt import SpeechToText
from appliance.speech.wavio import read_wav

ANSWERABLE_TARGET = 0.85
OUTSIDE_TARGET = 0.90


class EvalError(Exception):
    """The evaluation set is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    text: str
    expect: tuple[str, ...] = ()  # accepted forms of the fact; empty for outside questions
    outside: bool = False
    audio: Path | None = None


@dataclass(frozen=True)
class EvalSet:
    root: Path
    profile: BusinessProfile
    questions: tuple[EvalQuestion, ...]
    kb_files: tuple[Path, ...]


@dataclass
class QuestionResult:
    question: EvalQuestion
    heard: str
    reply: str
    route: str
    passed: bool
    verdict: str
    stt_s: float | None  # transcription time (None with text input)
    first_clause_s: float | None  # answer() start to its first clause
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"id": self.question.id, "kind": "outside" if self.question.outside
                else "answerable", "question": self.question.text, "heard": self.heard,
                "reply": self.reply, "route": self.route, "passed": self.passed,
                "verdict": self.verdict, "reason": self.reason,
                "stt_ms": _ms(self.stt_s), "first_clause_ms": _ms(self.first_clause_s)}


@dataclass
class EvalReport:
    results: list[QuestionResult] = field(default_factory=list)

    def _rate(self, outside: bool) -> tuple[int, int]:
        rs = [r for r in self.results if r.question.outside == outside]
        return sum(r.passed for r in rs), len(rs)

    @property
    def answerable(self) -> tuple[int, int]:
        return self._rate(outside=False)

    @property
    def outside(self) -> tuple[int, int]:
        return self._rate(outside=True)

    @property
    def passed(self) -> bool:
        (a, an), (o, on) = self.answerable, self.outside
        return a >= ANSWERABLE_TARGET * an and o >= OUTSIDE_TARGET * on

    def as_dict(self) -> dict[str, object]:
        (a, an), (o, on) = self.answerable, self.outside
        return {"answerable": {"passed": a, "total": an, "target": ANSWERABLE_TARGET},
                "outside": {"passed": o, "total": on, "target": OUTSIDE_TARGET},
                "targets_met": self.passed,
                "questions": [r.as_dict() for r in self.results]}


def load_set(root: Path) -> EvalSet:
    if not root.is_dir():
        raise EvalError(f"evaluation set not found: {root}")
    path = root / "questions.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"evaluation set has no questions file: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EvalError(f"{path}: {exc}") from None
    business = raw.get("business", {})
    if not isinstance(business, dict) or not business.get("name"):
        raise EvalError(f"{path}: [business] name is required")
    profile = BusinessProfile(str(business["name"]), str(business.get("description", "")))
    questions = [_question(root, path, i, q) for i, q in enumerate(raw.get("question", []))]
    if not questions:
        raise EvalError(f"{path}: no [[question]] entries")
    kb_dir = root / "kb"
    kb_files = sorted(p for p in kb_dir.iterdir() if p.is_file()) if kb_dir.is_dir() else []
    if not kb_files:
        raise EvalError(f"evaluation set has no knowledge base files in {kb_dir}")
    return EvalSet(root, profile, tuple(questions), tuple(kb_files))


def _question(root: Path, path: Path, index: int, raw: object) -> EvalQuestion:
    where = f"{path}: question {index + 1}"
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("text"):
        raise EvalError(f"{where}: id and text are required")
    expect = raw.get("expect", [])
    outside = bool(raw.get("outside", False))
    if outside == bool(expect) or not isinstance(expect, list):
        raise EvalError(f"{where} ({raw['id']}): give either expect = [...] or outside = true")
    audio = root / "audio" / f"{raw['id']}.wav"
    return EvalQuestion(str(raw["id"]), str(raw["text"]), tuple(str(e) for e in expect),
                        outside, audio if audio.is_file() else None)


_CURRENCY = re.compile(r"([$€£])\s*(\d+(?:[.,]\d+)?)")
_CURRENCY_NAMES = {"$": "dollars", "€": "euros", "£": "pounds"}


def normalize(text: str) -> str:
    """Lower case, number words as digits, "$45" -> "45 dollars", no punctuation."""
    text = numbers_as_digits(text.replace("\u2019", "'")).lower()
    text = _CURRENCY.sub(lambda m: f"{m.group(2)} {_CURRENCY_NAMES[m.group(1)]}", text)
    text = re.sub(r"(\d+)\s*%", r"\1 percent", text)
    text = re.sub(r"\b(\d{1,2}):00\b", r"\1", text)  # "9:00 am" -> "9 am"
    text = re.sub(r"\b([ap])\.m\.?", r"\1m", text)
    text = re.sub(r"(\d+)(am|pm)\b", r"\1 \2", text)
    text = re.sub(r"'", "", text)
    return " ".join(re.sub(r"[^a-z0-9.]+|\.(?!\d)", " ", text).split())


def contains_fact(reply: str, expect: tuple[str, ...]) -> str | None:
    """The accepted string found in ``reply`` (whole words), else None."""
    padded = f" {normalize(reply)} "
    return next((e for e in expect if f" {normalize(e)} " in padded), None)


def score(question: EvalQuestion, reply: str, kb_text: str) -> tuple[bool, str]:
    if not question.outside:
        found = contains_fact(reply, question.expect)
        if found is not None:
            return True, f"right fact ({found!r})"
        return False, "refused" if is_refusal(reply) else "wrong or missing fact"
    invented = ungrounded_numbers(numbers_as_digits(reply), [numbers_as_digits(kb_text)])
    if invented:
        return False, f"invented number {invented[0]!r}"
    if not is_refusal(reply):
        return False, "answered instead of declining"
    if not offers_human(reply):
        return False, "declined without offering a person or a message"
    return True, "declined and offered a person or a message"


def run(eval_set: EvalSet, answerer: Answerer, stt: SpeechToText | None,
        kb_text: str, progress: Callable[[QuestionResult, int, int], None] | None = None,
        ) -> EvalReport:
    """Ask every question with an empty history; transcribe its audio unless ``stt`` is None."""
    report = EvalReport()
    total = len(eval_set.questions)
    for i, q in enumerate(eval_set.questions, start=1):
        heard, stt_s = q.text, None
        if stt is not None:
            if q.audio is None:
                raise EvalError(f"no audio for question {q.id!r}: "
                                f"{eval_set.root / 'audio' / (q.id + '.wav')}")
            audio, rate = read_wav(q.audio)
            t0 = time.monotonic()
            heard = stt.transcribe(audio, rate=rate)
            stt_s = time.monotonic() - t0
        trace = AnswerTrace()
        t0 = time.monotonic()
        first: float | None = None
        clauses: list[str] = []
        for clause in answerer.answer(heard, [], trace):
            if first is None:
                first = time.monotonic() - t0
            clauses.append(clause)
        reply = " ".join(clauses)
        passed, verdict = score(q, reply, kb_text)
        result = QuestionResult(q, heard, reply, trace.route, passed, verdict, stt_s, first,
                                trace.reason)
        report.results.append(result)
        if progress is not None:
            progress(result, i, total)
    return report


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)
