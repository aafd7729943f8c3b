"""A fake SIM7600 for tests: AT and audio ptys, scripted over a JSON-lines control socket."""

from modem.simulator.control import request, request_sync
from modem.simulator.device import Device
from modem.simulator.simulator import Simulator
from modem.simulator.state import DeviceConfig

__all__ = ["Device", "DeviceConfig", "Simulator", "request", "request_sync"]
