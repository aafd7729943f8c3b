"""Sim7600: the SIM7600's commands on one AtEngine (init, status, calls, DTMF, SMS, audio).

Errors are the engine's (AtError tree); PortGone and AtTimeout mean the modem is gone or
silent and are always passed on. A missing SIM or network is not an error here: init and
status report it (``sim``, ``registration``) and the line decides what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from modem.at.engine import AtEngine
from modem.at.errors import AtError, AtTimeout, CmeError, PortGone
from modem.sim7600.events import SmsReceived
from modem.sim7600.sms import SmsService, check_number
from modem.sim7600.status import (
    ModemStatus,
    best_registration,
    calls,
    operator,
    problem,
    registration,
    signal_dbm,
    sim_state,
    sim_state_from_error,
)
from modem.sms import Reassembler

log = logging.getLogger(__name__)

# After ATE0 / AT+CMEE=2: URCs for registration, caller id, call list and DTMF; hang up
# with ATH too (CVHU=0); signal pushed on change (AUTOCSQ, not on every firmware).
CALL_INIT = ("AT+CREG=2", "AT+CEREG=2", "AT+COPS=3,0", "AT+CLIP=1", "AT+CVHU=0",
             "AT+CLCC=1", "AT+DDET=1", "AT+AUTOCSQ=1,1")
DTMF_DIGITS = "0123456789ABCD*#"


class Sim7600:
    def __init__(self, engine: AtEngine, reassembler: Reassembler | None = None) -> None:
        self.engine = engine
        self.reassembler = reassembler or Reassembler()
        self.sms: SmsService | None = None  # set by init
        self.sim = "unknown"  # as of the last init / status
        self.sms_ready = False  # the SMS settings took (they need the SIM)
        self.pin_error = ""  # the SIM refused the configured PIN: never send it again
        self.model = ""
        self.registrations: dict[str, str] = {}  # "CREG"/"CEREG" -> status, as of status()

    async def init(self, pin: str = "", sms_mode: str = "pdu", *,
                   busy_retries: int = 20, busy_interval: float = 1.0) -> None:
        """The init list from the notes; enters ``pin`` if the SIM asks for one; waits out
        "SIM busy" (``busy_retries`` x ``busy_interval``). SMS setup is left for later
        (``setup_sms``) when the SIM is not ready."""
        self.sms = SmsService(self.engine, sms_mode, self.reassembler)
        await self.engine.command("ATE0")
        await self.engine.command("AT+CMEE=2")
        for cmd in CALL_INIT:
            await self._optional(cmd)
        try:
            self.model = (await self.engine.command("AT+CGMM")).lines[0].strip()
        except (IndexError, AtError) as e:
            _passthrough(e)
        self.sim = await self.unlock_sim(pin, busy_retries, busy_interval)
        if self.sim == "ready":
            await self.setup_sms()

    async def setup_sms(self) -> bool:
        """SMS settings (they need the SIM); whether they took."""
        if self.sms is None:
            raise RuntimeError("Sim7600.init() first")
        try:
            await self.sms.setup()
        except AtError as e:
            _passthrough(e)
            log.warning("SMS setup failed (will retry): %s", e)
        else:
            self.sms_ready = True
        return self.sms_ready

    async def sim_state(self) -> str:
        try:
            value = (await self.engine.command("AT+CPIN?")).first("+CPIN")
        except CmeError as e:
            return sim_state_from_error(e.code, e.text)
        return sim_state(value) if value else "unknown"

    async def unlock_sim(self, pin: str, busy_retries: int = 20,
                         busy_interval: float = 1.0) -> str:
        """The SIM state once it is no longer busy (or still "busy" after the retries);
        enters ``pin`` once if asked. A refused PIN sets ``pin_error`` (a SIM locks itself
        after three wrong ones, so it is never retried)."""
        state = "busy"
        pin_sent = False
        for attempt in range(busy_retries + 1):
            state = await self.sim_state()
            if state == "pin_required" and pin and not pin_sent and not self.pin_error:
                pin_sent = True
                try:
                    await self.engine.command(f'AT+CPIN="{pin}"', timeout=10.0)
                except CmeError as e:
                    self.pin_error = f"the SIM refused the PIN in the config (gsm.pin): {e.text}"
                    log.error("%s", self.pin_error)
                    return "pin_required"
                continue
            if state != "busy":
                return state
            if attempt < busy_retries:
                await asyncio.sleep(busy_interval)
        return state

    async def status(self) -> ModemStatus:
        self.sim = await self.sim_state()
        for source in ("CREG", "CEREG"):
            self.registrations[source] = registration(await self._line(f"AT+{source}?",
                                                                       f"+{source}"))
        reg = best_registration(*self.registrations.values())
        cops = await self._line("AT+COPS?", "+COPS")
        csq = await self._line("AT+CSQ", "+CSQ")
        try:
            call_list = calls((await self.engine.command("AT+CLCC")).lines)
        except AtError as e:
            _passthrough(e)
            call_list = []
        error = self.pin_error or problem(self.sim, reg)
        return ModemStatus(True, self.sim, reg, operator(cops), signal_dbm(csq), call_list,
                           error, self.model)

    # -- calls ----------------------------------------------------------------------------

    async def answer(self) -> None:
        await self.engine.command("ATA", timeout=10.0)

    async def hangup(self) -> None:
        await self.engine.command("AT+CHUP", timeout=10.0)

    async def dial(self, number: str) -> None:
        """Start a call; its progress comes as events (call_begin, call_end)."""
        check_number(number)
        await self.engine.command(f"ATD{number};", timeout=20.0)

    async def reject_waiting(self) -> None:
        await self.engine.command("AT+CHLD=0")

    async def send_dtmf(self, digits: str, tenths: int | None = None) -> None:
        """Play DTMF digits to the far end, each ``tenths`` of a second (modem default: 1)."""
        bad = [d for d in digits if d not in DTMF_DIGITS]
        if bad or not digits:
            raise ValueError(f"DTMF digits must be from {DTMF_DIGITS}, got {digits!r}")
        suffix = f",{tenths}" if tenths is not None else ""
        for digit in digits:
            await self.engine.command(f"AT+VTS={digit}{suffix}",
                                      timeout=5.0 + (tenths or 1) / 10)

    # -- SMS ------------------------------------------------------------------------------

    def _sms(self) -> SmsService:
        if self.sms is None:
            raise RuntimeError("Sim7600.init() first")
        return self.sms

    async def send_sms(self, number: str, text: str) -> list[int]:
        """Send ``text`` (multipart if long); the network's message references."""
        return await self._sms().send(number, text)

    async def read_sms(self, index: int) -> SmsReceived | None:
        return await self._sms().read(index)

    async def delete_sms(self, index: int) -> None:
        await self._sms().delete(index)

    async def stored_sms(self) -> list[int]:
        return await self._sms().stored()

    # -- audio, reset -----------------------------------------------------------------------

    async def audio_on(self, attempts: int = 10, interval: float = 0.3) -> None:
        """Start call audio on the USB voice port: AT+CPCMREG=1 is refused until the call
        is up, so retry ``attempts`` times ``interval`` apart; the last refusal is raised."""
        for attempt in range(1, attempts + 1):
            try:
                await self.engine.command("AT+CPCMREG=1")
                return
            except AtError as e:
                _passthrough(e)
                if attempt == attempts:
                    raise AtError(f"call audio refused {attempts} times: {e}", e.final) from e
            await asyncio.sleep(interval)

    async def audio_off(self) -> None:
        await self.engine.command("AT+CPCMREG=0")

    async def reset(self) -> None:
        """AT+CRESET: the modem restarts and its USB ports go away (the line reconnects)."""
        with contextlib.suppress(PortGone, AtTimeout):  # gone before or instead of the OK
            await self.engine.command("AT+CRESET", timeout=5.0)

    # -- helpers --------------------------------------------------------------------------

    async def _optional(self, cmd: str) -> None:
        try:
            await self.engine.command(cmd)
        except AtError as e:
            _passthrough(e)
            log.info("modem refused %s: %s", cmd, e)

    async def _line(self, cmd: str, prefix: str) -> str:
        """The reply line with ``prefix`` ("" when refused or missing)."""
        try:
            resp = await self.engine.command(cmd)
        except AtError as e:
            _passthrough(e)
            return ""
        return next((line for line in resp.lines if line.startswith(prefix + ":")), "")


def _passthrough(e: Exception) -> None:
    """A gone or silent modem is never swallowed with the ordinary refusals."""
    if isinstance(e, PortGone | AtTimeout):
        raise e
