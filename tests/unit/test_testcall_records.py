"""`appliance call --json` takes what the bot heard and replied from the per-turn records."""

from __future__ import annotations

from typing import Any

from appliance.records.store import CallStore, TurnRecord
from appliance.testcall.run import _fill_from_records, stages_ms


def _report(n_turns: int) -> dict[str, Any]:
    turns = [{"caller": f"q{i}", "heard_by_bot": None, "reply_text": None, "route": None,
              "barge_in": None, "stages_ms": stages_ms(None)} for i in range(n_turns)]
    return {"call_id": None, "turns": turns, "errors": []}


def _ended_call(db, call_id: str, tag: str) -> CallStore:
    store = CallStore(db)
    store.call_started(call_id, "PJSIP/x-1", "local", "+15550100", "", tag, 1000.0)
    store.call_answered(call_id, 1000.2)
    store.call_ended(call_id, 1030.0, "completed")
    return store


async def test_turns_take_the_records_in_order_with_stage_times(tmp_path):
    db = tmp_path / "calls.sqlite"
    store = _ended_call(db, "c1", "tag-1")
    # Written out of order, as a fast FAQ turn could finish before a slow LLM turn.
    store.add_turn(TurnRecord(
        "c1", 1, "where are you", "We are at 5 Main Street.", "faq", ["5 Main Street"],
        barge_in_at=1021.0, speech_start=1018.0, speech_end=1019.0, stt_final=1019.25,
        retrieval_done=1019.3, first_tts_audio=1019.55, first_rtp_sent=1019.6,
        reply_end=1022.0))
    store.add_turn(TurnRecord(
        "c1", 0, "when do you open", "We open at nine.", "llm", ["Open 9 to 5."],
        speech_start=1008.0, speech_end=1010.0, stt_final=1010.4, retrieval_done=1010.45,
        first_token=1010.9, first_clause=1011.2, first_tts_audio=1011.5,
        first_rtp_sent=1011.52, reply_end=1014.0))
    # Another call's turn must not leak into this report.
    store.call_started("c2", "PJSIP/x-2", "local", "", "", "tag-2", 1001.0)
    store.add_turn(TurnRecord("c2", 0, "other caller", "Other reply.", "llm"))
    store.close()

    report = _report(2)
    assert await _fill_from_records(db, "tag-1", report) == "c1"

    first, second = report["turns"]
    assert (first["heard_by_bot"], first["reply_text"]) == ("when do you open",
                                                            "We open at nine.")
    assert first["route"] == "llm" and first["barge_in"] is False
    assert first["stages_ms"] == {"stt_ms": 400, "retrieval_ms": 450, "first_token_ms": 900,
                                  "first_clause_ms": 1200, "first_tts_ms": 1500,
                                  "first_rtp_ms": 1520}
    assert second["heard_by_bot"] == "where are you" and second["route"] == "faq"
    assert second["barge_in"] is True
    # A FAQ answer has no LLM stages: reported as missing, not as zero.
    assert second["stages_ms"] == {"stt_ms": 250, "retrieval_ms": 300, "first_token_ms": None,
                                   "first_clause_ms": None, "first_tts_ms": 550,
                                   "first_rtp_ms": 600}
    assert report["errors"] == []


async def test_turns_without_a_record_stay_empty(tmp_path):
    db = tmp_path / "calls.sqlite"
    store = _ended_call(db, "c1", "tag-1")
    # The engine heard the first turn but never finished a reply (no stage after STT).
    store.add_turn(TurnRecord("c1", 0, "hello", "", "reprompt", speech_end=1005.0,
                              stt_final=1005.3))
    store.close()

    report = _report(2)
    assert await _fill_from_records(db, "tag-1", report) == "c1"
    first, second = report["turns"]
    assert first["heard_by_bot"] == "hello" and first["reply_text"] == ""
    assert first["stages_ms"]["stt_ms"] == 300 and first["stages_ms"]["first_rtp_ms"] is None
    assert second["heard_by_bot"] is None and second["route"] is None
    assert second["barge_in"] is None
    assert set(second["stages_ms"].values()) == {None}

