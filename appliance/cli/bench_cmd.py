"""``appliance bench``: N test calls x K turns through the running appliance, C at a time.

Each call goes through the same code as ``appliance call``. Progress goes to stderr, one
line per call; then a table (or with ``--json`` one object, see
appliance/testcall/bench.py build_report) on stdout. Exit 0 whenever the bench ran, even
with failed calls (they are counted and listed), 1 when the appliance is not running,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from appliance.ari.local import local_settings
from appliance.cli.call_cmd import NotReady, caller_engines, fail, quiet_logs, running_config
from appliance.home import Home


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure answer latency, stage times, memory and CPU "
                                     "over many test calls")
    p.add_argument("--calls", type=int, default=10, metavar="N",
                   help="number of calls (default 10)")
    p.add_argument("--turns", type=int, default=2, metavar="K",
                   help="caller turns per call (default 2)")
    p.add_argument("--concurrency", type=int, default=1, metavar="C",
                   help="calls in progress at once (default 1)")
    p.add_argument("--question", action="append", dest="questions", metavar="TEXT",
                   help="a caller question (repeatable; cycled over all turns; default: a "
                        "few generic receptionist questions)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="give up on a call after S seconds (default 60 + 30 per turn)")
    p.set_defaults(handler=cmd_bench)


def _check(args: argparse.Namespace) -> str | None:
    if args.calls < 1:
        return "--calls must be at least 1"
    if args.turns < 0:
        return "--turns must not be negative"
    if args.concurrency < 1:
        return "--concurrency must be at least 1"
    if args.timeout is not None and args.timeout <= 0:
        return "--timeout must be positive"
    if any(not q.strip() for q in args.questions or []):
        return "--question needs some text"
    return None


def supervisor_pid(home: Home) -> int | None:
    """The pid the running supervisor wrote into run/supervisor.ready."""
    try:
        return int(json.loads((home.run_dir / "supervisor.ready").read_text())["pid"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def cmd_bench(args: argparse.Namespace, home: Home) -> int:
    quiet_logs(args.verbose)
    if (problem := _check(args)) is not None:
        return fail(problem, 2)
    try:
        cfg = running_config(home)
    except NotReady as e:
        return fail(str(e), e.code)

    from appliance.pbx import runtime
    from appliance.speech.espeak import EspeakTts
    from appliance.testcall import bench
    from appliance.testcall.procstat import Sampler, machine_facts
    from appliance.testcall.run import load_turn_audio, run_call

    questions = args.questions or list(bench.DEFAULT_QUESTIONS)
    plan = bench.question_plan(questions, args.calls, args.turns)
    voice = EspeakTts()
    spoken = {q: load_turn_audio(q, None, voice) for q in {q for p in plan for q in p}}
    engines = caller_engines()
    settings = local_settings(cfg, home)
    limit_s = args.timeout if args.timeout is not None else 60.0 + 30.0 * args.turns

    async def place(turns: list[str]) -> dict[str, Any]:
        return await run_call(settings, cfg.receptionist.extension,
                              [spoken[q] for q in turns], engines, home.db_file, limit_s)

    def on_done(report: dict[str, Any]) -> None:
        print(bench.progress_line(report, args.calls), file=sys.stderr, flush=True)

    pids = {"supervisor": supervisor_pid(home), "asterisk": runtime.read_pid(home.asterisk_pid)}
    sampler = Sampler({name: pid for name, pid in pids.items() if pid is not None})
    sampler.start()
    t0 = time.monotonic()
    try:
        reports = asyncio.run(bench.run_calls(place, plan, args.concurrency, on_done))
    finally:
        sampled = sampler.stop()
    usage = {name: sampled.get(name) for name in pids}  # None: no such process
    report = bench.build_report(reports, turns=args.turns, concurrency=args.concurrency,
                                questions=questions, wall_s=time.monotonic() - t0,
                                processes=usage, machine=machine_facts())
    print(json.dumps(report) if args.json else bench.format_table(report))
    return 0
