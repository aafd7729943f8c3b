"""Grounding checks: words, coverage of a question by the facts, per-clause checks."""

from collections.abc import Iterator

import pytest

from appliance.brain.embed import EmbedError, load
from appliance.brain.grounding import Grounding, check_clause, is_refusal, offers_human
from appliance.brain.prompt import DONT_KNOW
from appliance.brain.words import content_words, fact_kinds, numbers_as_digits, stem

HOURS = "Opening hours: We are open Monday to Friday from 8 am to 6 pm."
PRICES = "Prices: A check-up costs 45 euros. Whitening costs 350 euros."
KIDS = "Children: We treat children from the age of two."
RENTAL = "Rental: Violins can be rented for 15 dollars a month."


@pytest.fixture(scope="module")
def grounding() -> Iterator[Grounding]:
    try:
        yield Grounding(load())
    except EmbedError as exc:
        pytest.skip(str(exc))


def test_number_words_become_digits() -> None:
    assert numbers_as_digits("twenty five dollars, thirty-two, nine am, Seven") == (
        "25 dollars, 32, 9 am, 7")
    assert numbers_as_digits("someone often") == "someone often"  # no "one" inside words


def test_stems_match_inflections() -> None:
    assert stem("lessons") == stem("lesson")
    assert stem("rented") == stem("rent") == stem("renting")
    assert stem("parking") == stem("park")
    assert stem("classes") == stem("class")
    assert stem("prices") == stem("price") == stem("priced")


def test_content_words_drop_filler_and_people() -> None:
    assert content_words("Hi, I was wondering how much my daughter's thirty minute lesson "
                         "is?") == ["30", "minute", "lesson"]


def test_fact_kinds() -> None:
    assert fact_kinds(HOURS) == {"time"}
    assert fact_kinds(PRICES) == {"amount"}
    assert fact_kinds("We are at 42 Maple Street.") == {"place"}
    assert fact_kinds("Lessons are 30 minutes long.") == {"duration"}
    assert fact_kinds(KIDS) == {"age"}


def test_generic_question_words_are_covered_by_a_kind_of_fact(grounding: Grounding) -> None:
    cov = grounding.coverage(content_words("What are your opening hours on Friday?"), [HOURS])
    assert cov.gate_ok and not cov.unsupported
    cov = grounding.coverage(content_words("How much is a check-up?"), [PRICES])
    assert cov.gate_ok


def test_a_word_not_in_the_facts_fails_the_gate(grounding: Grounding) -> None:
    cov = grounding.coverage(content_words("How much is a root canal?"), [PRICES, HOURS])
    assert not cov.gate_ok and cov.missing == ["root", "canal"]


def test_near_synonyms_are_covered_but_related_words_are_not(grounding: Grounding) -> None:
    assert grounding.coverage(["kids"], [KIDS]).covered == ["kids"]  # ~ children
    cov = grounding.coverage(["cello"], [RENTAL])  # ~ violin: related, not the same
    assert cov.gate_ok and cov.related == ["cello"] and cov.unsupported == ["cello"]


def test_clause_with_an_invented_number_fails() -> None:
    assert check_clause("A cleaning costs 90 euros.", [PRICES], []) is not None
    assert check_clause("A check-up costs forty five euros.", [PRICES], []) is None
    assert check_clause("A check-up costs 45 euros.", [PRICES], []) is None


def test_clause_repeating_or_affirming_an_unsupported_word_fails() -> None:
    assert check_clause("Yes, we rent cellos.", [RENTAL], ["cello"]) is not None
    assert check_clause("Cellos cost 15 dollars a month.", [RENTAL], ["cello"]) is not None
    assert check_clause("Yes, of course.", [RENTAL], ["cello"]) is not None
    assert check_clause("Violins can be rented for 15 dollars a month.", [RENTAL],
                        ["cello"]) is None
    assert check_clause("Yes, violins can be rented.", [RENTAL], []) is None


def test_refusal_and_offer_detection() -> None:
    assert is_refusal(DONT_KNOW) and offers_human(DONT_KNOW)
    assert is_refusal("I'm not sure about that.") and not offers_human("I'm not sure.")
    assert not is_refusal("We are open from 8 am to 6 pm.")
    assert offers_human("I can take a message for the team.")


def test_focus_keeps_the_sentences_that_answer(grounding: Grounding) -> None:
    team = ("Our teachers: Maria Lopez teaches piano. Tom Becker teaches guitar. "
            "Yuki Tanaka teaches violin.")
    assert grounding.focus(["teaches", "guitar"], team) == (
        "Our teachers: Tom Becker teaches guitar.")
    faq = "Q: Can I pay by card? A: Yes. Cash too."
    assert grounding.focus(["card"], faq) == faq


def test_clause_with_a_name_not_in_the_facts_fails() -> None:
    team = "Our team: Dr. Anna Keller and Dr. Samuel Ortiz."
    assert check_clause("The dentist is Omar Haddad.", [team], []) is not None
    assert check_clause("We are at 5 Oak Road.", [RENTAL], []) is not None
    assert check_clause("Dr. Anna Keller does that.", [team], []) is None
    assert check_clause("Yes, Tom can help.", [team], [], known=["Is Tom in?"]) is None
    assert check_clause("Sorry, I'm not sure.", [team], []) is None
