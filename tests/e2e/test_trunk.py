"""The registration trunk, against a real registrar: a second appliance plays the ITSP.

Appliance A registers its trunk as staff phone 301 of appliance B; a call B places to 301
arrives at A over SIP/RTP through the trunk and A's receptionist answers it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

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
    row = sqlite3.connect(office.home.db_file).execute(
        "SELECT source, caller_number, status FROM calls").fetchone()
    assert row[0] == "sip" and row[1] == "+15550142", row
    wait_until(lambda: leftovers(office.home, office.cfg.asterisk.ari_port) == ([], []), 10,
               "no leftovers at the office")


def test_a_handoff_rings_the_staff_mobile_over_the_registered_trunk(appliance_factory):
    """staff.mobile with the trunk registered: no staff phone answers, so the mobile is rung
    through the provider (here the ITSP's receptionist, extension 100, answers it)."""
    from appliance.home import staff_secret_name

    itsp = appliance_factory(**{"staff.extensions": "301"})
    office = appliance_factory(start=False, **{
        "trunk.host": "127.0.0.1", "trunk.port": str(itsp.cfg.asterisk.sip_port),
        "trunk.username": "301",
        "trunk.password": itsp.home.read_secret(staff_secret_name("301")) or "",
        "trunk.enabled": "true", "staff.mobile": "100", "staff.ring_seconds": "2"})
    office.cli("up", check=True)
    wait_until(lambda: "Registered" in office.cli("status").stdout, 20, "trunk registration")
    time.sleep(1.0)  # the supervisor's first look at the registration
    report = office.call("--say", "I want to talk to a person.", "--pause", "6",
                         "--say", "Hello?", timeout=180)
    call_id = report["call_id"]
    assert call_id, report
    status = sqlite3.connect(office.home.db_file).execute(
        "SELECT status FROM calls WHERE id = ?", (call_id,)).fetchone()
    assert status == ("transferred",), (status, office.logs())
    # The provider side got the call from the office's trunk (its receptionist answered).
    rows = sqlite3.connect(itsp.home.db_file).execute("SELECT source FROM calls").fetchall()
    assert rows == [("sip",)], (rows, itsp.logs())
    wait_until(lambda: leftovers(office.home, office.cfg.asterisk.ari_port) == ([], []), 10,
               "no leftovers at the office")
