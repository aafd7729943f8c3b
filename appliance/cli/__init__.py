"""The ``appliance`` command: argument parsing and exit codes; the work lives elsewhere.

Exit codes: 0 ok, 1 runtime failure (not running, call failed), 2 bad input (config, files).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from appliance.cli import (
    bench_cmd,
    call_cmd,
    config_cmd,
    eval_cmd,
    kb_cmd,
    messages_cmd,
    models_cmd,
    modem_cmd,
    service_cmd,
)
from appliance.home import Home, default_home

Handler = Callable[[argparse.Namespace, Home], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appliance", description="Offline AI phone receptionist appliance")
    parser.add_argument("--home", type=Path, default=None,
                        help="state directory (default: $APPLIANCE_HOME or the per-user "
                             "data dir; the system service uses /var/lib/appliance)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    service_cmd.register(sub)
    config_cmd.register(sub)
    call_cmd.register(sub)
    bench_cmd.register(sub)
    models_cmd.register(sub)
    kb_cmd.register(sub)
    messages_cmd.register(sub)
    eval_cmd.register(sub)
    modem_cmd.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    home = Home((args.home or default_home()).absolute())
    handler: Handler = args.handler
    try:
        return handler(args, home)
    except KeyboardInterrupt:
        return 130
