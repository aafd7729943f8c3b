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


def similarity(heard: str, expected: str) -> float:
    """Word-level likeness of a transcript to a text, 0..1 (difflib ratio)."""
    a = [w.strip(".,?!'").lower() for w in heard.split()]
    b = [w.strip(".,?!'").lower() for w in expected.split()]
    return difflib.SequenceMatcher(None, a, b).ratio()


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
