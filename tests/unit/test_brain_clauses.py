import pytest

from appliance.brain.clauses import ClauseSplitter


def split(text: str, step: int = 1, **kw: int) -> list[str]:
    """Feed ``text`` in ``step``-sized pieces (like an LLM stream); all clauses + the tail."""
    s = ClauseSplitter(**kw)
    out: list[str] = []
    for i in range(0, len(text), step):
        out += s.feed(text[i:i + step])
    tail = s.flush()
    return out + ([tail] if tail else [])


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_piece_size_does_not_matter(step: int) -> None:
    text = ("Hello! We open at 9.30 a.m. on Monday, e.g. tomorrow. Dr. Smith charges $12.50. "
            "Is that ok? Great")
    assert split(text, step) == ["Hello!", "We open at 9.30 a.m. on Monday, e.g. tomorrow.",
                                 "Dr. Smith charges $12.50.", "Is that ok?", "Great"]


@pytest.mark.parametrize(("text", "expected"), [
    ("One. Two? Three! Four", ["One.", "Two?", "Three!", "Four"]),
    ("It costs $12.50 today. Yes", ["It costs $12.50 today.", "Yes"]),
    ("Come at 9.30. Bye", ["Come at 9.30.", "Bye"]),
    ("We open at 9. Then", ["We open at 9.", "Then"]),
    ("A fee of 1,000 dollars, or 1.5 percent applies.",
     ["A fee of 1,000 dollars, or 1.5 percent applies."]),
    ("At 9:30 sharp.", ["At 9:30 sharp."]),
    ("See Dr. Jones. Then Mrs. Lee.", ["See Dr. Jones.", "Then Mrs. Lee."]),
    ("Bring an ID, e.g. a passport. Or i.e. anything.",
     ["Bring an ID, e.g. a passport.", "Or i.e. anything."]),
    ("Ask J. Smith. Ok", ["Ask J. Smith.", "Ok"]),
    ("Wait... Ok", ["Wait...", "Ok"]),
    ("Really?! Yes", ["Really?!", "Yes"]),
    ('He said "hi." Then left', ['He said "hi."', "Then left"]),
    ("(Free parking.) Next", ["(Free parking.)", "Next"]),
    ("No. We are closed.", ["No.", "We are closed."]),
    ("Open until 5 p.m. See you", ["Open until 5 p.m.", "See you"]),
    ("Open 9 a.m. to 5 p.m. daily.", ["Open 9 a.m. to 5 p.m. daily."]),
    ("Version 2.0.1 is out.", ["Version 2.0.1 is out."]),
])
def test_cases(text: str, expected: list[str]) -> None:
    assert split(text) == expected
    assert split(text, 1000) == expected


def test_lines_split_and_list_numbers_stay_with_their_item() -> None:
    text = "Our services:\n1. Cleaning\n2. Fillings\n\nCall us."
    assert split(text) == ["Our services:", "1. Cleaning", "2. Fillings", "Call us."]


def test_semicolon_and_colon_split_only_after_min_length() -> None:
    assert split("Short; then more.") == ["Short; then more."]
    assert split("This part is long enough; then more.") == [
        "This part is long enough;", "then more."]
    assert split("Here is what we offer today: cleaning.") == [
        "Here is what we offer today:", "cleaning."]
    assert split("Note: x.") == ["Note: x."]
    assert split("Ab; cd.", min_pause_chars=2) == ["Ab;", "cd."]


def test_comma_splits_only_after_longer_min_length() -> None:
    assert split("Yes, we are open.") == ["Yes, we are open."]
    long = "We are open from Monday to Friday every week, and on Saturday mornings."
    assert split(long) == ["We are open from Monday to Friday every week,",
                           "and on Saturday mornings."]
    assert split("Yes, sure.", min_comma_chars=3) == ["Yes,", "sure."]


def test_clause_is_emitted_as_soon_as_the_next_char_shows_it_ended() -> None:
    s = ClauseSplitter()
    assert s.feed("We are open.") == []  # could still be "open.5"? wait for next char
    assert s.feed(" ") == ["We are open."]
    assert s.feed("Parking is free") == []
    assert s.feed("!\n") == ["Parking is free!"]
    assert s.flush() is None


def test_time_suffix_waits_for_the_next_word() -> None:
    s = ClauseSplitter()
    assert s.feed("Open until 5 p.m. ") == []
    assert s.feed("see") == []
    assert s.flush() == "Open until 5 p.m. see"


def test_flush_resets_and_blank_input_yields_nothing() -> None:
    s = ClauseSplitter()
    assert s.feed("   \n\n  ") == []
    assert s.flush() is None
    s.feed("Half a sentence")
    assert s.flush() == "Half a sentence"
    assert s.flush() is None
    assert s.feed("New. ") == ["New."]


def test_empty_pieces_are_harmless() -> None:
    s = ClauseSplitter()
    assert s.feed("") == []
    assert s.feed("Hi.") == [] and s.feed("") == [] and s.feed(" x") == ["Hi."]


def test_whitespace_is_trimmed_inside_output() -> None:
    assert split("  Hello there.   How are you?  ") == ["Hello there.", "How are you?"]


def test_first_clause_may_end_at_an_earlier_comma() -> None:
    text = "Yes, the building has a lift, so the practice is wheelchair accessible, and so on."
    early = ClauseSplitter(first_comma_chars=24)
    out = early.feed(text) + [early.flush()]
    assert out[0] == "Yes, the building has a lift,"
    # Later clauses keep the 40-character comma rule.
    assert out[1:] == ["so the practice is wheelchair accessible,", "and so on."]
    # Without it the first comma split needs 40 characters.
    assert ClauseSplitter().feed(text)[0] == "Yes, the building has a lift, so the practice is " \
                                               "wheelchair accessible,"
