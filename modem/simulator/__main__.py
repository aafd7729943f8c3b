"""python -m modem.simulator --dir DIR: a fake SIM7600 on DIR/sim7600-at and DIR/sim7600-audio.

Prints one JSON line {"at": ..., "audio": ..., "control": ...} once the ports exist, then runs
until SIGTERM/SIGINT, when it removes its symlinks and control socket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from modem.simulator.simulator import Simulator
from modem.simulator.state import DeviceConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m modem.simulator", description=__doc__)
    p.add_argument("--dir", type=Path, required=True, help="where the port symlinks go")
    p.add_argument("--control", type=Path, help="control socket (default DIR/control.sock)")
    p.add_argument("--no-sim", action="store_true", help="no SIM card inserted")
    p.add_argument("--no-network", action="store_true", help="SIM ready but not registered")
    p.add_argument("--pin", help="the SIM asks for this PIN (AT+CPIN=<pin>)")
    p.add_argument("--ring-interval", type=float, default=3.0)
    p.add_argument("--max-rings", type=int, default=5)
    p.add_argument("--boot-delay", type=float, default=1.0, help="ports appear -> RDY")
    p.add_argument("--reset-seconds", type=float, default=3.0, help="AT+CRESET: ports away")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> DeviceConfig:
    config = DeviceConfig(ring_interval=args.ring_interval, max_rings=args.max_rings,
                          boot_delay=args.boot_delay, reset_seconds=args.reset_seconds)
    if args.pin:
        config.sim, config.pin = "pin", args.pin
    if args.no_sim:
        config.sim = "absent"
    if args.no_network:
        config.network = 0
    return config


async def run(args: argparse.Namespace) -> None:
    control = args.control or args.dir / "control.sock"
    sim = Simulator(args.dir, config_from(args), control=control)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await sim.start()
    try:
        print(json.dumps({"at": str(sim.at_path), "audio": str(sim.audio_path),
                          "control": str(control)}), flush=True)
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(run(args))
    except (ValueError, OSError) as e:  # bad --dir / --control: say which, no traceback
        print(f"modem.simulator: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
