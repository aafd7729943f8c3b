"""``appliance bench``: many test calls, then latency percentiles, memory, CPU and targets.

Calls are placed by a caller-supplied coroutine (``run_call`` in the CLI, a fake in tests),
C at a time. Percentiles use the nearest-rank method: the p-th percentile of n sorted
values is the value at rank ceil(p/100 * n), always one of the measured values.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from appliance.testcall.procstat import ProcUsage
from appliance.testcall.run import STAGES

PERCENTILE_METHOD = "nearest-rank"
DEFAULT_QUESTIONS = (
    "What are your opening hours?",
    "Where are you located?",
    "Can I book an appointment for next week?",
    "How much does a first visit cost?",
)
# Caller-side latencies first, then the supervisor's stages (all in ms).
LATENCIES = ("answer_latency_ms", "greeting_first_audio_ms", *STAGES)


@dataclass(frozen=True)
class Target:
    name: str
    metric: str  # a key of "latency_ms", or "supervisor_peak_rss_mib"
    stat: str  # "p50", "p95" or "peak"
    limit: float
    concurrency: int | None  # the target only applies at this concurrency


TARGETS = (
    Target("one call: answer latency p50", "answer_latency_ms", "p50", 1000, 1),
    Target("one call: answer latency p95", "answer_latency_ms", "p95", 1800, 1),
    Target("4 concurrent calls: answer latency p95", "answer_latency_ms", "p95", 3000, 4),
    Target("supervisor peak RSS (1.5 GiB)", "supervisor_peak_rss_mib", "peak", 1536, None),
)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank p-th percentile (0 < p <= 100); None for no values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {p}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def summarize(values: Sequence[float]) -> dict[str, float | int | None]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values) if values else None}


def question_plan(questions: Sequence[str], calls: int, turns: int) -> list[list[str]]:
    """The caller turns of each call: the questions in order, cycled across all calls."""
    return [[questions[(c * turns + t) % len(questions)] for t in range(turns)]
            for c in range(calls)]


PlaceCall = Callable[[list[str]], Awaitable[dict[str, Any]]]


async def run_calls(place: PlaceCall, plan: list[list[str]], concurrency: int,
                    on_done: Callable[[dict[str, Any]], None] | None = None,
                    ) -> list[dict[str, Any]]:
    """Place one call per plan entry, ``concurrency`` at a time; a call that raises is
    reported with its error instead of stopping the run. Reports come back in plan order,
    each with ``call`` (1-based) and ``elapsed_s`` added."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, questions: list[str]) -> dict[str, Any]:
        async with gate:
            t0 = time.monotonic()
            try:
                report = await place(questions)
            except Exception as e:  # a benchmark counts failures, it does not stop on them
                report = {"call_id": None, "greeting": {"heard": "", "first_audio_ms": None},
                          "turns": [], "errors": [f"{type(e).__name__}: {e}"]}
            report = {"call": index + 1, "elapsed_s": round(time.monotonic() - t0, 2),
                      **report}
            if on_done is not None:
                on_done(report)
            return report

    return list(await asyncio.gather(*(one(i, q) for i, q in enumerate(plan))))


def latency_values(reports: list[dict[str, Any]]) -> dict[str, list[int]]:
    values: dict[str, list[int]] = {name: [] for name in LATENCIES}
    for r in reports:
        if r["greeting"].get("first_audio_ms") is not None:
            values["greeting_first_audio_ms"].append(r["greeting"]["first_audio_ms"])
        for turn in r["turns"]:
            if turn.get("answer_latency_ms") is not None:
                values["answer_latency_ms"].append(turn["answer_latency_ms"])
            for stage, ms in (turn.get("stages_ms") or {}).items():
                if ms is not None and stage in values:
                    values[stage].append(ms)
    return values


def build_report(reports: list[dict[str, Any]], *, turns: int, concurrency: int,
                 questions: Sequence[str], wall_s: float,
                 processes: dict[str, ProcUsage | None],
                 machine: dict[str, object]) -> dict[str, Any]:
    """The ``appliance bench --json`` object."""
    latency = {name: summarize(v) for name, v in latency_values(reports).items()}
    concurrency = min(concurrency, len(reports)) if reports else concurrency
    sup = processes.get("supervisor")
    peaks = [] if sup is None else [m for m in (sup.vm_hwm_mib, sup.max_vm_rss_mib)
                                     if m is not None]
    measured: dict[str, dict[str, Any]] = {
        **latency, "supervisor_peak_rss_mib": {"peak": max(peaks) if peaks else None}}
    targets = []
    for t in TARGETS:
        value = measured[t.metric][t.stat]
        applies = t.concurrency is None or t.concurrency == concurrency
        targets.append({"name": t.name, "limit": t.limit, "measured": value,
                        "applies": applies,
                        "met": None if not applies or value is None else value <= t.limit})
    errors = [{"call": r["call"], "error": e} for r in reports for e in r["errors"]]
    return {
        "calls": len(reports), "turns_per_call": turns, "concurrency": concurrency,
        "questions": list(questions), "wall_s": round(wall_s, 1),
        "percentile_method": PERCENTILE_METHOD, "latency_ms": latency,
        "processes": {name: None if u is None else asdict(u) for name, u in processes.items()},
        "machine": machine, "targets": targets,
        "error_count": len(errors), "errors": errors, "call_reports": reports,
    }


def progress_line(report: dict[str, Any], total: int) -> str:
    answers = [t["answer_latency_ms"] for t in report["turns"]]
    shown = ", ".join("-" if a is None else str(a) for a in answers) or "none"
    return (f"call {report['call']}/{total} done in {report['elapsed_s']:.1f} s: greeting "
            f"{report['greeting']['first_audio_ms']} ms, answers {shown} ms, "
            f"{len(report['errors'])} error(s)")


def _cell(value: object, suffix: str = "") -> str:
    return "-" if value is None else f"{value}{suffix}"


def format_table(r: dict[str, Any]) -> str:
    """The human-readable report."""
    lines = [f"{r['calls']} calls x {r['turns_per_call']} turns, concurrency "
             f"{r['concurrency']}, {r['wall_s']} s, {r['error_count']} error(s)",
             "", f"{'latency (ms, ' + r['percentile_method'] + ')':<28}"
             f"{'n':>5}{'p50':>8}{'p95':>8}{'max':>8}"]
    for name, s in r["latency_ms"].items():
        lines.append(f"{name:<28}{s['n']:>5}{_cell(s['p50']):>8}{_cell(s['p95']):>8}"
                     f"{_cell(s['max']):>8}")
    lines += ["", f"{'process':<12}{'pid':>8}{'VmHWM':>12}{'max VmRSS':>12}"
                  f"{'CPU mean':>10}{'CPU max':>10}"]
    for name, p in r["processes"].items():
        if p is None:
            lines.append(f"{name:<12}{'not running or not found':>30}")
            continue
        lines.append(f"{name:<12}{p['pid']:>8}{_cell(p['vm_hwm_mib'], ' MiB'):>12}"
                     f"{_cell(p['max_vm_rss_mib'], ' MiB'):>12}"
                     f"{_cell(p['cpu_mean_pct'], '%'):>10}{_cell(p['cpu_max_pct'], '%'):>10}")
    m = r["machine"]
    lines += ["(CPU in % of one core)", "",
              f"machine: {m['cpu_model']}, {m['cores']} cores, {_cell(m['ram_mib'], ' MiB')} RAM",
              "", "targets:"]
    for t in r["targets"]:
        verdict = ("not at this concurrency" if not t["applies"] else
                   "not measured" if t["met"] is None else "met" if t["met"] else "MISSED")
        lines.append(f"  {t['name']:<40} <= {t['limit']:<6} measured "
                     f"{_cell(t['measured']):<8} {verdict}")
    if r["errors"]:
        lines += ["", "errors:"] + [f"  call {e['call']}: {e['error']}" for e in r["errors"]]
    return "\n".join(lines)
