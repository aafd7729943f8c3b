"""The Answerer against the REAL default LLM (Qwen2.5-Coder-0.5B) and a real knowledge base.

The knowledge base is the Maple Street Dental one in tests/data/kb (not the evaluation set's
music school, so these tests also show the answerer is not fitted to that set).
"""

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from appliance.brain.answerer import Answerer, AnswerTrace
from appliance.brain.grounding import is_refusal, offers_human
from appliance.brain.llama_llm import LlamaLanguageModel
from appliance.brain.llm import Message
from appliance.brain.prompt import DONT_KNOW, BusinessProfile
from appliance.knowledge import KnowledgeBase
from tests.unit.test_brain_llm import _model_path

PROFILE = BusinessProfile("Maple Street Dental", "A family dental practice in Riverton.")


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> LlamaLanguageModel:
    return LlamaLanguageModel(_model_path(tmp_path_factory.mktemp("models")), n_threads=2)


@pytest.fixture(scope="module")
def answerer(dental_kb: KnowledgeBase, llm: LlamaLanguageModel) -> Answerer:
    a = Answerer(dental_kb, llm, PROFILE)
    a.warm()
    return a


def ask(a: Answerer, question: str, history: Sequence[Message] = ()) -> tuple[str, AnswerTrace]:
    trace = AnswerTrace()
    clauses = list(a.answer(question, history, trace))
    reply = " ".join(clauses)
    print(f"\n{question!r} -> [{trace.route}] {reply!r} {trace.reason}")
    assert reply == trace.reply
    return reply, trace


def assert_declined(reply: str) -> None:
    assert is_refusal(reply) and offers_human(reply), reply
    assert not re.search(r"\d", reply), reply
    assert not re.match(r"\s*(yes|sure|of course)\b", reply, re.IGNORECASE), reply


def test_a_fact_in_the_knowledge_base_comes_back(answerer: Answerer) -> None:
    reply, trace = ask(answerer, "How much does a check-up cost?")
    assert "45" in reply
    assert trace.route == "llm" and any("45 euros" in p for p in trace.passages)
    assert trace.retrieval_done is not None and trace.first_token is not None
    assert trace.retrieval_done <= trace.first_token


@pytest.mark.parametrize("question", [
    "How much does a root canal cost?",  # a price of a service the practice does not list
    "Do you sell electric toothbrushes?",  # a product never mentioned
    "Is there a fee if I come late to my appointment?",  # a policy never mentioned
    "Do you offer braces for adults?",
])
def test_a_question_outside_the_knowledge_base_is_declined(answerer: Answerer,
                                                           question: str) -> None:
    reply, trace = ask(answerer, question)
    assert_declined(reply)
    assert trace.route in ("not_found", "guarded")


def test_a_close_faq_question_is_answered_from_the_faq(answerer: Answerer) -> None:
    reply, trace = ask(answerer, "Can I bring my child with me?")
    assert trace.route == "faq"
    assert reply == ("Yes. We treat children from the age of two; "
                     "the first visit for a child is free.")
    assert trace.first_token is None  # no LLM
    assert trace.passages == ["Q: Can I bring my child? A: " + reply]


def test_no_knowledge_base_means_a_polite_dont_know(llm: LlamaLanguageModel,
                                                    tmp_path: Path) -> None:
    for kb in (None, KnowledgeBase(tmp_path / "empty")):
        trace = AnswerTrace()
        assert list(Answerer(kb, llm, PROFILE).answer("When are you open?", [], trace)) == [
            DONT_KNOW]
        assert trace.route == "not_found" and trace.first_token is None


class CountingLlm:
    """The real model, counting the pieces it has streamed so far."""

    def __init__(self, inner: LlamaLanguageModel) -> None:
        self.inner = inner
        self.pieces = 0

    def stream(self, messages, max_tokens=128, stop=None, cancel=None):  # type: ignore[no-untyped-def]
        for piece in self.inner.stream(messages, max_tokens, stop, cancel):
            self.pieces += 1
            yield piece

    def warm(self, prefix_messages):  # type: ignore[no-untyped-def]
        self.inner.warm(prefix_messages)


QUESTION_WITH_A_LONG_REPLY = "Where is the practice, and is there parking?"


def test_clauses_stream_before_the_reply_is_complete(dental_kb: KnowledgeBase,
                                                     llm: LlamaLanguageModel) -> None:
    counting = CountingLlm(llm)
    a = Answerer(dental_kb, counting, PROFILE)  # type: ignore[arg-type]
    trace = AnswerTrace()
    seen_at_first_clause = None
    clauses = []
    for clause in a.answer(QUESTION_WITH_A_LONG_REPLY, [], trace):
        if seen_at_first_clause is None:
            seen_at_first_clause = counting.pieces
        clauses.append(clause)
    print(f"\n{clauses} first clause after {seen_at_first_clause} of {counting.pieces} pieces")
    assert trace.route == "llm" and len(clauses) >= 2
    assert seen_at_first_clause is not None and seen_at_first_clause < counting.pieces


def test_cancel_stops_the_stream(answerer: Answerer) -> None:
    cancel = threading.Event()
    trace = AnswerTrace()
    gen = answerer.answer(QUESTION_WITH_A_LONG_REPLY, [], trace, cancel)
    first = next(gen)
    t0 = time.monotonic()
    threading.Thread(target=cancel.set).start()  # as a barge-in would, from another thread
    rest = list(gen)
    assert first and rest == [] and trace.reply == first
    assert time.monotonic() - t0 < 1.0
    preset = threading.Event()
    preset.set()
    assert list(answerer.answer("How much does a check-up cost?", [], AnswerTrace(),
                                preset)) == []


def test_the_call_history_is_used_for_a_follow_up(answerer: Answerer) -> None:
    history = [Message("user", "What are your opening hours on Monday?"),
               Message("assistant", "On Monday we are open from 8 am to 6 pm.")]
    reply, trace = ask(answerer, "And on Saturday?", history)
    assert trace.route == "llm"
    assert "9" in reply and "1" in reply  # Saturday 9 am to 1 pm


def test_a_new_question_is_not_answered_with_the_last_answer(answerer: Answerer) -> None:
    history = [Message("user", "Is the building wheelchair accessible?"),
               Message("assistant", "Yes, the building has a lift, so the practice is "
                                    "wheelchair accessible.")]
    reply, trace = ask(answerer, "What is your address?", history)
    assert trace.route == "llm"
    assert "42 Maple Street" in reply and "wheelchair" not in reply, reply
