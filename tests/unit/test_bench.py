"""`appliance bench`: percentiles, report assembly, /proc sampling and the CLI's edges."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

import numpy as np
import pytest

from appliance import config
from appliance.cli import main
from appliance.testcall import bench
from appliance.testcall.procstat import (
    ProcSample,
    ProcUsage,
    Sampler,
    machine_facts,
    read_sample,
    usage,
)

# -- percentiles (nearest rank) ------------------------------------------------------------


def test_nearest_rank_percentiles():
    values = [50, 15, 40, 20, 35]  # unsorted on purpose
    assert bench.percentile(values, 5) == 15
    assert bench.percentile(values, 30) == 20  # rank ceil(1.5) = 2
    assert bench.percentile(values, 40) == 20  # rank 2 exactly
    assert bench.percentile(values, 50) == 35
    assert bench.percentile(values, 95) == 50
    assert bench.percentile(values, 100) == 50
    assert bench.percentile([7], 50) == bench.percentile([7], 95) == 7
    assert bench.percentile([], 50) is None
    # p95 of 20 values is the 19th: one outlier of 20 does not set it.
    assert bench.percentile([*range(100, 119), 5000], 95) == 118
    with pytest.raises(ValueError):
        bench.percentile(values, 0)


def test_questions_are_cycled_across_calls():
    plan = bench.question_plan(["a", "b", "c"], calls=3, turns=2)
    assert plan == [["a", "b"], ["c", "a"], ["b", "c"]]
    assert bench.question_plan(["a"], calls=2, turns=0) == [[], []]


# -- running calls ----------------------------------------------------------------------------


def _fake_report(latencies: list[int | None], greeting_ms: int | None = 400,
                 errors: list[str] | None = None, stt: int | None = 300) -> dict[str, Any]:
    turns = [{"caller": "q", "answer_latency_ms": ms, "first_audio_ms": ms,
              "stages_ms": {"stt_ms": stt, "retrieval_ms": None, "first_token_ms": None,
                            "first_clause_ms": None, "first_tts_ms": None,
                            "first_rtp_ms": None}} for ms in latencies]
    return {"call_id": "c", "greeting": {"heard": "thank you for calling",
                                         "first_audio_ms": greeting_ms},
            "turns": turns, "errors": errors or []}


async def test_calls_run_at_most_c_at_a_time_and_failures_are_counted():
    in_flight = peak = 0
    seen: list[int] = []

    async def place(questions: list[str]) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        if questions == ["boom"]:
            raise ConnectionRefusedError("ARI went away")
        return _fake_report([500] * len(questions))

    plan = [["q1"], ["q2"], ["boom"], ["q3"], ["q4"]]
    reports = await bench.run_calls(place, plan, 2, lambda r: seen.append(r["call"]))
    assert peak == 2
    assert [r["call"] for r in reports] == [1, 2, 3, 4, 5]
    assert sorted(seen) == [1, 2, 3, 4, 5]
    assert reports[2]["errors"] == ["ConnectionRefusedError: ARI went away"]
    assert reports[2]["turns"] == [] and reports[0]["turns"][0]["answer_latency_ms"] == 500
    assert all(r["elapsed_s"] >= 0.02 for r in reports)


# -- report assembly --------------------------------------------------------------------------


def _usage(hwm: float | None) -> ProcUsage:
    return ProcUsage(1234, 10, hwm, hwm, 40.0, 95.0)


def test_report_gathers_latencies_errors_and_targets_for_one_call_at_a_time():
    reports = [{"call": i + 1, "elapsed_s": 9.0, **r} for i, r in enumerate([
        _fake_report([800, 900]),
        _fake_report([1200, None], errors=["turn 2: no reply heard within 8 s"]),
        _fake_report([700, 2500], greeting_ms=None, stt=None),
    ])]
    out = bench.build_report(reports, turns=2, concurrency=1, questions=["q"], wall_s=30.04,
                             processes={"supervisor": _usage(900.0), "asterisk": None},
                             machine={"cpu_model": "x", "cores": 2, "ram_mib": 4000})
    assert out["latency_ms"]["answer_latency_ms"] == {"n": 5, "p50": 900, "p95": 2500,
                                                      "max": 2500}
    assert out["latency_ms"]["greeting_first_audio_ms"]["n"] == 2
    assert out["latency_ms"]["stt_ms"] == {"n": 4, "p50": 300, "p95": 300, "max": 300}
    assert out["latency_ms"]["first_rtp_ms"] == {"n": 0, "p50": None, "p95": None,
                                                 "max": None}
    assert out["errors"] == [{"call": 2, "error": "turn 2: no reply heard within 8 s"}]
    assert out["error_count"] == 1 and out["calls"] == 3 and out["wall_s"] == 30.0
    assert out["processes"]["asterisk"] is None
    assert out["processes"]["supervisor"]["vm_hwm_mib"] == 900.0
    verdicts = {t["name"]: (t["applies"], t["met"], t["measured"]) for t in out["targets"]}
    assert verdicts == {
        "one call: answer latency p50": (True, True, 900),
        "one call: answer latency p95": (True, False, 2500),
        "4 concurrent calls: answer latency p95": (False, None, 2500),
        "supervisor peak RSS (1.5 GiB)": (True, True, 900.0),
    }
    table = bench.format_table(out)
    assert "MISSED" in table and "not at this concurrency" in table
    assert "call 2: turn 2: no reply heard within 8 s" in table


def test_four_concurrent_calls_are_judged_by_their_own_target():
    reports = [{"call": i + 1, "elapsed_s": 9.0, **_fake_report([2900])} for i in range(4)]
    out = bench.build_report(reports, turns=1, concurrency=4, questions=["q"], wall_s=10,
                             processes={"supervisor": _usage(1600.0)}, machine={})
    met = {t["name"]: t["met"] for t in out["targets"]}
    assert met["4 concurrent calls: answer latency p95"] is True
    assert met["one call: answer latency p50"] is None
    assert met["supervisor peak RSS (1.5 GiB)"] is False
    # Fewer calls than C cannot have been C at once.
    two = bench.build_report(reports[:2], turns=1, concurrency=4, questions=["q"], wall_s=10,
                             processes={}, machine={})
    assert two["concurrency"] == 2
    assert all(t["met"] is None for t in two["targets"])


# -- /proc sampling ---------------------------------------------------------------------------


def test_cpu_and_memory_of_this_process_are_sampled():
    sampler = Sampler({"me": os.getpid()}, interval=0.1)
    sampler.start()
    time.sleep(0.4)  # idle
    end = time.process_time() + 0.6
    while time.process_time() < end:  # busy: 0.6 s of CPU
        pass
    block = np.ones(150 * 1024 * 1024 // 8)  # 150 MiB, every page touched
    time.sleep(0.25)
    got = sampler.stop()["me"]
    del block
    assert got.pid == os.getpid() and got.samples >= 8
    assert got.max_vm_rss_mib is not None and got.vm_hwm_mib is not None
    assert got.max_vm_rss_mib >= 150 and got.vm_hwm_mib >= got.max_vm_rss_mib
    assert got.cpu_max_pct is not None and got.cpu_mean_pct is not None
    # A busy loop spanned whole intervals (>= 30%: the shared box may lend it less than a core).
    assert got.cpu_max_pct >= 30
    assert 5 <= got.cpu_mean_pct < got.cpu_max_pct


def test_usage_arithmetic_and_a_vanished_process():
    # The last VmHWM reads lower than an earlier one: the kernel updates it lazily.
    samples = [ProcSample(10.0, 5.0, 1000, 1000), ProcSample(11.0, 5.5, 3072, 3072),
               ProcSample(13.0, 5.7, 2048, 2560)]
    u = usage(42, samples)
    assert (u.cpu_max_pct, u.cpu_mean_pct) == (50.0, 23.3)
    assert (u.max_vm_rss_mib, u.vm_hwm_mib) == (3.0, 3.0)
    assert usage(42, []) == ProcUsage(42, 0, None, None, None, None)
    assert read_sample(2**22 + 1) is None  # beyond Linux's largest pid_max: no such process


def test_stat_with_a_tricky_command_name(tmp_path):
    proc = tmp_path / "77"
    proc.mkdir()
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30
    (proc / "stat").write_text(f"77 (evil) name) {' '.join(fields)}\n")
    (proc / "status").write_text("Name:\tevil\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n")
    sample = read_sample(77, tmp_path)
    assert sample is not None
    assert sample.cpu_s == 300 / os.sysconf("SC_CLK_TCK")
    assert (sample.hwm_kib, sample.rss_kib) == (204800, 102400)


def test_machine_facts():
    facts = machine_facts()
    assert facts["cores"] == os.cpu_count()
    assert isinstance(facts["ram_mib"], int) and facts["ram_mib"] > 256
    assert facts["cpu_model"] != "unknown"


# -- the command's edges ----------------------------------------------------------------------


def _home(tmp_path) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    cfg = config.set_value(config.Config(), "asterisk.ari_port", str(port))
    config.save(tmp_path, cfg)
    return str(tmp_path)


@pytest.mark.parametrize("args", [["--calls", "0"], ["--concurrency", "0"], ["--turns", "-1"],
                                  ["--timeout", "0"], ["--question", " "]])
def test_bad_arguments_exit_2_before_anything_is_dialled(tmp_path, args, capsys):
    assert main(["--home", _home(tmp_path), "bench", *args]) == 2
    assert capsys.readouterr().err.startswith(f"error: {args[0]} ")


def test_unparsable_argument_exits_2(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--home", _home(tmp_path), "bench", "--calls", "many"])
    assert exit_info.value.code == 2


def test_not_running_exits_1_with_one_line(tmp_path, capsys):
    assert main(["--home", _home(tmp_path), "bench", "--calls", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the appliance is not running (Asterisk is not running")
    assert len(err.splitlines()) == 1
