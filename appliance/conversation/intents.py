"""What the caller wants, from the words the STT heard: the few intents the call flow acts on
before (instead of) asking the knowledge base.

Pure functions on text. Phrases are matched on whole words after normalising, so "goodbye"
ends the call but "do you say goodbye to pets" is a question. STT output (PocketSphinx over
the phone band) is rough, so each intent accepts the usual variants.
"""

from __future__ import annotations

import re
from enum import Enum


class Intent(Enum):
    QUESTION = "question"
    HUMAN = "human"  # talk to a person
    MESSAGE = "message"  # leave a message
    GOODBYE = "goodbye"
    YES = "yes"
    NO = "no"
    FILLER = "filler"  # only "um", "uh", breathing: not a turn


FILLERS = frozenset({
    "um", "uh", "umm", "uhm", "hmm", "mm", "mhm", "er", "erm", "ah", "eh", "oh", "huh",
    "ha", "hm", "the", "a", "and", "so", "well",
})
_YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "please", "okay", "ok", "right",
                  "correct", "absolutely", "certainly", "of course", "yes please",
                  "go ahead", "that would be great", "that would be nice"})
_NO = frozenset({"no", "nope", "no thanks", "no thank you", "not really", "nah",
                 "that's all", "that is all", "nothing else", "i'm fine", "i'm good"})
_GOODBYE = (
    "goodbye", "good bye", "bye", "bye bye", "that's all thanks", "that's all thank you",
    "that is all thank you", "have a nice day", "have a good day", "see you",
)
_HUMAN = (
    "talk to a person", "speak to a person", "talk to someone", "speak to someone",
    "talk to somebody", "speak to somebody", "talk to a human", "speak to a human",
    "real person", "a human", "a person please", "an operator", "the operator",
    "receptionist", "representative", "staff member", "member of staff", "put me through",
    "transfer me", "connect me", "talk to a real", "speak with someone", "speak with a person",
    "talk with someone", "talk with a person", "human please", "live person",
)
_MESSAGE = (
    "leave a message", "take a message", "leave message", "take message", "voicemail",
    "voice mail", "a message",
)


def normalize(text: str) -> str:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return " ".join(words)


def _has_phrase(norm: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    padded = f" {norm} "
    return any(f" {p} " in padded for p in phrases)


def is_filler(text: str) -> bool:
    """True when nothing but filler words (or nothing at all) was heard."""
    words = normalize(text).split()
    return all(w in FILLERS for w in words)


def classify(text: str, *, offer_pending: bool = False) -> Intent:
    """The caller's intent. ``offer_pending``: the bot just offered a person or a message,
    so a bare "yes" / "no" answers that offer."""
    norm = normalize(text)
    if is_filler(norm):
        return Intent.FILLER
    words = norm.split()
    if _has_phrase(norm, _MESSAGE):
        return Intent.MESSAGE
    if _has_phrase(norm, _HUMAN):
        return Intent.HUMAN
    # Goodbye only when the utterance is short: "bye" inside a long question is not a farewell.
    if len(words) <= 6 and _has_phrase(norm, _GOODBYE):
        return Intent.GOODBYE
    if offer_pending and len(words) <= 4:
        stripped = " ".join(w for w in words if w not in FILLERS)
        if stripped in _YES or (words and words[0] in {"yes", "yeah", "yep", "sure", "okay",
                                                       "ok"}):
            return Intent.YES
        if stripped in _NO or (words and words[0] in {"no", "nope", "nah"}):
            return Intent.NO
    return Intent.QUESTION


def same_words(a: str, b: str) -> bool:
    """Whether two transcripts of one utterance say the same (fillers aside): an answer
    started from the partial result still fits the final one."""
    def key(text: str) -> list[str]:
        return [w for w in normalize(text).split() if w not in FILLERS]
    return key(a) == key(b)
