"""The receptionist in conversation, through real Asterisk with `appliance call`: answers from
the knowledge base, no invented answers, barge-in, and a handoff to the staff that nobody
answers, ending in a message saved with the call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest

from appliance.home import staff_secret_name
from tests.e2e.ari_util import leftovers, similarity
from tests.e2e.conftest import Appliance, make_home, wait_until
from tests.support.baresip import BaresipUA, have_root

pytestmark = pytest.mark.e2e

KB = Path(__file__).parent.parent / "data" / "kb"
REFUSAL = re.compile(r"don't have|do not have|don't know|not sure", re.I)
OFFER = re.compile(r"staff|message|person|put you through", re.I)


@pytest.fixture(scope="module")
def office():
    app = Appliance(make_home(**{"business.name": "Maple Street Dental",
                                 "staff.ring_seconds": "4"}))
    app.cli("kb", "add", *map(str, sorted(KB.iterdir())), check=True)
    app.cli("up", check=True)
    yield app
    app.cli("down", timeout=60)
    shutil.rmtree(app.home.root, ignore_errors=True)


def _no_leftovers(app: Appliance) -> None:
    port = app.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(app.home, port) == ([], []), 10, "no leftovers")


def test_a_question_about_the_knowledge_base_is_answered_with_the_fact(office):
    report = office.call("--say", "When are you open on Saturday?")
    assert report["errors"] == [], (report, office.logs())
    (turn,) = report["turns"]
    assert re.search(r"\b9\b.*\b1\b", turn["reply_text"]), (turn, office.logs())
    # The caller really heard it: the bot's audio, transcribed on the caller's side (numbers
    # suffer most over the phone band, so the whole reply is compared).
    assert similarity(turn["reply_heard"], turn["reply_text"]) >= 0.3, turn
    assert turn["route"] in ("llm", "faq"), turn
    # Generous bound: it catches a hang; latency goals live in `appliance bench`.
    assert 0 < turn["answer_latency_ms"] < 8000
    _no_leftovers(office)


def test_a_question_outside_the_knowledge_base_gets_no_invented_answer(office):
    report = office.call("--say", "Do you sell dog food?")
    assert report["errors"] == [], (report, office.logs())
    (turn,) = report["turns"]
    reply = turn["reply_text"]
    assert REFUSAL.search(reply) and OFFER.search(reply), turn
    assert not re.search(r"\d", reply) and not reply.lower().startswith("yes"), turn
    assert turn["reply_heard"], turn


def test_barge_in_stops_the_bot_and_the_interruption_is_answered(office):
    report = office.call("--say", "Where is the practice?", "--barge-in", "800",
                         "--say", "When are you open on Saturday?")
    assert report["errors"] == [], (report, office.logs())
    first, second = report["turns"]
    assert first["barge_in"] is True, first
    # The bot went quiet soon after the caller started (the 200 ms goal is benchmarked;
    # this only catches a bot that talks on).
    assert second["bot_stopped_ms"] is not None and second["bot_stopped_ms"] < 1000, second
    assert re.search(r"\b9\b", second["reply_text"]), (second, office.logs())
    assert second["reply_heard"], second


def _staff_phone(app: Appliance, ext: str = "201") -> BaresipUA:
    workdir = Path(tempfile.mkdtemp(prefix="ua-", dir="/tmp"))
    password = app.home.read_secret(staff_secret_name(ext))
    assert password
    return BaresipUA(workdir, ext, password, f"127.0.0.1:{app.cfg.asterisk.sip_port}",
                     auto_answer=False)


@pytest.mark.skipif(not have_root(), reason="no baresip in the private root")
def test_talk_to_a_person_rings_the_staff_and_unanswered_ends_in_a_message(office):
    message = "Please call me back about my appointment tomorrow."
    rang: list[dict] = []
    ready = threading.Event()
    done = threading.Event()

    def staff() -> None:
        async def run() -> None:
            async with _staff_phone(office) as phone:
                ready.set()
                with contextlib.suppress(Exception):
                    rang.append(await phone.wait_incoming(40))
                await asyncio.to_thread(done.wait, 120)  # keep the phone up until the call ends
        asyncio.run(run())

    thread = threading.Thread(target=staff, daemon=True)
    thread.start()
    assert ready.wait(20), "the staff phone did not start"
    try:
        # Ring 4 s (staff.ring_seconds), then "nobody is available... leave a message?".
        report = office.call("--say", "I want to talk to a person.", "--pause", "3",
                             "--say", "Yes please.", "--say", message, timeout=180)
    finally:
        done.set()
        thread.join(30)
    assert rang, ("the staff phone never rang", office.logs())
    call_id = report["call_id"]
    assert call_id, report
    db = sqlite3.connect(office.home.db_file)
    rows = db.execute("SELECT transcript, audio, duration_s FROM messages WHERE call_id = ?",
                      (call_id,)).fetchall()
    assert len(rows) == 1, (report, office.logs())
    transcript, audio, duration = rows[0]
    assert Path(audio).exists() and duration > 2
    assert similarity(transcript, message) >= 0.4, (transcript, report)
    routes = [r[0] for r in db.execute(
        "SELECT route FROM turns WHERE call_id = ? ORDER BY idx", (call_id,))]
    assert routes[:2] == ["handoff", "message"], routes
    listed = json.loads(office.cli("messages", "--json", check=True).stdout)
    assert [m["transcript"] for m in listed if m["call_id"] == call_id] == [transcript]
    status = db.execute("SELECT status FROM calls WHERE id = ?", (call_id,)).fetchone()[0]
    assert status == "completed"
    _no_leftovers(office)


def test_bad_files_for_the_knowledge_base_are_rejected_while_calls_go_on(office, tmp_path):
    corrupt = tmp_path / "price-list.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a PDF body\n")
    empty = tmp_path / "holidays.txt"
    empty.write_text("")
    before = office.cli("kb", "list").stdout
    proc = office.cli("kb", "add", str(corrupt), str(empty))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"rejected {corrupt}:" in proc.stderr and "PDF" in proc.stderr, proc.stderr
    assert f"rejected {empty}: file is empty" in proc.stderr, proc.stderr
    # Nothing was lost: the index is the one the calls were answered from, and still is.
    assert office.cli("kb", "list").stdout == before
    report = office.call("--say", "When are you open on Saturday?")
    assert report["errors"] == [], (report, office.logs())
    assert re.search(r"\b9\b", report["turns"][0]["reply_text"]), report
