"""Staff texts and SMS answers: wording, one-SMS limits, retry while the modem is away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from appliance.gsm.notify import MAX_TEXT, SmsNotifier, message_text, missed_text
from appliance.gsm.sms_answers import one_sms
from modem.sms.gsm7 import is_gsm7


class FlakyModem:
    """Fails the first ``failures`` sends the way a modem without network does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    async def send_sms(self, number: str, text: str) -> list[int]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("+CMS ERROR: 331")  # no network service
        self.sent.append((number, text))
        return [len(self.sent)]


async def _until(done: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not done():  # noqa: ASYNC110 - polling the notifier's counters is the point
            await asyncio.sleep(0.01)


class Line:
    def __init__(self, modem: FlakyModem | None) -> None:
        self.modem = modem


def test_one_sms_keeps_whole_sentences_within_160_gsm7_characters() -> None:
    text = ("We are open Monday to Friday from 8 to 6. On Saturday we open from 9 to 1. "
            "We are closed on Sundays and on public holidays, and we answer the phone "
            "all day long.")
    assert len(text) > 160
    out = one_sms(text)
    assert len(out) <= 160 and out.endswith("9 to 1.")
    assert one_sms("Short answer.") == "Short answer."


def test_one_sms_uses_the_70_character_limit_for_non_latin_text() -> None:
    text = ("Мы работаем с понедельника по пятницу. В субботу с девяти до часу. "
            "Воскресенье выходной.")
    out = one_sms(text)
    assert not is_gsm7(out) and len(out) <= 70 and out.endswith(".")


def test_one_sms_cuts_a_long_sentence_at_a_word() -> None:
    out = one_sms("word " * 60)
    assert len(out) <= 160 and out.endswith("...") and "wor..." not in out


def test_message_and_missed_call_texts_say_who() -> None:
    assert message_text("+27821231234", "Please call me back about my crown") == \
        "New message from +27821231234: Please call me back about my crown"
    assert "unknown caller" in message_text("", "")
    assert "recording" in message_text("+1", "")
    long = message_text("+1", "x " * 400)
    assert len(long) < MAX_TEXT + 40 and long.endswith("...") and is_gsm7(long)
    assert missed_text("+27821231234", "11:53AM") == \
        "Missed call from +27821231234 at 11:53AM on the GSM line."


async def test_texts_wait_for_the_modem_and_retry_until_sent() -> None:
    line = Line(None)
    notifier = SmsNotifier(line, ["+27830000001", "+27830000002"], retry_s=(0.01, 0.05))
    task = asyncio.create_task(notifier.run())
    try:
        notifier.message_taken("+27821231234", "Call me back")
        await asyncio.sleep(0.1)  # no modem yet: nothing sent, nothing lost
        assert notifier.sent == 0 and notifier.lost == 0
        modem = line.modem = FlakyModem(failures=2)
        await _until(lambda: notifier.sent == 2)
    finally:
        task.cancel()
    assert [n for n, _ in modem.sent] == ["+27830000001", "+27830000002"]
    assert all("Call me back" in t for _, t in modem.sent)


async def test_a_text_that_cannot_go_out_in_time_is_given_up_and_counted() -> None:
    notifier = SmsNotifier(Line(FlakyModem(failures=1000)), ["+1"], keep_s=0.05,
                           retry_s=(0.01, 0.01))
    task = asyncio.create_task(notifier.run())
    try:
        notifier.missed_call("+2")
        await _until(lambda: notifier.lost == 1)
    finally:
        task.cancel()
    assert notifier.sent == 0
