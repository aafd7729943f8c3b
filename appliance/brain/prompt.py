"""Prompt building for the receptionist: static part first, so it is a cacheable prefix.

Message order: [system: role + business profile + rules] and a few worked examples (the
same on every call, so llama.cpp keeps its KV cache for them across turns and calls; see
``llama_llm``), then the recent turns, and last one user message holding the facts
retrieved for this question and the question itself. Facts go next to the question
because the small default model (Qwen2.5-Coder-0.5B) follows what is nearest the end best.
Prompting alone does not stop it inventing (prices, "yes" to policies), so whether the
facts answer a question at all is decided in code (``brain.grounding``, ``brain.answerer``);
the examples mostly teach picking the right fact out of several.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.brain.llm import Message

RULES = (
    "Answer only from the facts given to you. Never guess prices, hours, policies or "
    "anything else that is not in the facts.",
    "If the facts do not contain the answer, say that you do not know and offer to put "
    "the caller through to a staff member or to take a message.",
    "You are speaking on the phone: use one to three short, plain spoken sentences. "
    "No lists, no markdown, no emojis, no web links.",
    "Ask at most one question at a time.",
    "Be polite and friendly.",
)
NO_FACTS = "(no facts found for this question)"
DONT_KNOW = ("I'm sorry, I don't have that information. Would you like me to put you "
             "through to a staff member, or take a message?")
DEFAULT_HISTORY_TURNS = 6

# Worked examples about a made-up business (never the real one: its facts must come only
# from retrieval). Each has its own facts with distractors, like retrieval gives: they teach
# picking the one fact asked for. A few decline: a question the facts do not answer. (The
# code decides most "not in the facts" cases before the model runs - ``brain.grounding``;
# with mostly-declining examples the 0.5B model also declined answerable questions.)
_HOURS = ("Opening hours: We are open Tuesday to Friday from 10 am to 7 pm, and on Saturday "
          "from 9 am to 2 pm. We are closed on Sundays and Mondays.")
_PRICES = ("Prices: A men's haircut costs 30 dollars. A women's haircut costs 50 dollars. "
           "Colouring starts at 80 dollars.")
_TEAM = ("Our team: Lena Fischer does colouring. Omar Haddad does men's cuts. "
         "Sara Kim runs the salon.")
_PLACE = "Location: We are at 5 Oak Road, next to the post office."
_CARDS = "Q: Can I pay by card? A: Yes, we take cards and cash."
_EXAMPLES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    ((_HOURS, _PLACE), "How late are you open on Thursday?",
     "On Thursdays we are open until 7 pm."),
    ((_PRICES, _TEAM), "What does a women's cut cost?", "A women's haircut costs 50 dollars."),
    ((_HOURS,), "Are you open on Mondays?",
     "No, we are closed on Mondays. We are open Tuesday to Saturday."),
    ((_TEAM, _PRICES), "Who should I see for colouring?", "Lena Fischer does our colouring."),
    ((_PRICES,), "How much is a beard trim?", DONT_KNOW),
    ((_PLACE, _HOURS), "Where are you?", "We are at 5 Oak Road, next to the post office."),
    ((_CARDS, _PRICES), "Do you take credit cards?", "Yes, we take cards and cash."),
    ((_PLACE,), "Do you have parking?", DONT_KNOW),
)


@dataclass(frozen=True)
class BusinessProfile:
    name: str
    description: str = ""  # one or two sentences: what the business is and does
    language: str = "English"


def system_prompt(profile: BusinessProfile) -> str:
    lines = [f"You are the friendly receptionist answering the phone for {profile.name}."]
    if profile.description.strip():
        lines.append(profile.description.strip())
    lines.append(f"Always reply in {profile.language}.")
    lines.append("Rules:")
    lines.extend(f"- {rule}" for rule in RULES)
    return "\n".join(lines)


def question_message(passages: Sequence[str], question: str) -> Message:
    """The last message: this question's retrieved facts, then the caller's words."""
    cleaned = [" ".join(p.split()) for p in passages if p.strip()]
    facts = "\n".join(f"- {p}" for p in cleaned) if cleaned else NO_FACTS
    return Message("user", f"Facts:\n{facts}\n\nCaller: {' '.join(question.split())}")


def prefix_messages(profile: BusinessProfile) -> list[Message]:
    """The static prefix of every prompt (what ``LanguageModel.warm`` is given)."""
    msgs = [Message("system", system_prompt(profile))]
    for facts, question, answer in _EXAMPLES:
        msgs += [question_message(facts, question), Message("assistant", answer)]
    return msgs


def build_messages(profile: BusinessProfile, passages: Sequence[str],
                   history: Sequence[Message], question: str, *,
                   max_history: int = DEFAULT_HISTORY_TURNS) -> list[Message]:
    """The full prompt: static prefix, the last ``max_history`` turns, facts + question.

    ``history`` holds earlier user/assistant turns (plain words, no facts), oldest first;
    system messages in it are dropped (the caller must not be able to smuggle in rules).
    """
    turns = [m for m in history if m.role in ("user", "assistant") and m.content.strip()]
    recent = turns[-max_history:] if max_history > 0 else []
    # A cut history must not start with an orphan assistant reply.
    while recent and recent[0].role == "assistant":
        recent = recent[1:]
    return [*prefix_messages(profile), *recent, question_message(passages, question)]


_NUMBER = re.compile(r"\$?\d+(?:[.,:]\d+)*")


def ungrounded_numbers(text: str, passages: Sequence[str]) -> list[str]:
    """Numbers/amounts in ``text`` (a reply clause) that appear in none of the facts.

    The small model still invents prices; the conversation engine can check each clause
    before speaking it and say ``DONT_KNOW`` instead of a made-up figure.
    """
    facts = " ".join(passages)
    known = {m.lstrip("$") for m in _NUMBER.findall(facts)}
    return [n for n in _NUMBER.findall(text) if n.lstrip("$") not in known]
