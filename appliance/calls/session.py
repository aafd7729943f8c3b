"""One call, from StasisStart to the last released resource, in its own task.

Media: the caller's channel and an ExternalMedia channel share a mixing bridge; the
ExternalMedia channel exchanges RTP with this process's ``RtpEndpoint``. The bot's speech
is streamed into that endpoint, never played from files. Everything the call creates is
released in ``_cleanup`` on every exit path (hangup, error, cancellation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from appliance.ari.client import AriClient, AriError, rtp_peer
from appliance.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelDtmfReceived,
    StasisEnd,
    StasisStart,
)
from appliance.calls.listener import CallerAudioListener, CallInfo, ListenerFactory
from appliance.calls.transfer import StaffLeg, StaffLegLike, ringback
from appliance.media import Codec, RtpEndpoint
from appliance.records.store import CallStore
from appliance.speech.phrases import PhraseCache

log = logging.getLogger(__name__)

MEDIA_PREFIX = "em-"
BRIDGE_PREFIX = "call-"
TAG_VARIABLE = "APPLIANCE_TAG"


@dataclass
class CallDeps:
    """What every call shares (owned by the supervisor)."""

    ari: AriClient
    app: str
    codec: Codec  # what Asterisk sends us (the ExternalMedia format)
    send_codec: Codec  # what we send back (see media.codecs.send_codec_for)
    store: CallStore
    phrases: PhraseCache
    greeting: str
    listener_factory: ListenerFactory
    fallback_label: str = "fallback"
    staff_ring_seconds: int = 20
    has_staff: bool = True
    # A staff mobile to try when the staff phones do not answer (the GSM line); None: none,
    # or it returns None when it cannot be reached right now.
    mobile_leg: Callable[[str, str], StaffLegLike | None] | None = None


# A GSM call enters Asterisk as an ExternalMedia channel fed by the modem bridge
# (appliance.gsm); its id says where it came from.
GSM_PREFIX = "gsm-"


def call_source(channel_name: str, channel_id: str = "") -> str:
    if channel_id.startswith(GSM_PREFIX):
        return "gsm"
    if channel_name.startswith("PJSIP/"):
        return "sip"
    if channel_name.startswith("Local/"):
        return "local"
    return channel_name.split("/", 1)[0].lower()


class CallSession:
    def __init__(self, deps: CallDeps, start: StasisStart) -> None:
        self.deps = deps
        self.channel = start.channel
        self.call_id = start.channel.id
        self.media_id = f"{MEDIA_PREFIX}{uuid.uuid4().hex}"
        self.events: asyncio.Queue[AriEvent] = asyncio.Queue()
        self.endpoint: RtpEndpoint | None = None
        self.bridge_id: str | None = None
        self._media_created = False
        self._listener: CallerAudioListener | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._hung_up = False
        self._status = "failed"
        self._error = ""
        self.handoff_on_exit = False  # set on supervisor shutdown: send caller to staff
        self.attach: Callable[[str], None] = lambda channel_id: None  # set by the manager
        self._staff: StaffLegLike | None = None
        self._transferred = False

    # -- lifecycle -----------------------------------------------------------------

    async def run(self) -> None:
        store = self.deps.store
        ch = self.channel
        await asyncio.to_thread(
            store.call_started, self.call_id, ch.name, call_source(ch.name, ch.id),
            ch.caller_number,
            ch.caller_name, ch.variables.get(TAG_VARIABLE, ""), time.time())
        caller_audio = ""
        try:
            await self._setup()
            self._status = "completed"
            await self._wait_for_hangup()
            if self._transferred:
                self._status = "transferred"
        except asyncio.CancelledError:
            self._status = "interrupted"
            raise
        except AriError as e:
            self._error = str(e)
            log.warning("call %s: %s", self.call_id, e)
        except Exception as e:
            self._error = f"{type(e).__name__}: {e}"
            log.exception("call %s failed", self.call_id)
        finally:
            caller_audio = await self._cleanup()
            await asyncio.to_thread(store.call_ended, self.call_id, time.time(), self._status,
                                    self._error, caller_audio)
            log.info("call %s ended: %s", self.call_id, self._status)

    async def _setup(self) -> None:
        ari, codec = self.deps.ari, self.deps.codec
        # Start synthesis lookup before answering; the cache makes it instant when warm.
        greeting = asyncio.create_task(asyncio.to_thread(self.deps.phrases.get,
                                                         self.deps.greeting))
        self._tasks.append(greeting)  # type: ignore[arg-type]
        await ari.answer(self.call_id)
        await asyncio.to_thread(self.deps.store.call_answered, self.call_id, time.time())
        self.endpoint = await RtpEndpoint.open(codec, send_codec=self.deps.send_codec)
        self._media_created = True
        media = await ari.external_media(self.deps.app, "127.0.0.1", self.endpoint.local_port,
                                         codec.name, channel_id=self.media_id)
        if (peer := rtp_peer(media)) is not None:
            self.endpoint.set_remote(*peer)
        # The REST answer can come before the new channel has entered Stasis; bridging it
        # before its StasisStart fails with 422.
        await self._wait_for_media_start()
        bridge = await ari.create_bridge(f"{BRIDGE_PREFIX}{self.call_id}")
        self.bridge_id = str(bridge["id"])
        await ari.add_to_bridge(self.bridge_id, self.call_id, self.media_id)
        self.say(await greeting)
        self._listener = self.deps.listener_factory(self)
        await self._listener.start(CallInfo(self.call_id, self.channel.caller_number,
                                            codec.sample_rate))
        self._tasks.append(asyncio.create_task(self._pump_caller_audio()))

    def say(self, audio: np.ndarray) -> None:
        """Queue speech (int16 at the send codec's rate) to the caller."""
        if self.endpoint is not None:
            self.endpoint.enqueue(audio.astype("<i2").tobytes())

    # -- CallPort (what the conversation may do) -------------------------------------

    def play(self, audio: np.ndarray) -> None:
        self.say(audio)

    def stop_playback(self) -> None:
        if self.endpoint is not None:
            self.endpoint.clear()

    @property
    def playing(self) -> bool:
        return self.endpoint is not None and self.endpoint.playing

    async def drain(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.drain()

    async def hangup(self) -> None:
        await self.deps.ari.hangup(self.call_id)

    async def transfer(self) -> bool:
        """Ring the staff (the caller hears ringback): the staff phones, then, if they do
        not answer, the staff mobile (``deps.mobile_leg``); bridge whoever answers."""
        if self.bridge_id is None:
            return False
        number, name = self.channel.caller_number, self.channel.caller_name
        makers: list[Callable[[], StaffLegLike | None]] = []
        if self.deps.has_staff:
            makers.append(lambda: StaffLeg(self.deps.ari, self.deps.app, number, name,
                                           self.deps.staff_ring_seconds))
        mobile = self.deps.mobile_leg
        if mobile is not None:
            makers.append(lambda: mobile(number, name))
        if not makers:
            return False
        tone = ringback(self.deps.send_codec.sample_rate)
        ringing = asyncio.create_task(self._loop_audio(tone), name="ringback")
        leg: StaffLegLike | None = None
        try:
            for make in makers:
                leg = make()
                if leg is None:
                    continue
                self._staff = leg
                self.attach(leg.channel_id)
                if await leg.ring():
                    break
                self._staff = leg = None
        finally:
            ringing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ringing
            self.stop_playback()
        if leg is None:
            return False
        # The bot leaves the conversation: the staff phone takes its place in the bridge.
        await self.deps.ari.post(f"/bridges/{self.bridge_id}/removeChannel",
                                 channel=self.media_id)
        await self.deps.ari.add_to_bridge(self.bridge_id, leg.channel_id)
        self._transferred = True
        log.info("call %s: transferred to the staff (%s)", self.call_id, leg.channel_id)
        return True

    async def _loop_audio(self, audio: np.ndarray) -> None:
        while True:
            self.say(audio)
            await self.drain()

    async def _pump_caller_audio(self) -> None:
        assert self.endpoint is not None and self._listener is not None
        async for frame in self.endpoint.frames():
            self._listener.feed(frame)

    async def _wait_for_media_start(self, limit_s: float = 5.0) -> None:
        async with asyncio.timeout(limit_s):
            while True:
                event = await self.events.get()
                if isinstance(event, StasisStart) and event.channel.id == self.media_id:
                    return
                if isinstance(event, StasisEnd | ChannelDestroyed):
                    if event.channel_id == self.call_id:
                        self._hung_up = isinstance(event, ChannelDestroyed)
                        raise AriError("the caller hung up during call setup")
                    if event.channel_id == self.media_id:
                        self._media_created = False
                        raise AriError("the ExternalMedia channel went away during setup")

    async def _wait_for_hangup(self) -> None:
        while True:
            event = await self.events.get()
            staff = self._staff
            if staff is not None and event.channel_id == staff.channel_id:
                staff.on_event(event)
                if self._transferred and staff.gone.is_set():
                    return  # the staff member hung up: the call is over
                continue
            if isinstance(event, ChannelDtmfReceived) and event.channel_id == self.call_id:
                dtmf = getattr(self._listener, "dtmf", None)
                if dtmf is not None:
                    dtmf(event.digit)
                continue
            if isinstance(event, StasisEnd | ChannelDestroyed):
                if event.channel_id == self.call_id:
                    self._hung_up = isinstance(event, ChannelDestroyed) or self._hung_up
                    return
                if event.channel_id == self.media_id and not self._transferred:
                    self._media_created = False
                    raise AriError("the ExternalMedia channel went away")

    async def _wait_left_stasis(self, limit_s: float = 2.0) -> None:
        """``continue`` returns before the channel has left Stasis; wait for that."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                while True:
                    event = await self.events.get()
                    if isinstance(event, StasisEnd | ChannelDestroyed) and \
                            event.channel_id == self.call_id:
                        return

    def channel_gone(self) -> None:
        """The caller's channel no longer exists (found after an ARI reconnect)."""
        self._hung_up = True
        self._status = "lost"
        self.events.put_nowait(AriEvent("ChannelDestroyed", self.deps.app, "", {
            "channel": {"id": self.call_id}}))

    async def _cleanup(self) -> str:
        """Release everything this call created; safe to run after any failure."""
        ari = self.deps.ari
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        caller_audio = ""
        if self._listener is not None:
            try:
                caller_audio = await self._listener.stop()
            except Exception:
                log.exception("call %s: listener failed to stop", self.call_id)
        if self.endpoint is not None:
            await self.endpoint.close()
            log.info("call %s media: %s", self.call_id, self.endpoint.stats)
        # The caller goes first, and leaves Stasis before its bridge is torn down: a channel
        # still in a bridge that goes away carries a soft hangup into the dialplan, and the
        # fallback Dial() then hangs up instead of ringing the staff (seen with Asterisk 22).
        staff = self._staff
        for what, op in (
            ("staff leg", lambda: staff.hangup() if staff and not staff.gone.is_set() else None),
            ("caller", self._release_caller),
            ("media channel", lambda: ari.hangup(self.media_id) if self._media_created else None),
            ("bridge", lambda: ari.destroy_bridge(self.bridge_id) if self.bridge_id else None),
        ):
            try:
                coro = op()
                if coro is not None:
                    await coro
            except AriError as e:
                log.warning("call %s: releasing %s: %s", self.call_id, what, e)
        return caller_audio

    async def _release_caller(self) -> None:
        if self._hung_up:
            return
        if self.handoff_on_exit and not self.call_id.startswith(GSM_PREFIX):
            # The supervisor is going away: let the dialplan ring the staff instead. (A GSM
            # caller's channel has no dialplan: its bridge ends with this process.)
            await self.deps.ari.post(f"/channels/{self.call_id}/continue",
                                     missing_ok=True, label=self.deps.fallback_label)
            self._status = "handed_off"
            await self._wait_left_stasis()
        else:
            await self.deps.ari.hangup(self.call_id)
