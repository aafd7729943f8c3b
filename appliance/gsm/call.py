"""One GSM call carried into Asterisk, from the modem's answer to the last released resource.

The modem's voice port (8 kHz s16le) is relayed to an ARI ExternalMedia channel (ulaw RTP)
whose id starts with ``gsm-``. That channel enters our Stasis app like any caller, so the
GSM caller gets the very same receptionist as a SIP caller (greeting, answers, barge-in,
transfer to a staff phone, messages). Whichever side ends first - the far end hangs up,
the conversation hangs up, the USB port goes away - the other side is ended too, and the
audio port, RTP socket and channel are released on every exit path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Protocol

from appliance.ari.client import AriClient, AriError, rtp_peer
from appliance.calls.session import GSM_PREFIX, TAG_VARIABLE
from appliance.media import ULAW, RtpEndpoint
from modem.audio import AudioPort

log = logging.getLogger(__name__)


class ModemCalls(Protocol):
    """What a GSM call needs from the modem (``modem.sim7600.Sim7600``)."""

    async def audio_on(self, attempts: int = 10, interval: float = 0.3) -> None: ...

    async def audio_off(self) -> None: ...

    async def hangup(self) -> None: ...


class GsmCall:
    """An incoming caller (channel ``gsm-...``), or with ``channel_id`` given, a staff
    mobile we dialled (a ``staff-...`` leg the caller's call bridges to)."""

    def __init__(self, ari: AriClient, app: str, modem: ModemCalls, audio_path: str,
                 number: str, name: str = "", channel_id: str | None = None) -> None:
        self.ari = ari
        self.app = app
        self.modem = modem
        self.audio_path = audio_path
        self.number = number
        self.name = name
        self.outgoing = channel_id is not None
        self.channel_id = channel_id or f"{GSM_PREFIX}{uuid.uuid4().hex}"
        self.ended = asyncio.Event()  # set by whoever learns first that the call is over
        self.end_reason = ""
        self._far_end_gone = False
        self._line_gone = False
        # The voice port failed (refused, would not open, or stayed mute): known SIM7600
        # firmware trouble that only AT+CRESET cures - done between calls by GsmCalls.
        self.audio_degraded = False
        self.bridged = False  # the caller reached the receptionist
        self._channel_gone = False

    # -- told by the line / the call manager ------------------------------------------

    def far_end_hung_up(self, reason: str = "the caller hung up") -> None:
        self._far_end_gone = True
        self.end(reason)

    def line_lost(self, reason: str) -> None:
        self._line_gone = True  # nothing left to tell the modem
        self.end(f"the modem went away: {reason}")

    def channel_ended(self) -> None:
        self._channel_gone = True
        self.end("the conversation ended")

    def end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.end_reason = reason
            self.ended.set()

    # -- the call -------------------------------------------------------------------

    async def run(self) -> None:
        port: AudioPort | None = None
        endpoint: RtpEndpoint | None = None
        channel_made = False
        bridged_at: float | None = None
        relays: list[asyncio.Task[None]] = []
        try:
            try:
                await self.modem.audio_on()
                port = await AudioPort.open(self.audio_path)
            except Exception:
                self.audio_degraded = not self._line_gone
                raise
            endpoint = await RtpEndpoint.open(ULAW)
            media = await self.ari.external_media(
                self.app, "127.0.0.1", endpoint.local_port, ULAW.name,
                channel_id=self.channel_id,
                variables=None if self.outgoing else {
                    "CALLERID(num)": self.number, "CALLERID(name)": self.name,
                    TAG_VARIABLE: "gsm"})
            channel_made = True
            if (peer := rtp_peer(media)) is not None:
                endpoint.set_remote(*peer)
            relays = [asyncio.create_task(self._to_asterisk(port, endpoint), name="gsm-in"),
                      asyncio.create_task(self._to_modem(endpoint, port), name="gsm-out")]
            bridged_at = time.monotonic()
            self.bridged = True
            log.info("GSM call from %r bridged as %s", self.number, self.channel_id)
            await self.ended.wait()
        except Exception as e:  # ARI, the voice port, the modem refusing audio: clean up
            self.end(f"cannot bridge the call: {type(e).__name__}: {e}")
            log.error("GSM call from %r: %s: %s", self.number, type(e).__name__, e)
        finally:
            if port is not None and port.stats.frames_read == 0 and not self._line_gone and \
                    bridged_at is not None and time.monotonic() - bridged_at > 2.0:
                self.audio_degraded = True  # the caller's side never sent a frame
            await self._release(port, endpoint, channel_made, relays)
        log.info("GSM call from %r ended: %s", self.number, self.end_reason)

    async def _to_asterisk(self, port: AudioPort, endpoint: RtpEndpoint) -> None:
        async for frame in port.frames():
            endpoint.enqueue(frame)
        self.line_lost(port.gone or "the audio port closed")

    async def _to_modem(self, endpoint: RtpEndpoint, port: AudioPort) -> None:
        async for frame in endpoint.frames():
            port.write(frame)

    async def _release(self, port: AudioPort | None, endpoint: RtpEndpoint | None,
                       channel_made: bool, relays: list[asyncio.Task[None]]) -> None:
        for task in relays:
            task.cancel()
        for task in relays:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if channel_made and not self._channel_gone:
            with contextlib.suppress(AriError):
                await self.ari.hangup(self.channel_id)
        steps = [] if self._line_gone else [("stop audio", self.modem.audio_off)]
        if not (self._far_end_gone or self._line_gone):
            steps.insert(0, ("hang up", self.modem.hangup))
        for what, step in steps:
            try:
                async with asyncio.timeout(5):
                    await step()
            except Exception as e:  # the modem may be gone or busy: the call is over anyway
                log.warning("GSM call from %r: cannot %s on the modem: %s", self.number, what, e)
        if port is not None:
            await port.close()
        if endpoint is not None:
            await endpoint.close()
