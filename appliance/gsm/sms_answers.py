"""Answering a text message's question from the knowledge base, in one SMS.

The same grounded answerer as on the phone (it declines rather than invents); the spoken
"shall I put you through" offer makes no sense in a text, so a refusal is worded for SMS.
The reply is cut at a sentence to fit one SMS (160 GSM-7 characters, 70 in UCS2).
"""

from __future__ import annotations

import asyncio
import logging
import re

from appliance.brain.answerer import AnswerTrace
from appliance.brain.prompt import DONT_KNOW
from appliance.conversation.reply import AnswerSource
from appliance.gsm.notify import SmsSender
from modem.sms.gsm7 import is_gsm7

log = logging.getLogger(__name__)

SMS_DONT_KNOW = "Sorry, I don't have that information. Please call us and we will help."


def one_sms(text: str) -> str:
    """``text`` cut to fit a single SMS, at a sentence or word boundary where possible."""
    limit = 160 if is_gsm7(text) else 70
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for s in sentences:
        if len(out) + len(s) + (1 if out else 0) > limit:
            break
        out = f"{out} {s}" if out else s
    if out:
        return out
    return text[:limit - 3].rsplit(" ", 1)[0] + "..."  # "…" is not GSM-7: it would cost UCS2


def answer_text(answerer: AnswerSource, question: str) -> str:
    """Blocking (LLM): run in a thread."""
    trace = AnswerTrace()
    reply = " ".join(answerer.answer(question, [], trace)).strip()
    if not reply or reply == DONT_KNOW or trace.route in ("not_found", "guarded"):
        return SMS_DONT_KNOW
    return one_sms(reply)


async def answer_sms(answerer: AnswerSource, modem: SmsSender, sender: str,
                     question: str) -> str:
    reply = await asyncio.to_thread(answer_text, answerer, question)
    await modem.send_sms(sender, reply)
    log.info("answered a text from %s (%d characters)", sender, len(reply))
    return reply
