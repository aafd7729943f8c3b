"""``appliance config get|set|show``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from appliance import config as config_mod
from appliance.home import Home


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="read or change the configuration")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    g = csub.add_parser("get", help="print one value")
    g.add_argument("key", help="e.g. business.name")
    g.set_defaults(handler=cmd_get)
    s = csub.add_parser("set", help="change one value (validated before it is saved)")
    s.add_argument("key")
    s.add_argument("value")
    s.set_defaults(handler=cmd_set)
    sh = csub.add_parser("show", help="print the whole configuration as JSON")
    sh.set_defaults(handler=cmd_show)


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def cmd_get(args: argparse.Namespace, home: Home) -> int:
    try:
        cfg = config_mod.load(home.root)
        value = config_mod.get(cfg, args.key)
    except config_mod.ConfigError as e:
        return _fail(str(e))
    print(json.dumps(value) if isinstance(value, list | bool) else value)
    return 0


def cmd_set(args: argparse.Namespace, home: Home) -> int:
    try:
        cfg = config_mod.load(home.root)
        new = config_mod.set_value(cfg, args.key, args.value)
    except config_mod.ConfigError as e:
        return _fail(str(e))
    home.root.mkdir(parents=True, exist_ok=True)
    config_mod.save(home.root, new)
    print(f"{args.key} = {json.dumps(config_mod.get(new, args.key))}")
    print("(takes effect at the next `appliance up`)", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace, home: Home) -> int:
    try:
        cfg = config_mod.load(home.root)
    except config_mod.ConfigError as e:
        return _fail(str(e))
    data = cfg.model_dump()
    if data["trunk"]["password"]:
        data["trunk"]["password"] = "********"
    if data["gsm"]["pin"]:
        data["gsm"]["pin"] = "****"
    print(json.dumps(data, indent=2))
    return 0
