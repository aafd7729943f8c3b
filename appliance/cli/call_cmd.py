"""``appliance call``: place a test call through the running appliance and report it.

Contract (relied on by tests and external checks): ``--say`` / ``--audio`` in order form
the caller's turns; ``--json`` prints one object
``{"call_id", "greeting": {"heard", "first_audio_ms"}, "turns": [...], "errors": []}``.
Exit 0 when the call ran without errors, 1 when it ran with errors or the appliance is not
running, 2 for bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from appliance import config as config_mod
from appliance import lifecycle
from appliance.ari.local import local_settings
from appliance.home import Home


class _TurnAction(argparse.Action):
    """Keep --say and --audio in the order given."""

    def __call__(self, parser: argparse.ArgumentParser, ns: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        turns = getattr(ns, "turns", None) or []
        turns.append(("say" if option_string == "--say" else "audio", values))
        ns.turns = turns


def register(sub: Any) -> None:
    p = sub.add_parser("call", help="place a test call and report what each side heard")
    p.add_argument("--say", action=_TurnAction, metavar="TEXT", dest="turns",
                   help="a caller turn spoken by the caller voice (repeatable)")
    p.add_argument("--audio", action=_TurnAction, metavar="WAV", dest="turns",
                   help="a caller turn from a mono WAV file (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S",
                   help="give up after S seconds (default 120)")
    p.set_defaults(handler=cmd_call, turns=[])


def _fail(msg: str, code: int) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def cmd_call(args: argparse.Namespace, home: Home) -> int:
    import logging

    from appliance.speech.wavio import read_wav

    if not args.verbose:
        logging.getLogger("appliance").setLevel(logging.WARNING)  # keep the report clean

    # Check input before anything is dialled.
    for kind, value in args.turns:
        if kind == "audio":
            try:
                read_wav(Path(value))
            except ValueError as e:
                return _fail(str(e), 2)
        elif not value.strip():
            return _fail("--say needs some text", 2)
    if args.timeout <= 0:
        return _fail("--timeout must be positive", 2)
    try:
        cfg = config_mod.load(home.root)
    except config_mod.ConfigError as e:
        return _fail(str(e), 2)
    state = lifecycle.status(home)
    if not state.get("running"):
        why = ("Asterisk is not running" if state.get("ari") == "unreachable"
               else "the supervisor is not connected")
        return _fail(f"the appliance is not running ({why}; home {home.root}): "
                     "start it with `appliance up`", 1)

    from appliance.speech.espeak import EspeakTts
    from appliance.speech.pocketsphinx_stt import PocketSphinxStt
    from appliance.testcall.hearing import transcribe_heard
    from appliance.testcall.run import CALLER_RATE, Engines, load_turn_audio, run_call

    voice = EspeakTts() if any(k == "say" for k, _ in args.turns) else None
    turns = [load_turn_audio(v if k == "say" else None, Path(v) if k == "audio" else None,
                             voice) for k, v in args.turns]
    stt = PocketSphinxStt()

    def transcribe_8k(audio: Any) -> str:
        return transcribe_heard(stt, audio, CALLER_RATE)

    settings = local_settings(cfg, home)
    report = asyncio.run(run_call(settings, cfg.receptionist.extension, turns,
                                  Engines(transcribe_8k), home.db_file, args.timeout))
    if args.json:
        print(json.dumps(report))
    else:
        _print_human(report)
    return 0 if not report["errors"] else 1


def _print_human(report: dict[str, Any]) -> None:
    g = report["greeting"]
    print(f"call {report['call_id']}")
    print(f"  bot (greeting, first audio {g['first_audio_ms']} ms): {g['heard']}")
    for t in report["turns"]:
        print(f"  caller: {t['caller']}")
        print(f"    bot heard: {t['heard_by_bot']}")
        print(f"  bot (first audio {t['first_audio_ms']} ms): {t['reply_heard'] or '(nothing)'}")
    for e in report["errors"]:
        print(f"  error: {e}")
