"""Faults around the conversation, through real Asterisk: a missing LLM model file, and bad
files given to the knowledge base while the receptionist is answering."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.ari_util import leftovers
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

APOLOGY = re.compile(r"technical problem", re.I)


def test_missing_llm_model_is_named_at_start_and_callers_get_an_apology(appliance_factory,
                                                                        tmp_path):
    missing = tmp_path / "no-such-model.gguf"
    app = appliance_factory(start=False, **{"brain.llm_model": str(missing)})
    up = app.cli("up")
    # Started, but degraded: the error names the file, and says what callers get instead.
    assert up.returncode == 1, (up.stdout, up.stderr)
    assert f"LLM model file not found: {missing}" in up.stderr, up.stderr
    assert "running degraded" in up.stderr
    state = json.loads(app.cli("status", "--json").stdout)
    assert state["running"] and any(str(missing) in p for p in state["problems"]), state

    report = app.call("--say", "What are your opening hours?")
    (turn,) = report["turns"]
    assert APOLOGY.search(turn["reply_text"] or ""), (report, app.logs())
    assert turn["route"] == "error"
    assert turn["reply_heard"], turn
    assert "LLM model file not found" in app.logs()
    port = app.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(app.home, port) == ([], []), 10, "no leftovers")
