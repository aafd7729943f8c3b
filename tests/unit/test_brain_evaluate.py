"""`appliance eval`: loading a set, scoring replies, and the command on three spoken questions."""

import json
from pathlib import Path

import pytest

from appliance.brain.evaluate import (
    EvalError,
    EvalQuestion,
    contains_fact,
    load_set,
    normalize,
    score,
)
from appliance.brain.prompt import DONT_KNOW
from appliance.cli import main
from appliance.speech.wavio import read_wav
from tests.unit.test_brain_llm import _model_path

SET = Path(__file__).parents[1] / "data" / "eval" / "harbor-music"
KB_TEXT = "A 30 minute lesson costs 25 dollars. We open at 9 am."


def test_the_committed_set_is_complete() -> None:
    s = load_set(SET)
    answerable = [q for q in s.questions if not q.outside]
    outside = [q for q in s.questions if q.outside]
    assert len(answerable) >= 14 and len(outside) >= 10
    assert {p.name for p in s.kb_files} >= {"faq.csv", "school.md"}
    for q in s.questions:
        assert q.audio is not None, q.id
        audio, rate = read_wav(q.audio)
        assert rate == 8000 and audio.ndim == 1 and len(audio) > rate  # mono, > 1 s


def test_normalize_and_fact_matching() -> None:
    assert normalize("It's $45, or 9:00 a.m.!") == "its 45 dollars or 9 am"
    assert normalize("Twenty five dollars, 10%") == "25 dollars 10 percent"
    assert contains_fact("A lesson is twenty-five dollars.", ("25 dollars",)) == "25 dollars"
    assert contains_fact("We open at 9am.", ("9 am",)) == "9 am"
    assert contains_fact("We open at 19 am.", ("9 am",)) is None  # whole words only


def test_scoring() -> None:
    answerable = EvalQuestion("q", "How much?", ("25 dollars",))
    assert score(answerable, "It costs $25.", KB_TEXT)[0]
    assert not score(answerable, DONT_KNOW, KB_TEXT)[0]
    outside = EvalQuestion("o", "Drums?", outside=True)
    assert score(outside, DONT_KNOW, KB_TEXT) == (
        True, "declined and offered a person or a message")
    assert not score(outside, "Yes, drum lessons are 40 dollars.", KB_TEXT)[0]
    assert not score(outside, "I don't know.", KB_TEXT)[0]  # no offer of a person
    assert score(outside, "Sorry, I don't know that; we do have 30 minute lessons. "
                          "Shall I take a message?", KB_TEXT)[0]


def test_malformed_sets_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match=str(tmp_path / "nope")):
        load_set(tmp_path / "nope")
    with pytest.raises(EvalError, match="questions.toml"):
        load_set(tmp_path)
    (tmp_path / "questions.toml").write_text(
        '[business]\nname = "X"\n[[question]]\nid = "a"\ntext = "Hi?"\n')
    with pytest.raises(EvalError, match="expect = .* or outside = true"):
        load_set(tmp_path)


def test_missing_set_dir_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval", str(tmp_path / "missing")]) == 2
    assert f"evaluation set not found: {tmp_path / 'missing'}" in capsys.readouterr().err


def test_eval_command_scores_three_spoken_questions(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    llm = _model_path(tmp_path)
    code = main(["eval", str(SET), "--json", "--llm", str(llm), "--only", "open-saturday",
                 "--only", "trial", "--only", "drums"])
    out = capsys.readouterr()
    data = json.loads(out.out)
    print(out.err)
    assert [q["id"] for q in data["questions"]] == ["open-saturday", "trial", "drums"]
    assert data["input"] == "audio" and "[ 3/3] PASS drums" in out.err  # progress on stderr
    by_id = {q["id"]: q for q in data["questions"]}
    assert "saturday" in by_id["open-saturday"]["heard"]  # transcribed, not the text
    assert by_id["open-saturday"]["passed"] and "9 am" in by_id["open-saturday"]["reply"]
    assert by_id["drums"]["passed"] and by_id["drums"]["route"] == "not_found"
    assert all(q["first_clause_ms"] is not None and q["stt_ms"] is not None
               for q in data["questions"])
    assert data["outside"] == {"passed": 1, "total": 1, "target": 0.9}
    passed = data["answerable"]["passed"]
    assert code == (0 if passed == 2 else 1) and data["targets_met"] == (passed == 2)
