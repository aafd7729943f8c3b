"""The fake SIM7600's AT behaviour as pure code: bytes in -> bytes out, plus timed URCs.

The I/O layer feeds what the host wrote (`feed`), lets time pass (`advance`, sleeping until
`next_due`), writes `take_output()` to the AT port and acts on `take_effects()` (audio on or
off, USB reset). Calls and SMS live in calls.py and sms.py; this module owns the command
line, echo, the SMS prompt, power/boot and the identity commands; radio.py the SIM,
registration and signal.
"""

from __future__ import annotations

from collections import deque

from modem.simulator.calls import Calls
from modem.simulator.core import Command, parse_line
from modem.simulator.radio import Radio
from modem.simulator.sms import Sms
from modem.simulator.state import PENDING, Ctx, DeviceConfig, Effect, Settings, UsbReset

MANUFACTURER = "SIMCOM INCORPORATED"
MODEL = "SIMCOM_SIM7600G-H"
REVISION = "LE20B04SIM7600G22"
IMEI = "861234567890123"
ACCEPTED_BASIC = {"V", "Q", "X", "Z", "&C", "&D", "&W", "&F"}  # accepted, no effect here


class Device:
    def __init__(self, config: DeviceConfig | None = None) -> None:
        self.config = config or DeviceConfig()
        self.ctx = Ctx(self.config)
        self.ctx.finish = self._finish
        self.radio = Radio(self.ctx)
        self.calls = Calls(self.ctx)
        self.sms = Sms(self.ctx)
        self.powered = False
        self.booted = False  # RDY sent; before that the modem ignores the host
        self.commands: deque[str] = deque(maxlen=1000)
        self._line = bytearray()
        self._body = bytearray()
        self._queue: deque[str] = deque()
        self._busy = False

    # ---- the I/O layer's side ----

    def feed(self, data: bytes, now: float) -> None:
        self.advance(now)
        if not self.booted or self.ctx.wire.muted:
            return
        echo = self.ctx.settings.echo
        for byte in data:
            if self.ctx.prompt is not None:
                self._prompt_byte(byte)
                continue
            if echo:
                self.ctx.wire.raw(bytes((byte,)))
            if byte == 0x0D:
                line = self._line.decode("utf-8", "replace").strip()
                self._line.clear()
                if line:
                    self._queue.append(line)
                    self._drain()
                echo = self.ctx.settings.echo  # ATE0 takes effect for the next byte
            elif byte == 0x08:
                del self._line[-1:]
            elif byte != 0x0A:
                self._line.append(byte)

    def advance(self, now: float) -> None:
        self.ctx.timers.run_due(now)

    def next_due(self) -> float | None:
        return self.ctx.timers.next_due()

    def take_output(self) -> bytes:
        return self.ctx.wire.take()

    def take_effects(self) -> list[Effect]:
        effects, self.ctx.effects = self.ctx.effects, []
        return effects

    # ---- power ----

    def power_on(self, now: float) -> None:
        """USB ports just appeared: RDY after boot_delay, then the SIM and SMS/PB DONE."""
        self.power_off(now)
        self.powered = True
        self.ctx.timers.after(self.config.boot_delay, self._rdy)

    def power_off(self, now: float) -> None:
        self.advance(now)
        self.ctx.timers.clear()
        self.calls.drop_all()
        self.ctx.settings = Settings()
        self.ctx.sim, self.ctx.stat, self.ctx.prompt = "busy", 0, None
        self.powered = self.booted = self._busy = self.radio.booted = False
        self._line.clear()
        self._body.clear()
        self._queue.clear()
        self.ctx.wire.take()
        self.ctx.effects.clear()

    def _rdy(self) -> None:
        self.booted = True
        self.ctx.wire.line("RDY")
        self.radio.after_rdy()

    # ---- scripted changes ----

    def set_sim(self, state: str, now: float) -> None:
        self.advance(now)
        self.radio.set_sim(state)

    def set_network(self, stat: int, now: float) -> None:
        self.advance(now)
        self.radio.set_network(stat)

    def set_signal(self, rssi: int, now: float) -> None:
        self.advance(now)
        self.radio.set_signal(rssi)

    def set_silent(self, on: bool) -> None:
        self.ctx.wire.muted = on

    # ---- command lines ----

    def _prompt_byte(self, byte: int) -> None:
        if byte in (0x1A, 0x1B):  # Ctrl-Z sends, ESC aborts
            handler, self.ctx.prompt = self.ctx.prompt, None
            body = bytes(self._body) if byte == 0x1A else None
            self._body.clear()
            if handler is not None:
                handler(body)
            return
        self._body.append(byte)
        if self.ctx.settings.echo:
            self.ctx.wire.raw(bytes((byte,)))

    def _drain(self) -> None:
        while self._queue and not self._busy and self.ctx.prompt is None:
            self._execute(self._queue.popleft())

    def _finish(self, final: str) -> None:
        self.ctx.wire.line(final)
        self._busy = False
        self._drain()

    def _execute(self, line: str) -> None:
        self.commands.append(line)
        cmds = parse_line(line)
        if cmds is None:
            return  # not an AT command line: ignored, as a real modem does
        final = "OK"
        for cmd in cmds:
            result = (self._general(cmd) or self.radio.handle(cmd) or self.calls.handle(cmd)
                      or self.sms.handle(cmd))
            if result == PENDING:
                self._busy = True
                return
            if result != "OK":
                final = result or "ERROR"
                break
        self.ctx.wire.line(final)

    def _general(self, cmd: Command) -> str | None:
        s, wire = self.ctx.settings, self.ctx.wire
        name, kind = cmd.name, cmd.kind
        if name == "":
            return "OK"
        if name == "E" and cmd.arg(0, "0") in ("0", "1"):
            s.echo = cmd.arg(0, "0") == "1"
            return "OK"
        if name in ACCEPTED_BASIC:
            return "OK"
        if name == "I" and kind == "exec":
            for text in (f"Manufacturer: {MANUFACTURER}", f"Model: {MODEL}",
                         f"Revision: {REVISION}", f"IMEI: {IMEI}", "+GCAP: +CGSM"):
                wire.line(text)
            return "OK"
        info = {"+CGMI": MANUFACTURER, "+CGMM": MODEL, "+CGMR": f"+CGMR: {REVISION}",
                "+CGSN": IMEI}
        if name in info and kind == "exec":
            wire.line(info[name])
            return "OK"
        if name == "+CMEE":
            if kind == "query":
                wire.line(f"+CMEE: {s.cmee}")
            elif kind == "set" and cmd.arg(0) in ("0", "1", "2"):
                s.cmee = int(cmd.arg(0))
            else:
                return "ERROR"
            return "OK"
        if name == "+CRESET" or (name == "+CFUN" and kind == "set" and cmd.args == ["1", "1"]):
            # OK first, then the USB ports drop (the I/O layer brings them back later).
            self.ctx.timers.after(0.2, lambda: self.ctx.effects.append(UsbReset()))
            return "OK"
        if name == "+CFUN":
            if kind == "query":
                wire.line("+CFUN: 1")
            return "OK"
        return None

    def state(self) -> dict[str, object]:
        return {
            "powered": self.powered, "booted": self.booted, "sim": self.ctx.sim,
            "registration": self.ctx.stat, "rssi": self.config.rssi,
            "silent": self.ctx.wire.muted, "calls": self.calls.to_json(),
            "call": self.calls.main_json(),
            "cpcmreg": self.calls.pcm_on, "pcm_rate": self.ctx.settings.pcm_rate,
            "dtmf_sent": list(self.calls.dtmf_sent), "sms_sent": self.sms.sent_json(),
            "sms_stored": self.sms.stored_json(), "commands": list(self.commands),
            "echo": self.ctx.settings.echo, "cmgf": self.ctx.settings.cmgf,
        }
