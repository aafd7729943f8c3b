"""Call records in SQLite (WAL): one row per call, one per transcript entry.

Methods are synchronous and short; async code calls them through ``asyncio.to_thread`` so
the event loop never waits on the disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    caller_number TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    answered_at REAL,
    ended_at REAL,
    duration_s REAL,
    status TEXT NOT NULL DEFAULT 'ringing',
    error TEXT NOT NULL DEFAULT '',
    caller_audio TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_tag ON calls(tag);
CREATE TABLE IF NOT EXISTS transcript (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls(id),
    at REAL NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transcript_call ON transcript(call_id);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls(id),
    idx INTEGER NOT NULL,
    heard TEXT NOT NULL,
    reply TEXT NOT NULL,
    route TEXT NOT NULL,
    passages TEXT NOT NULL,
    barge_in_at REAL,
    speech_start REAL,
    speech_end REAL,
    stt_final REAL,
    retrieval_done REAL,
    first_token REAL,
    first_clause REAL,
    first_tts_audio REAL,
    first_rtp_sent REAL,
    reply_end REAL
);
CREATE INDEX IF NOT EXISTS turns_call ON turns(call_id);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls(id),
    at REAL NOT NULL,
    caller_number TEXT NOT NULL DEFAULT '',
    audio TEXT NOT NULL,
    duration_s REAL NOT NULL,
    transcript TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_call ON messages(call_id);
"""


@dataclass(frozen=True)
class CallRecord:
    id: str
    channel: str
    source: str
    caller_number: str
    caller_name: str
    tag: str
    started_at: float
    answered_at: float | None
    ended_at: float | None
    duration_s: float | None
    status: str
    error: str
    caller_audio: str


@dataclass
class TurnRecord:
    """One caller turn and the bot's reply. Times are wall-clock epoch seconds.

    ``barge_in_at`` is set when the caller interrupted this reply. Stage times are None
    when the stage did not happen (a FAQ answer has no first_token).
    """

    call_id: str
    idx: int
    heard: str
    reply: str
    route: str  # see appliance.brain.answerer.AnswerTrace.route; "reprompt", "handoff", ...
    passages: list[str] = field(default_factory=list)
    barge_in_at: float | None = None
    speech_start: float | None = None
    speech_end: float | None = None
    stt_final: float | None = None
    retrieval_done: float | None = None
    first_token: float | None = None
    first_clause: float | None = None
    first_tts_audio: float | None = None
    first_rtp_sent: float | None = None
    reply_end: float | None = None


TURN_TIMES = ("speech_start", "speech_end", "stt_final", "retrieval_done", "first_token",
              "first_clause", "first_tts_audio", "first_rtp_sent", "reply_end")


@dataclass(frozen=True)
class MessageRecord:
    id: int
    call_id: str
    at: float
    caller_number: str
    audio: str
    duration_s: float
    transcript: str


class CallStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def call_started(self, call_id: str, channel: str, source: str, caller_number: str,
                     caller_name: str, tag: str, at: float) -> None:
        self._exec(
            "INSERT OR REPLACE INTO calls (id, channel, source, caller_number, caller_name, tag,"
            " started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (call_id, channel, source, caller_number, caller_name, tag, at))

    def call_answered(self, call_id: str, at: float) -> None:
        self._exec("UPDATE calls SET answered_at = ?, status = 'answered' WHERE id = ?",
                   (at, call_id))

    def call_ended(self, call_id: str, at: float, status: str, error: str = "",
                   caller_audio: str = "") -> None:
        self._exec(
            "UPDATE calls SET ended_at = ?, duration_s = ? - started_at, status = ?, error = ?,"
            " caller_audio = ? WHERE id = ?",
            (at, at, status, error, caller_audio, call_id))

    def add_transcript(self, call_id: str, at: float, speaker: str, text: str) -> None:
        self._exec("INSERT INTO transcript (call_id, at, speaker, text) VALUES (?, ?, ?, ?)",
                   (call_id, at, speaker, text))

    def add_turn(self, turn: TurnRecord) -> None:
        row = asdict(turn)
        row["passages"] = json.dumps(turn.passages)
        cols = ", ".join(row)
        self._exec(f"INSERT INTO turns ({cols}) VALUES ({', '.join('?' * len(row))})",
                   tuple(row.values()))

    def turns(self, call_id: str) -> list[TurnRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM turns WHERE call_id = ? ORDER BY idx, id", (call_id,)).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d.pop("id")
            d["passages"] = json.loads(d["passages"])
            out.append(TurnRecord(**d))
        return out

    def add_message(self, call_id: str, at: float, caller_number: str, audio: str,
                    duration_s: float, transcript: str) -> None:
        self._exec(
            "INSERT INTO messages (call_id, at, caller_number, audio, duration_s, transcript)"
            " VALUES (?, ?, ?, ?, ?, ?)", (call_id, at, caller_number, audio, duration_s,
                                          transcript))

    def messages(self, call_id: str | None = None) -> list[MessageRecord]:
        sql = "SELECT * FROM messages ORDER BY at"
        args: tuple[str, ...] = ()
        if call_id is not None:
            sql, args = "SELECT * FROM messages WHERE call_id = ? ORDER BY at", (call_id,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [MessageRecord(**dict(r)) for r in rows]

    def get(self, call_id: str) -> CallRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        return CallRecord(**dict(row)) if row else None

    def by_tag(self, tag: str) -> CallRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM calls WHERE tag = ? ORDER BY started_at DESC LIMIT 1",
                (tag,)).fetchone()
        return CallRecord(**dict(row)) if row else None

    def transcript(self, call_id: str) -> list[tuple[float, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, speaker, text FROM transcript WHERE call_id = ? ORDER BY id",
                (call_id,)).fetchall()
        return [(r["at"], r["speaker"], r["text"]) for r in rows]

    def recent(self, limit: int = 20) -> list[CallRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM calls ORDER BY started_at DESC LIMIT ?", (limit,)).fetchall()
        return [CallRecord(**dict(r)) for r in rows]
