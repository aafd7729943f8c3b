"""SMS through GsmLine/Sim7600 and the simulated SIM7600, in PDU and text mode: GSM-7,
UCS2 (non-Latin) and multipart, sent (decoded by the simulator) and received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from modem.sim7600 import SmsReceived
from tests.support.sim7600_line import Harness

pytestmark = pytest.mark.timeout(60)
NUMBER = "+27821231234"
LATIN = "Hello from the office, see you at 10:30!"
CYRILLIC = "Здравствуйте! Перезвоните, пожалуйста."
LONG = " ".join(f"word{i}" for i in range(60))  # 349 GSM-7 characters: 3 parts
LONG_UCS2 = "电话留言：" + "请回电。" * 30  # 125 UCS2 characters: 2 parts


@pytest.fixture(params=["pdu", "text"])
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness.start(tmp_path / "sim", sms_mode=request.param)
    try:
        await harness.up()
        await harness.until(lambda: harness.modem.sms_ready)
        yield harness
    finally:
        await harness.close()


def sent(h: Harness) -> list[dict[str, Any]]:
    return list(h.state()["sms_sent"])


@pytest.mark.parametrize("text", [LATIN, CYRILLIC, "Price: 5€ [sale] {today} ~ ^_^"])
async def test_send_single_part(h: Harness, text: str) -> None:
    refs = await h.modem.send_sms(NUMBER, text)
    assert len(refs) == 1
    [message] = sent(h)
    assert (message["number"], message["text"], message["parts"]) == (NUMBER, text, 1)
    assert message["mode"] == h.modem.sms.mode  # type: ignore[union-attr]


@pytest.mark.parametrize("text,parts", [(LONG, 3), (LONG_UCS2, 2)])
async def test_send_multipart_arrives_as_one_message(h: Harness, text: str, parts: int) -> None:
    refs = await h.modem.send_sms(NUMBER, text)
    assert len(refs) == parts
    [message] = sent(h)
    # Text mode has no concatenation header: a long text goes out in PDU mode.
    assert (message["text"], message["parts"], message["total"], message["mode"]) == (
        text, parts, parts, "pdu")
    assert h.state()["cmgf"] == (1 if h.modem.sms.mode == "text" else 0)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [LATIN, CYRILLIC, LONG, LONG_UCS2])
async def test_receive_reassembled_and_deleted(h: Harness, text: str) -> None:
    indexes = await h.sim.sms("+27831234567", text)
    received = await h.next(SmsReceived)
    assert (received.sender, received.text) == ("+27831234567", text)
    assert received.time is not None
    assert received.to_json()["time"] == received.time.isoformat()
    await h.until(lambda: h.state()["sms_stored"] == [])  # every part deleted from the SIM
    assert len(indexes) >= 1


async def test_messages_stored_while_away_are_read_at_connect(tmp_path: Path) -> None:
    h = await Harness.start(tmp_path / "sim")
    try:
        await h.up()
        await h.until(lambda: h.modem.sms_ready)
        await h.sim.unplug(None)
        await h.until(lambda: not h.line.status.connected)
        await h.sim.plug()
        await h.until(lambda: h.state()["sim"] == "ready")
        await h.sim.sms("+27830000001", "left while you were away")  # +CMTI to nobody
        received = await h.next(SmsReceived, within=8.0)
        assert received.text == "left while you were away"
    finally:
        await h.close()


async def test_send_without_network_raises_the_modems_error(h: Harness) -> None:
    await h.sim.set_network(0)
    with pytest.raises(Exception, match="CMS ERROR"):
        await h.modem.send_sms(NUMBER, LATIN)
    with pytest.raises(ValueError, match="phone number"):
        await h.modem.send_sms("call me", LATIN)
