"""What the caller wants, from the words the STT heard."""

from __future__ import annotations

import pytest

from appliance.conversation.intents import Intent, classify, is_filler


@pytest.mark.parametrize(("heard", "intent"), [
    ("thank you goodbye", Intent.GOODBYE),
    ("okay bye bye", Intent.GOODBYE),
    ("i want to talk to a person", Intent.HUMAN),
    ("can i speak to someone please", Intent.HUMAN),
    ("put me through to the receptionist", Intent.HUMAN),
    ("i would like to leave a message", Intent.MESSAGE),
    ("when are you open on saturday", Intent.QUESTION),
    # "bye" inside a longer question is not a farewell
    ("do you say goodbye to patients at the door when they leave the practice", Intent.QUESTION),
    ("um uh", Intent.FILLER),
    ("", Intent.FILLER),
])
def test_classify(heard: str, intent: Intent) -> None:
    assert classify(heard) is intent


def test_yes_and_no_only_answer_an_offer() -> None:
    assert classify("yes please", offer_pending=True) is Intent.YES
    assert classify("no thanks", offer_pending=True) is Intent.NO
    assert classify("yeah sure", offer_pending=True) is Intent.YES
    # Without an offer on the table, a bare "yes" is just something said.
    assert classify("yes please") is Intent.QUESTION
    # A real question after an offer is still a question.
    assert classify("yes what time do you open on monday", offer_pending=True) is \
        Intent.QUESTION


def test_filler() -> None:
    assert is_filler("um, uh... hmm")
    assert not is_filler("um the price")
