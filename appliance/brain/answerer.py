"""The answering brain: a caller's question in, speakable clauses out, never invented facts.

One question goes through: retrieval (knowledge base) -> the relevance gate
(``grounding``) -> an exact FAQ answer, or the LLM streaming a reply that is cut into
clauses, each checked before it is released. Whatever cannot be grounded becomes
``DONT_KNOW``, which offers a staff member or a message. The static prompt prefix (role,
business profile, rules, examples) is the same for every call, so llama.cpp keeps it warm;
only the facts, the recent turns and the question are evaluated per turn.

``answer`` is a blocking generator for a worker thread; the engine reads ``AnswerTrace``
for the per-turn record.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from appliance.brain.clauses import ClauseSplitter
from appliance.brain.embed import Embedder
from appliance.brain.grounding import Coverage, Grounding, check_clause, is_refusal
from appliance.brain.llm import LanguageModel, Message
from appliance.brain.prompt import (
    DEFAULT_HISTORY_TURNS,
    DONT_KNOW,
    BusinessProfile,
    build_messages,
    prefix_messages,
)
from appliance.brain.words import content_words, generic_kind
from appliance.knowledge import KnowledgeBase, Passage

log = logging.getLogger(__name__)

FAQ_PREFIX = "Q: "
FAQ_SEPARATOR = " A: "


@dataclass
class AnswerTrace:
    """Filled in while ``Answerer.answer`` runs; read by the engine for the turn's record."""

    route: str = ""  # "faq" | "llm" | "not_found" | "guarded" | "error"
    passages: list[str] = field(default_factory=list)  # given to the LLM / used for the FAQ
    retrieval_done: float | None = None  # time.monotonic() when retrieval finished
    first_token: float | None = None  # time.monotonic() of the first LLM token
    reply: str = ""  # everything released (the yielded clauses joined)
    reason: str = ""  # why a reply was refused or guarded (for logs), e.g. "'cello' ..."


@dataclass(frozen=True)
class Tuning:
    k: int = 3  # passages retrieved per search
    max_passages: int = 3  # passages given to the LLM (fewer: faster first token)
    min_score: float = 0.15  # a top passage below this is not relevant, whatever the words
    faq_min_score: float = 0.8  # question vs FAQ question similarity for a direct answer
    max_tokens: int = 90  # about three spoken sentences
    max_history: int = DEFAULT_HISTORY_TURNS


# The first clause may end at a comma once it is this long: the caller hears the answer start
# ~0.1-0.2 s sooner ("Yes, the building has a lift, | so ...").
FIRST_COMMA_CHARS = 24


class Answerer:
    def __init__(self, kb: KnowledgeBase | None, llm: LanguageModel, profile: BusinessProfile,
                 tuning: Tuning | None = None, embedder: Embedder | None = None) -> None:
        self.kb = kb
        self.llm = llm
        self.profile = profile
        self.tuning = tuning or Tuning()
        self._embedder = embedder
        self._grounding: Grounding | None = None
        self._name_words = frozenset(content_words(profile.name))

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder is None and self.kb is not None:
            self._embedder = self.kb.embedder
        return self._embedder

    @property
    def grounding(self) -> Grounding:
        if self._grounding is None:
            self._grounding = Grounding(self.embedder)
        return self._grounding

    def warm(self) -> None:
        """Evaluate the static prompt prefix and load the embedder (blocking, ~2-3 s)."""
        self.llm.warm(prefix_messages(self.profile))
        if self.kb is not None and self.kb.list():
            self.kb.search("opening hours", 1)  # loads the embedder and opens the index

    def warm_history(self, history: Sequence[Message]) -> None:
        """Evaluate prefix + this call's recent turns now (blocking, ~0.2 s), while the
        caller is still talking: the next question's prompt then only adds its facts and
        words (measured: later turns' first token ~120 ms sooner)."""
        messages = build_messages(self.profile, [], history, "",
                                  max_history=self.tuning.max_history)
        self.llm.warm(messages[:-1])

    def answer(self, question: str, history: Sequence[Message], trace: AnswerTrace,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Yield the reply's clauses as each is complete and checked.

        Stops (yielding nothing more) once ``cancel`` is set. Raises ``LlmError`` /
        ``KnowledgeError`` only when an engine fails; "no answer" is a polite ``DONT_KNOW``.
        """
        cancel = cancel or threading.Event()
        released: list[str] = []
        try:
            for clause in self._answer(question, history, trace, cancel):
                if cancel.is_set():
                    return
                released.append(clause)
                trace.reply = " ".join(released)
                yield clause
        except BaseException:
            if not trace.route:
                trace.route = "error"
            raise

    def _answer(self, question: str, history: Sequence[Message], trace: AnswerTrace,
                cancel: threading.Event) -> Iterator[str]:
        words = self._question_words(question)
        previous = _last_user_turn(history)
        followup = bool(previous) and _refers_back(question) and \
            not any(generic_kind(w) is None for w in words)
        if followup and previous:
            # "and on Saturday?" / "how much is it?": the topic is in the previous question.
            words = list(dict.fromkeys(words + self._question_words(previous)))
        passages = self._retrieve(question, previous)
        trace.retrieval_done = time.monotonic()
        facts, cov = self._select(words, passages)
        if facts is None:
            trace.route, trace.reason = "not_found", _why(cov, passages)
            yield DONT_KNOW
            return
        trace.passages = [p.text for p in facts]
        faq = self._faq_answer(question, facts)
        if faq is not None:
            trace.route = "faq"
            trace.passages = [faq[0]]
            yield from _split(faq[1])
            return
        trace.route = "llm"
        # Earlier turns only for a follow-up: given a history, the 0.5B model repeats its
        # last answer to a new question (measured: "what is your address" after a question
        # about wheelchair access got the wheelchair answer again).
        yield from self._generate(question, history if followup else [], facts, cov, trace,
                                  cancel)

    def _question_words(self, text: str) -> list[str]:
        """Content words, less the business's own name ("school" at a music school says
        nothing about which fact is wanted)."""
        words = content_words(text)
        specific = [w for w in words if w not in self._name_words]
        return specific or words

    # ---- retrieval and the gate ----------------------------------------------------------

    def _retrieve(self, question: str, previous: str | None) -> list[Passage]:
        if self.kb is None or not question.strip():
            return []
        passages = self.kb.search(question, self.tuning.k)
        if previous:  # a follow-up: also search with the previous question for context
            seen = {p.text for p in passages}
            extra = self.kb.search(f"{previous} {question}", self.tuning.k)
            passages += [p for p in extra if p.text not in seen]
        return passages

    def _select(self, words: list[str],
                passages: list[Passage]) -> tuple[list[Passage] | None, Coverage]:
        """The passages to answer from, or None when the facts do not cover the question."""
        if not passages or not words or max(p.score for p in passages) < self.tuning.min_score:
            return None, Coverage(missing=list(words))
        cov = self.grounding.coverage(words, [p.text for p in passages])
        if not cov.gate_ok:
            return None, cov
        # Only the passages that answer this question most specifically: fewer tokens to
        # evaluate, fewer distractors for the small model to pick a wrong fact from.
        weights = self.grounding.rank(words, [p.text for p in passages])
        best = max(weights)
        chosen = [p for p, w in zip(passages, weights) if w > 0 and w >= 0.5 * best]
        chosen.sort(key=lambda p: p.score, reverse=True)
        return chosen[: self.tuning.max_passages], cov

    def _faq_answer(self, question: str, facts: list[Passage]) -> tuple[str, str] | None:
        """(passage, answer) when the question closely matches an FAQ question."""
        faqs = [p for p in facts if p.text.startswith(FAQ_PREFIX) and FAQ_SEPARATOR in p.text]
        if not faqs or self.embedder is None:
            return None
        pairs = [p.text[len(FAQ_PREFIX):].split(FAQ_SEPARATOR, 1) for p in faqs]
        vecs = self.embedder.embed([question] + [q for q, _ in pairs])
        sims = vecs[1:] @ vecs[0]
        best = int(sims.argmax())
        if float(sims[best]) < self.tuning.faq_min_score:
            return None
        return faqs[best].text, pairs[best][1].strip()

    # ---- generation ----------------------------------------------------------------------

    def _generate(self, question: str, history: Sequence[Message], facts: list[Passage],
                  cov: Coverage, trace: AnswerTrace,
                  cancel: threading.Event) -> Iterator[str]:
        # Best passage last, next to the question: the small model leans on what is nearest.
        texts = [self.grounding.focus(cov.words, p.text) for p in reversed(facts)]
        trace.passages = texts
        messages = build_messages(self.profile, texts, history, question,
                                  max_history=self.tuning.max_history)
        # Names the reply may use besides the facts': the caller's words, our own name.
        known = [question, self.profile.name, *(m.content for m in history)]
        splitter = ClauseSplitter(first_comma_chars=FIRST_COMMA_CHARS)
        pieces = self.llm.stream(messages, max_tokens=self.tuning.max_tokens, cancel=cancel)
        try:
            for piece in pieces:
                if trace.first_token is None:
                    trace.first_token = time.monotonic()
                for clause in splitter.feed(piece):
                    verdict = self._verdict(clause, texts, cov, trace, known)
                    if verdict is not None:
                        yield verdict
                        return
                    yield clause
            tail = splitter.flush()
            if tail and not cancel.is_set():
                verdict = self._verdict(tail, texts, cov, trace, known)
                yield verdict if verdict is not None else tail
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops the model: no token is computed after this

    def _verdict(self, clause: str, facts: list[str], cov: Coverage, trace: AnswerTrace,
                 known: Sequence[str] = ()) -> str | None:
        """None to release ``clause``; else the text to say instead, ending the reply."""
        if is_refusal(clause):
            trace.route, trace.reason = "not_found", "the model said it does not know"
            return DONT_KNOW
        problem = check_clause(clause, facts, cov.unsupported, known)
        if problem is None:
            return None
        trace.route, trace.reason = "guarded", f"{problem}: {clause!r}"
        log.info("guarded clause %r: %s", clause, problem)
        return DONT_KNOW


_BACK_REFERENCES = frozenset({"it", "its", "that", "this", "those", "these", "them", "there",
                              "then", "one", "ones", "also", "too", "else"})
_BACK_OPENERS = ("and ", "what about ", "how about ", "but ", "so ", "also ")


def _refers_back(question: str) -> bool:
    """Whether a question leans on the previous one: "and on Saturday?", "how much is it?".
    "What is your address?" asks about a kind of fact too, but stands on its own."""
    norm = " ".join(re.findall(r"[a-z']+", question.lower()))
    return norm.startswith(_BACK_OPENERS) or bool(_BACK_REFERENCES & set(norm.split())) \
        or len(norm.split()) <= 2


def _last_user_turn(history: Sequence[Message]) -> str | None:
    for m in reversed(history):
        if m.role == "user" and m.content.strip():
            return m.content
    return None


def _split(text: str) -> Iterator[str]:
    splitter = ClauseSplitter()
    yield from splitter.feed(text)
    tail = splitter.flush()
    if tail:
        yield tail


def _why(cov: Coverage, passages: list[Passage]) -> str:
    if not passages:
        return "no passages"
    if cov.missing:
        return f"not in the facts: {', '.join(cov.missing)}"
    return "no relevant passage"
