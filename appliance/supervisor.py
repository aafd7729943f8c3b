"""The supervisor: connects to ARI and runs calls until told to stop.

It owns the shared pieces (ARI client, call store, speech engines) and the call manager;
Asterisk itself is started by ``appliance.lifecycle``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from appliance.ari.client import AriClient, AriSettings
from appliance.ari.local import local_settings
from appliance.ari.stream import EventStream
from appliance.calls.manager import CallManager
from appliance.calls.session import CallDeps
from appliance.config import Config
from appliance.conversation import loader
from appliance.conversation.engine import Conversation
from appliance.conversation.ports import Engines, Settings
from appliance.conversation.turns import TurnConfig
from appliance.gsm.handoff import MobileHandoff
from appliance.gsm.service import GsmService
from appliance.home import ARI_PASSWORD_FILE, Home
from appliance.media import codec_by_name, send_codec_for
from appliance.records.store import CallStore
from appliance.speech.phrases import PhraseCache
from appliance.speech.piper_tts import PiperTts
from appliance.speech.webrtc_vad import WebRtcVad

log = logging.getLogger(__name__)


class SupervisorError(Exception):
    """The supervisor cannot start; the message says why."""


@dataclass
class Supervisor:
    cfg: Config
    home: Home
    config_digest: str = ""  # of the config it runs with: `appliance up` restarts on change
    problems: list[str] = field(default_factory=list)  # engines that failed to load

    def ari_settings(self) -> AriSettings:
        if self.home.read_secret(ARI_PASSWORD_FILE) is None:
            raise SupervisorError(
                f"no ARI password in {self.home.secrets_dir / ARI_PASSWORD_FILE}: start the "
                "appliance with `appliance up` so it is generated")
        return local_settings(self.cfg, self.home)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        # Every call runs STT, LLM, TTS and record writes in threads: the default pool
        # (cores + 4) would let a few busy calls starve the others.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=64,
                                                     thread_name_prefix="work"))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        settings = self.ari_settings()
        codec = codec_by_name(self.cfg.media.codec)
        send_codec = send_codec_for(codec)
        t0 = time.monotonic()
        tts = await asyncio.to_thread(PiperTts.load, self.cfg.speech.voice_path)
        phrases = PhraseCache(tts, send_codec.sample_rate, self.home.cache_dir / "phrases")
        await asyncio.to_thread(loader.warm_phrases, phrases, self.cfg.business.greeting)
        log.info("speech ready in %.1f s", time.monotonic() - t0)
        loaded = await asyncio.to_thread(loader.load, self.cfg, self.home)
        self.problems = loaded.problems
        store = await asyncio.to_thread(CallStore, self.home.db_file)
        engines = Engines(stt=loaded.stt, tts=tts, phrases=phrases,
                          answerer=loaded.answerer,
                          vad_factory=WebRtcVad, store=store,
                          recordings_dir=self.home.recordings_dir)
        gsm = GsmService(self.cfg.gsm, self.home) if self.cfg.gsm.enabled else None
        if gsm is not None:
            gsm.hook_messages(engines)
        rc = self.cfg.receptionist
        settings_ = Settings(turns=TurnConfig(end_hangover_ms=rc.end_silence_ms),
                             reprompt_s=rc.reprompt_seconds, max_reprompts=rc.max_reprompts,
                             message_max_s=rc.message_max_seconds)

        def conversation(port: Any) -> Conversation:
            return Conversation(engines, port, settings_, self.cfg.business.greeting)

        ari = AriClient(settings)
        handoff = MobileHandoff(self.cfg, self.home, ari, settings.app, None) \
            if self.cfg.staff.mobile else None
        side_tasks: list[asyncio.Task[None]] = []
        try:
            info = await ari.info()  # fails fast and clearly on wrong credentials
            log.info("connected to Asterisk %s", info.get("system", {}).get("version", "?"))
            deps = CallDeps(
                ari=ari, app=settings.app, codec=codec, send_codec=send_codec, store=store,
                phrases=phrases,
                greeting=self.cfg.business.greeting,
                listener_factory=conversation,
                staff_ring_seconds=self.cfg.staff.ring_seconds,
                has_staff=bool(self.cfg.staff.extensions),
                mobile_leg=handoff.leg if handoff is not None else None,
            )
            manager = CallManager(deps)

            async def on_connection(up: bool) -> None:
                if up:
                    await manager.reconcile()
                    self._write_ready()

            if gsm is not None:
                await gsm.start(ari, settings.app, manager, engines)
            if handoff is not None:
                handoff.gsm_calls = gsm.calls if gsm is not None else None
                if self.cfg.trunk.enabled:
                    side_tasks.append(asyncio.create_task(handoff.watch_trunk(),
                                                          name="trunk-watch"))
            stream = EventStream(ari, settings.app, manager.dispatch, on_connection)
            stream_task = asyncio.create_task(stream.run(), name="ari-events")
            kb_task = asyncio.create_task(loader.watch_kb(loaded, self.cfg, self.home),
                                          name="kb-watch")
            stop_task = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait({stream_task, stop_task},
                                         return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            kb_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await kb_task
            log.info("supervisor stopping with %d active call(s)", len(manager.active))
            await manager.shutdown(handoff=True)
            if gsm is not None:
                await gsm.close()
            if stream_task in done:
                stream_task.result()  # re-raises a fatal error (wrong credentials)
            stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stream_task
        finally:
            for task in side_tasks:
                task.cancel()
            if gsm is not None:
                await gsm.close()  # idempotent; here for the error paths
            await ari.close()
            store.close()
            if loaded.kb is not None:
                loaded.kb.close()
            self.home.run_dir.joinpath("supervisor.ready").unlink(missing_ok=True)

    def _write_ready(self) -> None:
        path = self.home.run_dir / "supervisor.ready"
        path.write_text(json.dumps({"pid": os.getpid(), "at": time.time(),
                                    "config": self.config_digest,
                                    "problems": self.problems}) + "\n")

