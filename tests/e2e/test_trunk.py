"""The registration trunk, against a real registrar: a second appliance plays the ITSP.

Appliance A registers its trunk as staff phone 301 of appliance B; a call B places to 301
arrives at A over SIP/RTP through the trunk and A's receptionist answers it.
"""

from __future__ import annotations

import asyncio

import pytest

from appliance.ari.local import local_settings
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.testcall.caller import TestCall
from appliance.testcall.hearing import transcribe_heard
from tests.e2e.ari_util import heard_greeting, leftovers
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def test_trunk_registers_and_delivers_calls_to_the_receptionist(office_and_itsp):
    office, itsp = office_and_itsp
    assert "trunk: Registered" in office.cli("status").stdout

    cfg = itsp.cfg
    settings = local_settings(cfg, itsp.home)

    async def scenario():
        async with TestCall(settings, "301", "PSTN Caller <+15550142>",
                            context="from-staff") as call:
            await call.dial(answer_timeout=15)
            span = await call.wait_for_speech(call.answered_at, 5, 1.2, 15)
            assert span is not None, "no greeting through the trunk"
            return call.received.audio(call.answered_at, span[1])

    audio = asyncio.run(scenario())
    heard = transcribe_heard(PocketSphinxStt(), audio, 8000)
    assert heard_greeting(heard), (heard, office.logs())
    import sqlite3

    row = sqlite3.connect(office.home.db_file).execute(
        "SELECT source, caller_number, status FROM calls").fetchone()
    assert row[0] == "sip" and row[1] == "+15550142", row
    wait_until(lambda: leftovers(office.home, office.cfg.asterisk.ari_port) == ([], []), 10,
               "no leftovers at the office")
