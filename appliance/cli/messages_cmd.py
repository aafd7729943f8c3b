"""``appliance messages``: the messages callers left, newest first, with their transcripts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from typing import Any

from appliance.home import Home
from appliance.records.store import CallStore


def register(sub: Any) -> None:
    p = sub.add_parser("messages", help="list the messages callers left")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="newest N (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON list")
    p.set_defaults(handler=cmd_messages)


def cmd_messages(args: argparse.Namespace, home: Home) -> int:
    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    if not home.db_file.exists():
        found = []
    else:
        store = CallStore(home.db_file)
        try:
            found = store.messages()[::-1][: args.limit]
        finally:
            store.close()
    if args.json:
        print(json.dumps([asdict(m) for m in found]))
        return 0
    if not found:
        print("no messages")
    for m in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.at))
        print(f"{when}  from {m.caller_number or 'unknown'}  ({m.duration_s:.0f} s)  {m.audio}")
        print(f"    {m.transcript or '(no words recognized)'}")
    return 0
