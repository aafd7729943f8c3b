"""Which line carries a handoff to the staff mobile (``staff.mobile``): the SIP trunk while it
is registered, else the GSM line - so a caller can still reach a person when the internet or
the SIP provider is down.

The trunk's registration is polled in a thread (Asterisk's CLI), never on a call's path.
"""

from __future__ import annotations

import asyncio
import logging

from appliance.ari.client import AriClient
from appliance.calls.transfer import StaffLeg, StaffLegLike
from appliance.config import Config
from appliance.gsm.line_calls import GsmCalls
from appliance.gsm.staff_leg import GsmStaffLeg
from appliance.home import Home
from appliance.lifecycle import trunk_status

log = logging.getLogger(__name__)

POLL_S = 15.0


class MobileHandoff:
    def __init__(self, cfg: Config, home: Home, ari: AriClient, app: str,
                 gsm_calls: GsmCalls | None) -> None:
        self.cfg = cfg
        self.home = home
        self.ari = ari
        self.app = app
        self.gsm_calls = gsm_calls
        self.trunk_registered = False

    async def watch_trunk(self) -> None:
        """Keep ``trunk_registered`` current (only runs with trunk.enabled)."""
        while True:
            state = await asyncio.to_thread(trunk_status, self.cfg, self.home)
            registered = state == "Registered"
            if registered != self.trunk_registered:
                log.info("SIP trunk %s: handoffs to the staff mobile go over %s", state,
                         "the trunk" if registered else "the GSM line")
            self.trunk_registered = registered
            await asyncio.sleep(POLL_S)

    def leg(self, caller_number: str, caller_name: str) -> StaffLegLike | None:
        """The way to ring the staff mobile now, or None when there is none."""
        number = self.cfg.staff.mobile
        if not number:
            return None
        ring_s = self.cfg.staff.ring_seconds
        if self.cfg.trunk.enabled and self.trunk_registered:
            return StaffLeg(self.ari, self.app, caller_number, caller_name, ring_s,
                            endpoint=f"PJSIP/{number}@trunk")
        if self.gsm_calls is not None:
            return GsmStaffLeg(self.gsm_calls, number, ring_s)
        log.warning("cannot ring the staff mobile: the trunk is not registered and the GSM "
                    "line is not enabled")
        return None
