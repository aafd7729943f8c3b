"""What the fake modem's parts share: script settings, the AT settings, and side effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

from modem.simulator.core import CME_TEXT, Timers, Wire

SIM_STATES = ("ready", "absent", "busy", "pin")
DIAL_OUTCOMES = ("answer", "busy", "no_answer", "no_carrier")


@dataclass
class DeviceConfig:
    """How the simulated modem behaves; every field can be changed at run time (configure)."""

    sim: str = "ready"  # the card: ready | absent | busy (stays busy) | pin (needs `pin`)
    pin: str = "1234"
    network: int = 1  # +CREG stat once the SIM is ready: 0..5
    rssi: int = 22
    operator: str = "Simulated Network"
    ring_interval: float = 3.0
    max_rings: int = 5
    boot_delay: float = 1.0  # ports appear -> RDY
    sim_busy_seconds: float = 0.5  # RDY -> +CPIN: READY (AT+CPIN? says "SIM busy" meanwhile)
    reset_seconds: float = 3.0  # AT+CRESET / AT+CFUN=1,1: how long the USB ports are gone
    sms_send_delay: float = 0.3  # text + Ctrl-Z -> +CMGS: <mr>
    dial_outcome: str = "answer"  # what the far end does with ATD: answer|busy|no_answer|no_carrier
    dial_alert_after: float = 0.5  # dialing -> alerting
    dial_result_after: float = 1.5  # alerting -> answered / busy / no answer
    dial_wav: str | None = None  # what the far end says on an outgoing call
    pcm_ready_delay: float = 0.0  # AT+CPCMREG=1 is refused this long after VOICE CALL: BEGIN
    pcm_refusals: int = 0  # ... and this many times on each call (exercises host retries)
    no_carrier_after_end: bool = True  # some firmware prints NO CARRIER after VOICE CALL: END

    def update(self, values: dict[str, object]) -> None:
        """Set fields by name; ValueError names the bad key and leaves everything unchanged."""
        new = replace(self)
        for key, value in values.items():
            if not hasattr(new, key):
                known = ", ".join(f.name for f in fields(self))
                raise ValueError(f"unknown setting {key!r}; known: {known}")
            current = getattr(new, key)
            if key == "dial_wav":
                ok = value is None or isinstance(value, str)
            elif isinstance(current, bool) or isinstance(value, bool):
                ok = isinstance(current, bool) and isinstance(value, bool)
            elif isinstance(current, float):
                ok = isinstance(value, int | float)
                value = float(value) if isinstance(value, int | float) else value
            else:
                ok = isinstance(value, type(current))
            if not ok:
                raise ValueError(f"setting {key!r} wants {type(current).__name__}, not {value!r}")
            setattr(new, key, value)
        if new.sim not in SIM_STATES:
            raise ValueError(f"sim must be one of {', '.join(SIM_STATES)}, not {new.sim!r}")
        if new.dial_outcome not in DIAL_OUTCOMES:
            raise ValueError(f"dial_outcome must be one of {', '.join(DIAL_OUTCOMES)}")
        for f in fields(self):
            setattr(self, f.name, getattr(new, f.name))


@dataclass
class Settings:
    """The AT settings a power cycle resets to the SIM7600's defaults."""

    echo: bool = True
    cmee: int = 0
    creg: int = 0
    cereg: int = 0
    clip: bool = False
    clcc: bool = False
    cvhu: int = 1  # ATH is ignored until AT+CVHU=0
    ddet: bool = False
    autocsq: bool = False
    cmgf: int = 0
    cscs: str = "IRA"
    cnmi_mt: int = 1
    csmp_dcs: int = 0  # text-mode sends go out as UCS2 only with AT+CSMP=17,167,0,8
    pcm_rate: int = 8000


@dataclass(frozen=True)
class PcmOn:
    rate: int


@dataclass(frozen=True)
class PcmOff:
    pass


@dataclass(frozen=True)
class CallStarted:
    wav: str | None  # what the far end says


@dataclass(frozen=True)
class CallEnded:
    pass


@dataclass(frozen=True)
class UsbReset:
    pass


Effect = PcmOn | PcmOff | CallStarted | CallEnded | UsbReset

PENDING = "<pending>"  # a handler's final result that comes later, through Ctx.finish
PromptHandler = Callable[[bytes | None], None]  # body up to Ctrl-Z, or None after ESC


@dataclass
class Ctx:
    """The modem state every command handler sees."""

    config: DeviceConfig
    wire: Wire = field(default_factory=Wire)
    timers: Timers = field(default_factory=Timers)
    settings: Settings = field(default_factory=Settings)
    effects: list[Effect] = field(default_factory=list)
    sim: str = "busy"  # runtime SIM state: ready | pin | absent | busy
    stat: int = 0  # runtime registration stat
    finish: Callable[[str], None] = lambda final: None
    prompt: PromptHandler | None = None

    def cme(self, code: int) -> str:
        if self.settings.cmee == 0:
            return "ERROR"
        if self.settings.cmee == 1:
            return f"+CME ERROR: {code}"
        return f"+CME ERROR: {CME_TEXT.get(code, 'unknown')}"

    def cms(self, code: int) -> str:
        return "ERROR" if self.settings.cmee == 0 else f"+CMS ERROR: {code}"

    def sim_error(self) -> str | None:
        """The final result for a command that needs the SIM, None when it is ready."""
        code = {"ready": 0, "absent": 10, "pin": 11, "busy": 14}[self.sim]
        return self.cme(code) if code else None

    def registered(self) -> bool:
        return self.stat in (1, 5)
