"""SIM card, network registration and signal of the fake modem (AT+CPIN, +CREG/+CEREG,
+COPS, +CSQ/+AUTOCSQ), and how they change when the test scripts them."""

from __future__ import annotations

from modem.simulator.core import Command
from modem.simulator.state import Ctx

LAC, CELL = "1A2B", "01C2D3E4"


class Radio:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.booted = False

    def after_rdy(self) -> None:
        """Boot, right after RDY: the SIM is busy for a while, then READY (or asks a PIN)."""
        self.booted = True
        config = self.ctx.config
        if config.sim == "absent":
            self.ctx.sim = "absent"
            self.ctx.wire.line("+CPIN: SIM REMOVED")
        elif config.sim != "busy":
            self.ctx.timers.after(config.sim_busy_seconds, self._sim_up)

    def _sim_up(self) -> None:
        if self.ctx.config.sim == "pin":
            self.ctx.sim = "pin"
            self.ctx.wire.line("+CPIN: SIM PIN")
        elif self.ctx.config.sim == "ready":
            self._sim_ready()

    def _sim_ready(self) -> None:
        wire = self.ctx.wire
        self.ctx.sim = "ready"
        wire.line("+CPIN: READY")
        self.ctx.timers.after(0.1, lambda: wire.line("SMS DONE"))
        self.ctx.timers.after(0.2, lambda: wire.line("PB DONE"))
        self._update_registration()

    # ---- scripted ----

    def set_sim(self, state: str) -> None:
        self.ctx.config.update({"sim": state})
        if not self.booted or self.ctx.sim == state:
            return  # before RDY the new card state applies at boot
        if state == "ready":
            self._sim_ready()
            return
        self.ctx.sim = state
        if state == "pin":
            self.ctx.wire.line("+CPIN: SIM PIN")
        elif state == "absent":
            self.ctx.wire.line("+CPIN: SIM REMOVED")
        self._update_registration()

    def set_network(self, stat: int) -> None:
        if not 0 <= stat <= 5:
            raise ValueError(f"network stat must be 0..5, not {stat}")
        self.ctx.config.network = stat
        self._update_registration()

    def set_signal(self, rssi: int) -> None:
        if not (0 <= rssi <= 31 or rssi == 99):
            raise ValueError(f"rssi must be 0..31 or 99, not {rssi}")
        self.ctx.config.rssi = rssi
        if self.booted and self.ctx.settings.autocsq:
            self.ctx.wire.line(self._csq())

    def _update_registration(self) -> None:
        stat = self.ctx.config.network if self.ctx.sim == "ready" else 0
        if stat == self.ctx.stat:
            return
        self.ctx.stat = stat
        s = self.ctx.settings
        cell = f',"{LAC}","{CELL}"' if stat in (1, 5) else ""
        if s.creg:
            self.ctx.wire.line(f"+CREG: {stat}{cell if s.creg == 2 else ''}")
        if s.cereg:
            self.ctx.wire.line(f"+CEREG: {stat}{cell + ',7' if s.cereg == 2 and cell else ''}")

    # ---- AT commands ----

    def handle(self, cmd: Command) -> str | None:
        s, wire, kind = self.ctx.settings, self.ctx.wire, cmd.kind
        if cmd.name == "+CPIN":
            return self._cpin(cmd)
        if cmd.name in ("+CREG", "+CEREG", "+CGREG"):
            return self._reg(cmd)
        if cmd.name == "+COPS":
            if kind == "query":
                name = self.ctx.config.operator
                wire.line(f'+COPS: 0,0,"{name}",7' if self.ctx.registered() else "+COPS: 0")
            return "OK"
        if cmd.name == "+CSQ" and kind == "exec":
            wire.line(self._csq())
            return "OK"
        if cmd.name == "+AUTOCSQ":
            if kind == "query":
                wire.line(f"+AUTOCSQ: {int(s.autocsq)},1")
            elif kind == "set" and cmd.arg(0) in ("0", "1"):
                s.autocsq = cmd.arg(0) == "1"
            else:
                return "ERROR"
            return "OK"
        return None

    def _cpin(self, cmd: Command) -> str:
        sim = self.ctx.sim
        if cmd.kind == "query":
            if sim in ("ready", "pin"):
                self.ctx.wire.line("+CPIN: READY" if sim == "ready" else "+CPIN: SIM PIN")
                return "OK"
            return self.ctx.sim_error() or "ERROR"
        if cmd.kind != "set":
            return "ERROR"
        if sim != "pin":
            return self.ctx.sim_error() or self.ctx.cme(3)
        if cmd.arg(0) != self.ctx.config.pin:
            return self.ctx.cme(16)
        self.ctx.timers.after(0.1, self._sim_ready)
        return "OK"

    def _reg(self, cmd: Command) -> str:
        s, stat = self.ctx.settings, self.ctx.stat
        attr = {"+CREG": "creg", "+CEREG": "cereg", "+CGREG": "cereg"}[cmd.name]
        if cmd.kind == "set":
            value = cmd.int_arg(0)
            if value not in (0, 1, 2):
                return "ERROR"
            if cmd.name != "+CGREG":
                setattr(s, attr, value)
            return "OK"
        if cmd.kind == "query":
            n = getattr(s, attr)
            cell = f',"{LAC}","{CELL}"' if n == 2 and stat in (1, 5) else ""
            act = ",7" if cell and cmd.name != "+CREG" else ""
            self.ctx.wire.line(f"{cmd.name}: {n},{stat}{cell}{act}")
            return "OK"
        return "ERROR"

    def _csq(self) -> str:
        rssi = self.ctx.config.rssi
        return f"+CSQ: {rssi},{99 if rssi == 99 else 0}"
