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
