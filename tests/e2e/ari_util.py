"""Synchronous ARI and record look-ups for assertions in end-to-end tests."""

from __future__ import annotations

import difflib
import json
import sqlite3
import urllib.request
from typing import Any

from appliance.ari.client import basic_auth
from appliance.home import ARI_PASSWORD_FILE, Home


def ari_get(home: Home, port: int, path: str) -> Any:
    token = basic_auth("appliance", home.read_secret(ARI_PASSWORD_FILE) or "")
    req = urllib.request.Request(f"http://127.0.0.1:{port}/ari{path}",
                                 headers={"Authorization": token})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read() or b"null")


def leftovers(home: Home, port: int) -> tuple[list[str], list[str]]:
    """Names of channels and ids of bridges still in Asterisk."""
    channels = [c["name"] for c in ari_get(home, port, "/channels")]
    bridges = [b["id"] for b in ari_get(home, port, "/bridges")]
    return channels, bridges


def call_record(home: Home, call_id: str) -> dict[str, Any] | None:
    db = sqlite3.connect(home.db_file)
    db.row_factory = sqlite3.Row
    try:
        row = db.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        return dict(row) if row else None
    finally:
        db.close()


_SPOKEN = {"we're": "we are", "you're": "you are", "it's": "it is", "i'm": "i am",
           "don't": "do not", "we'll": "we will", "i'd": "i would", "that's": "that is",
           "am": "a m", "pm": "p m", "0": "zero", "1": "one", "2": "two", "3": "three",
           "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight", "9": "nine",
           "10": "ten", "11": "eleven", "12": "twelve"}


def _spoken_words(text: str) -> list[str]:
    """Words as a recognizer writes them: contractions expanded, small numbers and am/pm
    spelled out (the bot's text says "9 am", a transcript says "nine a m")."""
    out: list[str] = []
    for w in text.lower().split():
        w = w.strip(".,?!'")
        out += _SPOKEN.get(w, w).split()
    return out


def similarity(heard: str, expected: str) -> float:
    """Word-level likeness of a transcript to a text, 0..1 (difflib ratio)."""
    return difflib.SequenceMatcher(None, _spoken_words(heard), _spoken_words(expected)).ratio()


DEFAULT_GREETING = "Thank you for calling Example Office. How can I help you today?"


def heard_greeting(heard: str, greeting: str = DEFAULT_GREETING) -> bool:
    """PocketSphinx over the telephone band gets most, not all, words right (it never
    hears "office"): require a clear majority in order. Silence or noise scores < 0.2."""
    return similarity(heard, greeting) >= 0.4


def words(text: str) -> set[str]:
    return {w.strip(".,?!'").lower() for w in text.split()}


def app_registered(appliance: Any) -> bool:
    apps = ari_get(appliance.home, appliance.cfg.asterisk.ari_port, "/applications")
    return any(a["name"] == appliance.cfg.asterisk.app for a in apps)
