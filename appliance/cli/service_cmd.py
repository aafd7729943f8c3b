"""``appliance run|up|down|status``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Any

from appliance import lifecycle
from appliance.ari.client import AriError
from appliance.config import ConfigError
from appliance.home import Home
from appliance.pbx import runtime
from appliance.pbx.runtime import AsteriskError

log = logging.getLogger("appliance")


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the supervisor in the foreground (starts Asterisk too)")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("up", help="start Asterisk and the supervisor in the background")
    p.set_defaults(handler=cmd_up)
    p = sub.add_parser("down", help="stop the supervisor and Asterisk")
    p.set_defaults(handler=cmd_down)
    p = sub.add_parser("status", help="show what is running")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)


def _fail(msg: str, code: int = 1) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace, home: Home) -> int:
    # Imported here: it loads the speech engines, which the other commands do not need.
    from appliance.speech.tts import TtsError
    from appliance.supervisor import Supervisor, SupervisorError

    try:
        prep = lifecycle.prepare(home)
        started = lifecycle.start_asterisk(prep, home)
    except ConfigError as e:
        return _fail(str(e), 2)
    except (AsteriskError, lifecycle.StartError) as e:
        return _fail(str(e))
    other = runtime.read_pid(home.supervisor_pid)
    if other is not None and other != os.getpid():
        return _fail(f"a supervisor is already running for {home.root} (pid {other})")
    home.supervisor_pid.write_text(f"{os.getpid()}\n")
    try:
        asyncio.run(Supervisor(prep.cfg, home, lifecycle.config_digest(home)).run())
    except (AriError, SupervisorError, TtsError) as e:
        if started:
            runtime.stop(home)
        return _fail(str(e))
    finally:
        home.supervisor_pid.unlink(missing_ok=True)
    return 0


def cmd_up(args: argparse.Namespace, home: Home) -> int:
    try:
        result = lifecycle.up(home)
    except ConfigError as e:
        return _fail(str(e), 2)
    except (AsteriskError, lifecycle.StartError) as e:
        return _fail(str(e))
    state = lifecycle.status(home)
    print(f"appliance up: supervisor pid {result.supervisor_pid}, "
          f"Asterisk pid {state['asterisk_pid']}, home {home.root}")
    found = lifecycle.problems(home)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        print("error: the appliance is running degraded: callers hear an apology and are "
              "put through to the staff or asked to leave a message", file=sys.stderr)
        return 1
    return 0


def cmd_down(args: argparse.Namespace, home: Home) -> int:
    sup, ast = lifecycle.down(home)
    print(f"appliance down: supervisor {'stopped' if sup else 'was not running'}, "
          f"Asterisk {'stopped' if ast else 'was not running'}")
    return 0


def cmd_status(args: argparse.Namespace, home: Home) -> int:
    state = lifecycle.status(home)
    if args.json:
        print(json.dumps(state))
    else:
        for k, v in state.items():
            print(f"{k}: {v}")
    return 0 if state.get("running") else 1
