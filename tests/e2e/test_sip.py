"""Real SIP/RTP: a baresip phone (ulaw) calls the receptionist; guests are rejected; with the
supervisor down the call rings the staff phone."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from appliance.ari.local import local_settings
from appliance.home import staff_secret_name
from appliance.pbx import runtime
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.testcall.caller import TestCall
from appliance.testcall.hearing import transcribe_heard
from tests.e2e.ari_util import app_registered, ari_get, heard_greeting, leftovers
from tests.e2e.conftest import wait_until
from tests.support.baresip import BaresipUA, have_root

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not have_root(), reason="no baresip in the private root")]


def _phone(appliance, ext: str = "201", auto_answer: bool = False) -> BaresipUA:
    workdir = Path(tempfile.mkdtemp(prefix="ua-", dir="/tmp"))
    password = appliance.home.read_secret(staff_secret_name(ext))
    assert password, "the staff secret was not generated"
    return BaresipUA(workdir, ext, password, f"127.0.0.1:{appliance.cfg.asterisk.sip_port}",
                     auto_answer=auto_answer)


def test_sip_phone_hears_the_greeting(appliance):
    async def scenario() -> tuple:
        async with _phone(appliance) as phone:
            await phone.dial(appliance.cfg.receptionist.extension)
            await phone.wait_call_established(10)
            await asyncio.sleep(7)  # the greeting is ~4 s
            await phone.hangup()
            await phone.wait_call_closed(10)
            return phone.recorded()

    audio, rate = asyncio.run(scenario())
    heard = transcribe_heard(PocketSphinxStt(), audio, rate)
    assert heard_greeting(heard), (heard, appliance.logs())

    port = appliance.cfg.asterisk.ari_port
    wait_until(lambda: leftovers(appliance.home, port) == ([], []), 10, "no leftovers")
    import sqlite3

    row = sqlite3.connect(appliance.home.db_file).execute(
        "SELECT source, caller_number, status FROM calls ORDER BY started_at DESC").fetchone()
    assert row == ("sip", "201", "completed")


def test_unauthenticated_sip_invite_is_rejected(appliance):
    port = appliance.cfg.asterisk.sip_port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        me = s.getsockname()[1]
        branch, tag, cid = (uuid.uuid4().hex[:10] for _ in range(3))
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        for user in ("anonymous", "guest", "201"):
            msg = (f"INVITE sip:100@127.0.0.1:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{branch}{user}\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag={tag}\r\n"
                   f"To: <sip:100@127.0.0.1>\r\nCall-ID: {cid}{user}\r\nCSeq: 1 INVITE\r\n"
                   f"Contact: <sip:{user}@127.0.0.1:{me}>\r\nContent-Type: application/sdp\r\n"
                   f"Content-Length: {len(sdp)}\r\n\r\n{sdp}")
            s.sendto(msg.encode(), ("127.0.0.1", port))
            codes = []
            while True:
                line = s.recv(65535).decode(errors="replace").split("\r\n", 1)[0]
                code = int(line.split()[1])
                codes.append(code)
                if code >= 200:
                    break
            assert codes[-1] in (401, 403, 407), (user, codes)
    assert ari_get(appliance.home, appliance.cfg.asterisk.ari_port, "/channels") == []


def test_without_supervisor_the_call_rings_the_staff_phone(appliance):
    os.kill(runtime.read_pid(appliance.home.supervisor_pid), signal.SIGKILL)
    wait_until(lambda: runtime.read_pid(appliance.home.supervisor_pid) is None, 10, "crash")
    wait_until(lambda: not app_registered(appliance), 10, "Asterisk to drop the dead app")
    cfg = appliance.cfg
    settings = local_settings(cfg, appliance.home)

    async def scenario() -> dict:
        async with _phone(appliance, auto_answer=True) as phone:
            async with TestCall(settings, cfg.receptionist.extension, "Caller <+15550123>") as c:
                await c.dial(answer_timeout=cfg.staff.ring_seconds + 5)
                event = await phone.wait_incoming(10)
                await c.close()
            return event

    event = asyncio.run(scenario())
    assert event, "the staff phone was not rung"
    wait_until(lambda: leftovers(appliance.home, cfg.asterisk.ari_port) == ([], []), 10,
               "no leftovers")
