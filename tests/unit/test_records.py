import sqlite3

from appliance.records.store import CallStore


def test_call_lifecycle_is_recorded(tmp_path):
    db = tmp_path / "calls.sqlite"
    store = CallStore(db)
    store.call_started("c1", "PJSIP/201-1", "sip", "201", "Alice", "tag1", 100.0)
    store.call_answered("c1", 100.2)
    store.add_transcript("c1", 100.3, "bot", "Hello")
    store.call_ended("c1", 107.5, "completed", caller_audio="/x.wav")
    store.close()
    again = CallStore(db)
    rec = again.by_tag("tag1")
    assert rec is not None and rec.id == "c1"
    assert rec.status == "completed" and rec.duration_s == 7.5 and rec.answered_at == 100.2
    assert again.transcript("c1") == [(100.3, "bot", "Hello")]
    again.close()
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_turns_and_messages_survive_reopen(tmp_path):
    from appliance.records.store import TurnRecord

    db = tmp_path / "calls.sqlite"
    store = CallStore(db)
    store.call_started("c1", "PJSIP/201-1", "sip", "201", "", "t", 100.0)
    store.add_turn(TurnRecord("c1", 1, "when do you open", "We open at 9 am.", "llm",
                              ["We are open 9 am to 5 pm."], speech_end=101.0,
                              first_rtp_sent=101.8))
    store.add_turn(TurnRecord("c1", 0, "hello", "Hi.", "faq", barge_in_at=100.5))
    store.add_message("c1", 105.0, "201", "/m.wav", 4.2, "please call me back")
    store.close()
    again = CallStore(db)
    turns = again.turns("c1")
    assert [t.idx for t in turns] == [0, 1]
    assert turns[1].passages == ["We are open 9 am to 5 pm."]
    assert turns[1].first_rtp_sent == 101.8 and turns[1].stt_final is None
    assert turns[0].barge_in_at == 100.5
    (msg,) = again.messages("c1")
    assert msg.transcript == "please call me back" and msg.duration_s == 4.2
    assert again.messages("other") == []
    again.close()
