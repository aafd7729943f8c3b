"""GsmLine + Sim7600 against the simulated SIM7600 (ptys, in-process): init and status,
calls, DTMF, no SIM / busy / no network, unplug and replug, a silent modem."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from modem.at.events import Clip, Dtmf
from modem.sim7600 import (
    CallBegun,
    CallEnded,
    CallMissed,
    CallWaitingIn,
    Disconnected,
    LineEvent,
    ModemState,
    Reconnected,
)
from tests.support.sim7600_line import Harness

pytestmark = pytest.mark.timeout(60)
CALLER = "+27821231234"


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Harness] = []

    async def _make(sms_mode: str = "pdu", pin: str = "", **config: Any) -> Harness:
        started.append(await Harness.start(tmp_path / "sim", sms_mode, pin, **config))
        return started[-1]

    yield _make
    for harness in started:
        await harness.close()


async def test_init_and_status(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.until(lambda: h.line.status.registration == "home")
    st = h.line.status
    assert (st.connected, st.sim, st.registration) == (True, "ready", "home")
    assert st.operator == "Simulated Network"
    assert st.signal_dbm == -113 + 2 * 22
    assert st.error == "" and st.model
    seen = h.state()["commands"]
    for cmd in ("ATE0", "AT+CMEE=2", "AT+CLIP=1", "AT+CLCC=1", "AT+DDET=1", "AT+CVHU=0",
                "AT+CNMI=2,1,0,0,0", "AT+CMGF=0"):
        assert cmd in seen
    # A signal change reaches the status without waiting for anything else.
    await h.sim.set_signal(10)
    await h.until(lambda: h.line.status.signal_dbm == -93)


async def test_incoming_call_answered_and_hung_up_by_far_end(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.sim.ring(CALLER)
    clip = await h.next(Clip)
    assert clip.number == CALLER
    await h.modem.answer()
    begun = await h.next(CallBegun)
    assert (begun.number, begun.direction) == (CALLER, "in")
    assert [(c.number, c.state) for c in h.line.status.calls] == [(CALLER, "active")]
    await h.modem.audio_on()
    assert h.state()["cpcmreg"] is True
    await asyncio.sleep(1.1)
    await h.sim.hangup()
    ended = await h.next(CallEnded)
    assert ended.number == CALLER and ended.duration_s >= 1
    await h.modem.audio_off()
    assert h.state()["cpcmreg"] is False
    await h.until(lambda: h.line.status.calls == [])


async def test_audio_on_retries_until_the_call_is_up(make: Callable[..., Any]) -> None:
    h = await make(pcm_refusals=3)
    await h.up()
    await h.answered_call(CALLER)
    await h.modem.audio_on(attempts=5, interval=0.05)
    assert h.state()["commands"].count("AT+CPCMREG=1") == 4
    await h.modem.hangup()
    await h.next(CallEnded)


async def test_missed_call_reported_once(make: Callable[..., Any]) -> None:
    h = await make(max_rings=2)
    await h.up()
    await h.sim.ring(CALLER)
    missed = await h.next(CallMissed)
    assert missed.number == CALLER and re.fullmatch(r"\d\d:\d\d[AP]M", missed.time)
    await asyncio.sleep(1.0)
    later = [h.events.get_nowait() for _ in range(h.events.qsize())]
    assert not [e for e in later if isinstance(e, CallMissed | CallBegun)]


async def test_dtmf_in_and_out(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.answered_call(CALLER)
    await h.sim.dtmf("5")
    assert (await h.next(Dtmf)).digit == "5"
    await h.modem.send_dtmf("12#")
    await h.modem.send_dtmf("9", tenths=5)
    assert h.state()["dtmf_sent"] == [
        {"digit": "1", "tenths": None}, {"digit": "2", "tenths": None},
        {"digit": "#", "tenths": None}, {"digit": "9", "tenths": 5}]
    with pytest.raises(ValueError, match="DTMF digits"):
        await h.modem.send_dtmf("1x")


async def test_outgoing_call(make: Callable[..., Any]) -> None:
    h = await make(dial_alert_after=0.1, dial_result_after=0.2)
    await h.up()
    await h.modem.dial("0215550000")
    begun = await h.next(CallBegun)
    assert (begun.number, begun.direction) == ("0215550000", "out")
    await h.modem.hangup()
    ended = await h.next(CallEnded)
    assert (ended.number, ended.direction) == ("0215550000", "out")


async def test_no_sim_is_reported_not_a_crash(make: Callable[..., Any]) -> None:
    h = await make(sim="absent")
    await h.up()
    st = h.line.status
    assert (st.connected, st.sim) == (True, "not_inserted")
    assert "no SIM" in st.error
    await asyncio.sleep(1.0)  # pings keep going, the line stays up
    assert h.line.status.connected and h.line.failures == 0


async def test_sim_pin_entered_from_config(make: Callable[..., Any]) -> None:
    h = await make(pin="4321", sim="pin")
    await h.sim.configure(pin="4321")
    await h.up()
    await h.until(lambda: h.line.status.sim == "ready")
    assert 'AT+CPIN="4321"' in h.state()["commands"]


async def test_wrong_pin_is_sent_once_and_reported(make: Callable[..., Any]) -> None:
    h = await make(pin="0000", sim="pin")
    await h.up()
    await asyncio.sleep(1.0)
    st = h.line.status
    assert st.sim == "pin_required" and "refused the PIN" in st.error
    assert h.state()["commands"].count('AT+CPIN="0000"') == 1


async def test_sim_busy_then_ready_and_no_network(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.sim.set_sim("busy")
    await h.until(lambda: h.line.status.sim == "busy")
    assert "busy" in h.line.status.error and h.line.status.connected
    await h.sim.set_sim("ready")
    await h.until(lambda: h.line.status.sim == "ready" and h.line.status.error == "")
    await h.sim.set_network(0)
    await h.until(lambda: h.line.status.registration == "not_registered")
    assert h.line.status.error.startswith("no network")
    await h.sim.set_network(5)
    await h.until(lambda: h.line.status.registration == "roaming")


async def test_unplug_mid_call_then_replug(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.answered_call(CALLER)
    inits = h.state()["commands"].count("ATE0")
    await h.sim.unplug(1.0)
    gone = await h.next(Disconnected)
    assert gone.reason
    assert not h.line.status.connected and h.line.modem is None
    await h.next(Reconnected, within=8.0)
    assert h.line.status.connected and h.line.modem is not None
    assert h.state()["commands"].count("ATE0") == inits + 1  # initialised again
    assert h.line.status.sim == "ready"
    # The next call works.
    await h.sim.ring("+27829990000")
    assert (await h.next(Clip)).number == "+27829990000"


async def test_silent_modem_reconnects_with_bounded_backoff(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    statuses: list[str] = []
    await h.sim.silent(True)
    await h.next(Disconnected)
    async with asyncio.timeout(20):
        while len([s for s in statuses if "retrying" in s]) < 5:
            event: LineEvent = await h.events.get()
            if isinstance(event, ModemState) and "retrying" in event.status.error:
                statuses.append(event.status.error)
    delays = [float(re.search(r"retrying in ([\d.]+) s", s)[1]) for s in statuses]  # type: ignore[index]
    assert delays[:5] == [0.2, 0.2, 0.4, 0.8, 0.8]  # restarts after being up, doubles, capped
    assert all("answer" in s for s in statuses)
    await h.sim.silent(False)
    await h.next(Reconnected, within=8.0)
    assert h.line.status.connected


async def test_call_waiting_reported_and_rejected(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    await h.answered_call(CALLER)
    await h.sim.waiting("+27825550000")
    waiting = await h.next(CallWaitingIn)
    assert waiting.number == "+27825550000"
    await h.modem.reject_waiting()
    await h.until(lambda: [c.number for c in h.line.status.calls] == [CALLER])
    assert [c["number"] for c in h.state()["calls"]] == [CALLER]  # the first call stays up


async def test_reset_reconnects_and_reinitialises(make: Callable[..., Any]) -> None:
    h = await make()
    await h.up()
    inits = h.state()["commands"].count("ATE0")
    await h.modem.reset()
    await h.next(Disconnected)
    await h.next(Reconnected, within=8.0)
    await h.up()
    assert h.state()["commands"].count("ATE0") == inits + 1
