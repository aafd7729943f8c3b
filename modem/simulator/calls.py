"""Voice calls of the fake modem: ringing, answering, dialing, hangups, DTMF, the PCM switch.

URC orders follow the captures in /work/shared/notes/sim7600.md: `RING` / `+CLCC ... 4`,
`VOICE CALL: BEGIN` before ATA's `OK`, `+CLCC ... 6` / `VOICE CALL: END: HHMMSS`, and
`MISSED_CALL: 11:53AM <number>` when a ringing call is not answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from modem.simulator.core import Command, Timer
from modem.simulator.state import CallEnded, CallStarted, Ctx, PcmOff, PcmOn

STATES = {0: "active", 1: "held", 2: "dialing", 3: "alerting", 4: "incoming", 5: "waiting"}
DTMF_DIGITS = set("0123456789*#ABCD")


@dataclass
class Call:
    id: int
    direction: int  # 0 out, 1 in (as in +CLCC)
    stat: int
    number: str
    alpha: str = ""
    wav: str | None = None
    began: float | None = None
    pcm_refusals: int = 0
    rings: int = 0
    timer: Timer | None = None

    @property
    def type(self) -> int:
        return 145 if self.number.startswith("+") else 129

    def clcc(self) -> str:
        alpha = f',"{self.alpha}"' if self.alpha else ""
        head = f"+CLCC: {self.id},{self.direction},{self.stat},0,0"
        return f'{head},"{self.number}",{self.type}{alpha}'

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "direction": "out" if self.direction == 0 else "in",
                "state": STATES.get(self.stat, "disconnect"), "number": self.number,
                "rings": self.rings}


class Calls:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.calls: dict[int, Call] = {}
        self.pcm_on = False
        self.ceer = "No cause information"
        self.dtmf_sent: list[dict[str, object]] = []

    # ---- scripted by the test (far end) ----

    def ring(self, number: str, alpha: str = "", wav: str | None = None) -> None:
        if not self.ctx.registered():
            raise ValueError(
                f"the modem is not registered (stat {self.ctx.stat}, sim {self.ctx.sim})")
        if self.calls:
            raise ValueError("a call is already up; use the 'waiting' op for a second call")
        call = Call(1, 1, 4, number, alpha, wav, pcm_refusals=self.ctx.config.pcm_refusals)
        self.calls[call.id] = call
        self._ring(call)

    def waiting(self, number: str) -> None:
        if self._active() is None:
            raise ValueError("no active call for a call to wait behind")
        call = Call(self._free_id(), 1, 5, number)
        self.calls[call.id] = call
        self.ctx.wire.line(f'+CCWA: "{number}",{call.type},1')
        self._push(call)

    def far_hangup(self) -> None:
        call = next((c for c in self.calls.values() if c.stat != 5), None)
        if call is None:
            raise ValueError("no call to hang up")
        self._release(call, "Normal call clearing", missed=True)
        answered = call.began is not None
        if (self.ctx.config.no_carrier_after_end if answered else call.direction == 0):
            self.ctx.wire.line("NO CARRIER")

    def dtmf(self, digit: str) -> bool:
        """The caller presses a key; False when the modem would not report it."""
        if digit not in DTMF_DIGITS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        if not self.ctx.settings.ddet or self._active() is None:
            return False
        self.ctx.wire.crcr_line(f"+RXDTMF: {digit}")
        return True

    def drop_all(self) -> None:
        """Power loss: calls vanish without a word."""
        for call in self.calls.values():
            if call.timer:
                call.timer.cancel()
        self.calls.clear()
        self.pcm_on = False

    # ---- AT commands ----

    def handle(self, cmd: Command) -> str | None:
        s, ctx = self.ctx.settings, self.ctx
        if cmd.name == "A":
            return self._answer()
        if cmd.name in ("H", "+CHUP"):
            if cmd.name == "H" and s.cvhu != 0:
                return "OK"  # CVHU=1: ATH is ignored (the notes: ATH needs AT+CVHU=0)
            for call in list(self.calls.values()):
                self._release(call, "Normal call clearing")
            return "OK"
        if cmd.name == "D":
            return self._dial(cmd.arg(0))
        if cmd.name == "+CHLD" and cmd.kind == "set":
            if cmd.arg(0) != "0":
                return ctx.cme(4)
            for call in [c for c in self.calls.values() if c.stat == 5]:
                self._release(call, "Call rejected")
            return "OK"
        if cmd.name == "+VTS" and cmd.kind == "set":
            return self._vts(cmd)
        if cmd.name == "+CPCMREG":
            return self._cpcmreg(cmd)
        if cmd.name == "+CPCMFRM" and cmd.kind in ("set", "query"):
            if cmd.kind == "query":
                ctx.wire.line(f"+CPCMFRM: {1 if s.pcm_rate == 16000 else 0}")
            elif cmd.arg(0) in ("0", "1"):
                s.pcm_rate = 16000 if cmd.arg(0) == "1" else 8000
            else:
                return "ERROR"
            return "OK"
        if cmd.name == "+CEER" and cmd.kind == "exec":
            ctx.wire.line(f"+CEER: {self.ceer}")
            return "OK"
        if cmd.name == "+CLCC":
            if cmd.kind == "exec":
                for call in sorted(self.calls.values(), key=lambda c: c.id):
                    ctx.wire.line(call.clcc())
            elif cmd.kind == "query":
                ctx.wire.line(f"+CLCC: {int(s.clcc)}")
            elif cmd.kind == "set":
                s.clcc = cmd.arg(0) == "1"
            return "OK"
        return self._flag(cmd)

    def _flag(self, cmd: Command) -> str | None:
        """AT+CLIP / AT+CVHU / AT+DDET: set with 0|1, query."""
        attr = {"+CLIP": "clip", "+CVHU": "cvhu", "+DDET": "ddet"}.get(cmd.name)
        if attr is None or cmd.kind not in ("set", "query"):
            return None
        s = self.ctx.settings
        if cmd.kind == "query":
            extra = ",1" if cmd.name == "+CLIP" else ""  # <m>: CLIP provisioned
            self.ctx.wire.line(f"{cmd.name}: {int(getattr(s, attr))}{extra}")
            return "OK"
        value = cmd.int_arg(0)
        if value not in (0, 1):
            return "ERROR"
        setattr(s, attr, value if attr == "cvhu" else bool(value))
        return "OK"

    def _answer(self) -> str:
        call = next((c for c in self.calls.values() if c.stat == 4), None)
        if call is None:
            return "NO CARRIER"
        if call.timer:
            call.timer.cancel()
        self._begin(call)
        self.ctx.timers.after(0.0, lambda: self._push(call))  # +CLCC ... 0 comes after the OK
        return "OK"

    def _begin(self, call: Call) -> None:
        call.stat = 0
        call.began = self.ctx.timers.now
        self.ctx.wire.line("VOICE CALL: BEGIN")
        self.ctx.effects.append(CallStarted(call.wav))

    def _dial(self, dial: str) -> str:
        if not dial.endswith(";"):
            return "NO CARRIER"  # a data call: this fake only does voice
        number = dial[:-1].strip()
        if not re.fullmatch(r"\+?[0-9*#]+", number):
            return "ERROR"
        error = self.ctx.sim_error()
        if error:
            return error
        if not self.ctx.registered():
            return self.ctx.cme(30)
        if self.calls:
            return self.ctx.cme(3)
        cfg = self.ctx.config
        call = Call(1, 0, 2, number, wav=cfg.dial_wav, pcm_refusals=cfg.pcm_refusals)
        self.calls[call.id] = call
        self.ctx.timers.after(0.0, lambda: self._push(call))
        call.timer = self.ctx.timers.after(cfg.dial_alert_after, lambda: self._alerting(call))
        return "OK"

    def _alerting(self, call: Call) -> None:
        call.stat = 3
        self._push(call)
        call.timer = self.ctx.timers.after(
            self.ctx.config.dial_result_after, lambda: self._outcome(call))

    def _outcome(self, call: Call) -> None:
        outcome = self.ctx.config.dial_outcome
        if outcome == "answer":
            self._begin(call)
            self._push(call)
            return
        final, reason = {"busy": ("BUSY", "User busy"), "no_answer": ("NO ANSWER", "No answer"),
                         "no_carrier": ("NO CARRIER", "Call rejected")}[outcome]
        self._release(call, reason)
        self.ctx.wire.line(final)

    def _ring(self, call: Call) -> None:
        if self.calls.get(call.id) is not call or call.stat != 4:
            return
        if call.rings >= self.ctx.config.max_rings:
            self._release(call, "No answer", missed=True)
            return
        call.rings += 1
        self.ctx.wire.line("RING")
        if call.rings == 1:
            self._push(call)
        if self.ctx.settings.clip:
            self.ctx.wire.line(f'+CLIP: "{call.number}",{call.type},,,"{call.alpha}",0'
                               if call.alpha else f'+CLIP: "{call.number}",{call.type},,,,0')
        call.timer = self.ctx.timers.after(self.ctx.config.ring_interval,
                                           lambda: self._ring(call))

    def _release(self, call: Call, reason: str, missed: bool = False) -> None:
        """The call goes: +CLCC stat 6, then VOICE CALL: END or MISSED_CALL."""
        if call.timer:
            call.timer.cancel()
        was = call.stat
        call.stat = 6
        self._push(call)
        self.calls.pop(call.id, None)
        self.ceer = reason
        if call.began is not None:
            secs = int(self.ctx.timers.now - call.began)
            hhmmss = f"{secs // 3600:02d}{secs // 60 % 60:02d}{secs % 60:02d}"
            self.ctx.wire.line(f"VOICE CALL: END: {hhmmss}")
            if self.pcm_on:
                self.pcm_on = False
                self.ctx.effects.append(PcmOff())
            self.ctx.effects.append(CallEnded())
            for other in [c for c in self.calls.values() if c.stat == 5]:
                self._release(other, "Normal call clearing", missed=True)
        elif missed and was in (4, 5):
            when = datetime.now().strftime("%I:%M%p")
            self.ctx.wire.line(f"MISSED_CALL: {when} {call.number}")

    def _vts(self, cmd: Command) -> str:
        if self._active() is None:
            return self.ctx.cme(3)
        digits = cmd.arg(0).split(",") if len(cmd.args) == 1 else [cmd.arg(0)]
        tenths = cmd.int_arg(1) if len(cmd.args) == 2 else None
        if not digits or any(d not in DTMF_DIGITS for d in digits) or len(cmd.args) > 2:
            return "ERROR"
        self.dtmf_sent.extend({"digit": d, "tenths": tenths} for d in digits)
        return "OK"

    def _cpcmreg(self, cmd: Command) -> str:
        if cmd.kind == "query":
            self.ctx.wire.line(f"+CPCMREG: {int(self.pcm_on)}")
            return "OK"
        if cmd.kind != "set" or cmd.arg(0) not in ("0", "1"):
            return "ERROR"
        if cmd.arg(0) == "0":
            if self.pcm_on:
                self.pcm_on = False
                self.ctx.effects.append(PcmOff())
            return "OK"
        call = self._active()
        # The real modem refuses until the call is up (and sometimes for a moment after).
        if call is None or call.began is None:
            return "ERROR"
        if self.ctx.timers.now < call.began + self.ctx.config.pcm_ready_delay:
            return "ERROR"
        if call.pcm_refusals > 0:
            call.pcm_refusals -= 1
            return "ERROR"
        if not self.pcm_on:
            self.pcm_on = True
            self.ctx.effects.append(PcmOn(self.ctx.settings.pcm_rate))
        return "OK"

    def _active(self) -> Call | None:
        return next((c for c in self.calls.values() if c.stat == 0), None)

    def _free_id(self) -> int:
        return next(i for i in range(1, 8) if i not in self.calls)

    def _push(self, call: Call) -> None:
        if self.ctx.settings.clcc:
            self.ctx.wire.line(call.clcc())

    def to_json(self) -> list[dict[str, object]]:
        return [c.to_json() for c in sorted(self.calls.values(), key=lambda c: c.id)]

    def main_json(self) -> dict[str, object] | None:
        """The call a test usually means: the one that is not waiting."""
        call = next((c for c in sorted(self.calls.values(), key=lambda c: c.id)
                     if c.stat != 5), None)
        return call.to_json() if call else None

