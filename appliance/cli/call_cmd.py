"""``appliance call``: place a test call through the running appliance and report it.

Contract (relied on by tests and external checks): ``--say`` / ``--audio`` in order form
the caller's turns; ``--json`` prints one object
``{"call_id", "greeting": {"heard", "first_audio_ms"}, "turns": [...], "errors": []}``;
each turn has ``caller``, ``reply_heard``, ``answer_latency_ms``, ``first_audio_ms`` (the
caller's side) and ``heard_by_bot``, ``reply_text``, ``route``, ``barge_in``, ``stages_ms``
(the supervisor's turn record; null without one).
Exit 0 when the call ran without errors, 1 when it ran with errors or the appliance is not
running, 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance import config as config_mod
from appliance import lifecycle
from appliance.ari.local import local_settings
from appliance.config import Config
from appliance.home import Home

if TYPE_CHECKING:
    from appliance.testcall.run import Engines


class _TurnAction(argparse.Action):
    """Keep --say and --audio in the order given."""

    def __call__(self, parser: argparse.ArgumentParser, ns: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        turns = getattr(ns, "turns", None) or []
        turns.append((str(option_string).lstrip("-"), values))
        ns.turns = turns


def register(sub: Any) -> None:
    p = sub.add_parser("call", help="place a test call and report what each side heard")
    p.add_argument("--say", action=_TurnAction, metavar="TEXT", dest="turns",
                   help="a caller turn spoken by the caller voice (repeatable)")
    p.add_argument("--audio", action=_TurnAction, metavar="WAV", dest="turns",
                   help="a caller turn from a mono WAV file (repeatable)")
    p.add_argument("--pause", action=_TurnAction, metavar="S", dest="turns", type=float,
                   help="wait S seconds before the next turn (e.g. while the staff rings)")
    p.add_argument("--barge-in", action=_TurnAction, metavar="MS", dest="turns", type=int,
                   help="speak the next turn MS ms after the bot's reply starts, "
                        "interrupting it (its report gets bot_stopped_ms)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--gsm", metavar="SOCKET", type=Path,
                   help="call over the GSM line instead: the SIM7600 simulator with this "
                        "control socket rings the appliance (one --say turn)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S",
                   help="give up after S seconds (default 120)")
    p.set_defaults(handler=cmd_call, turns=[])


def fail(msg: str, code: int) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


class NotReady(Exception):
    """No test call can be placed; ``code`` is the exit code (2 bad config, 1 not running)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def quiet_logs(verbose: bool) -> None:
    import logging

    if not verbose:
        logging.getLogger("appliance").setLevel(logging.WARNING)  # keep the report clean


def running_config(home: Home) -> Config:
    """The configuration of the appliance running in ``home``; raises NotReady."""
    try:
        cfg = config_mod.load(home.root)
    except config_mod.ConfigError as e:
        raise NotReady(str(e), 2) from None
    state = lifecycle.status(home)
    if not state.get("running"):
        why = ("Asterisk is not running" if state.get("ari") == "unreachable"
               else "the supervisor is not connected")
        raise NotReady(f"the appliance is not running ({why}; home {home.root}): "
                       "start it with `appliance up`", 1)
    return cfg


def caller_engines() -> Engines:
    """The test caller's ears: PocketSphinx on what it received (thread-safe, pooled)."""
    from appliance.speech.pocketsphinx_stt import PocketSphinxStt
    from appliance.testcall.hearing import transcribe_heard
    from appliance.testcall.run import CALLER_RATE, Engines

    stt = PocketSphinxStt()

    def transcribe_8k(audio: Any) -> str:
        return transcribe_heard(stt, audio, CALLER_RATE)

    return Engines(transcribe_8k)


def cmd_call(args: argparse.Namespace, home: Home) -> int:
    from appliance.speech.wavio import read_wav

    quiet_logs(args.verbose)
    # Check input before anything is dialled.
    for kind, value in args.turns:
        if kind == "audio":
            try:
                read_wav(Path(value))
            except ValueError as e:
                return fail(str(e), 2)
        elif kind == "say" and not value.strip():
            return fail("--say needs some text", 2)
        elif kind in ("pause", "barge-in") and value < 0:
            return fail(f"--{kind} must not be negative", 2)
    if args.timeout <= 0:
        return fail("--timeout must be positive", 2)
    try:
        cfg = running_config(home)
    except NotReady as e:
        return fail(str(e), e.code)
    if args.gsm is not None:
        return _gsm_call(args, home)

    from appliance.speech.espeak import EspeakTts
    from appliance.testcall.run import load_turn_audio, run_call

    voice = EspeakTts() if any(k == "say" for k, _ in args.turns) else None
    turns = []
    pause, barge = 0.0, None
    for kind, value in args.turns:
        if kind == "pause":
            pause += value
        elif kind == "barge-in":
            barge = value
        else:
            turn = load_turn_audio(value if kind == "say" else None,
                                   Path(value) if kind == "audio" else None, voice)
            turn.pause_s, turn.barge_in_ms = pause, barge
            turns.append(turn)
            pause, barge = 0.0, None
    settings = local_settings(cfg, home)
    report = asyncio.run(run_call(settings, cfg.receptionist.extension, turns,
                                  caller_engines(), home.db_file, args.timeout))
    if args.json:
        print(json.dumps(report))
    else:
        _print_human(report)
    return 0 if not report["errors"] else 1


def _gsm_call(args: argparse.Namespace, home: Home) -> int:
    from appliance.testcall.gsm_call import SimulatorError, gsm_call

    if [k for k, _ in args.turns] != ["say"]:
        return fail("--gsm takes exactly one --say turn", 2)
    try:
        report = asyncio.run(gsm_call(home, args.gsm, args.turns[0][1]))
    except SimulatorError as e:
        return fail(str(e), 1)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"GSM call answered after {report['rings']} ring(s)")
        _print_human(report)
    return 0 if not report["errors"] else 1


def _print_human(report: dict[str, Any]) -> None:
    g = report["greeting"]
    print(f"call {report['call_id']}")
    first = g.get("first_audio_ms")
    print(f"  bot (greeting{f', first audio {first} ms' if first is not None else ''}): "
          f"{g['heard']}")
    for t in report["turns"]:
        print(f"  caller: {t['caller']}")
        print(f"    bot heard: {t['heard_by_bot']}")
        if t["reply_text"] is not None:
            print(f"    bot replied ({t['route']}): {t['reply_text']}")
        first = t.get("first_audio_ms")
        print(f"  bot{f' (first audio {first} ms)' if first is not None else ''}: "
              f"{t['reply_heard'] or '(nothing)'}")
    for e in report["errors"]:
        print(f"  error: {e}")
