"""`appliance bench` places real calls through a real appliance and reports on them."""

from __future__ import annotations

import json

import pytest

from appliance.pbx import runtime
from tests.e2e.ari_util import heard_greeting

pytestmark = pytest.mark.e2e

STAGES = {"stt_ms", "retrieval_ms", "first_token_ms", "first_clause_ms", "first_tts_ms",
          "first_rtp_ms"}


def test_bench_of_one_call(appliance):
    sup_pid = runtime.read_pid(appliance.home.supervisor_pid)
    ast_pid = runtime.read_pid(appliance.home.asterisk_pid)
    proc = appliance.cli("bench", "--calls", "1", "--turns", "1", "--json",
                         "--question", "What are your opening hours?", timeout=240)
    assert proc.returncode == 0, (proc.stderr, appliance.logs())
    assert "call 1/1 done" in proc.stderr
    report = json.loads(proc.stdout)

    assert (report["calls"], report["turns_per_call"], report["concurrency"]) == (1, 1, 1)
    assert report["percentile_method"] == "nearest-rank"
    (call,) = report["call_reports"]
    assert heard_greeting(call["greeting"]["heard"]), (call, appliance.logs())
    assert call["call_id"] and call["greeting"]["first_audio_ms"] is not None
    (turn,) = call["turns"]
    assert turn["caller"] == "What are your opening hours?"
    assert {"heard_by_bot", "reply_text", "reply_heard", "answer_latency_ms", "route",
            "barge_in"} <= set(turn)
    assert set(turn["stages_ms"]) == STAGES
    assert report["errors"] == [], (report, appliance.logs())
    assert turn["heard_by_bot"] and turn["reply_text"] and turn["answer_latency_ms"] > 0
    assert report["error_count"] == len(report["errors"])

    latency = report["latency_ms"]
    assert set(latency) == {"answer_latency_ms", "greeting_first_audio_ms", *STAGES}
    assert latency["greeting_first_audio_ms"]["n"] == 1
    assert latency["greeting_first_audio_ms"]["p50"] == call["greeting"]["first_audio_ms"]

    sup, ast = report["processes"]["supervisor"], report["processes"]["asterisk"]
    assert (sup["pid"], ast["pid"]) == (sup_pid, ast_pid)
    for p in (sup, ast):
        assert p["samples"] >= 2
        assert p["vm_hwm_mib"] >= p["max_vm_rss_mib"] > 10
        assert p["cpu_max_pct"] >= p["cpu_mean_pct"] > 0
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["ram_mib"] > 0 and machine["cpu_model"]
    targets = {t["name"]: t for t in report["targets"]}
    rss = targets["supervisor peak RSS (1.5 GiB)"]
    assert rss["measured"] == max(sup["vm_hwm_mib"], sup["max_vm_rss_mib"])
    assert targets["4 concurrent calls: answer latency p95"]["applies"] is False
