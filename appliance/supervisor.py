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
from dataclasses import dataclass

from appliance.ari.client import AriClient, AriSettings
from appliance.ari.local import local_settings
from appliance.ari.stream import EventStream
from appliance.calls.listener import RecordingListener
from appliance.calls.manager import CallManager
from appliance.calls.session import CallDeps
from appliance.config import Config
from appliance.home import ARI_PASSWORD_FILE, Home
from appliance.media import codec_by_name, send_codec_for
from appliance.records.store import CallStore
from appliance.speech.phrases import PhraseCache
from appliance.speech.piper_tts import PiperTts

log = logging.getLogger(__name__)


class SupervisorError(Exception):
    """The supervisor cannot start; the message says why."""


@dataclass
class Supervisor:
    cfg: Config
    home: Home
    config_digest: str = ""  # of the config it runs with: `appliance up` restarts on change

    def ari_settings(self) -> AriSettings:
        if self.home.read_secret(ARI_PASSWORD_FILE) is None:
            raise SupervisorError(
                f"no ARI password in {self.home.secrets_dir / ARI_PASSWORD_FILE}: start the "
                "appliance with `appliance up` so it is generated")
        return local_settings(self.cfg, self.home)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        settings = self.ari_settings()
        codec = codec_by_name(self.cfg.media.codec)
        send_codec = send_codec_for(codec)
        t0 = time.monotonic()
        tts = await asyncio.to_thread(PiperTts.load, self.cfg.speech.voice_path)
        phrases = PhraseCache(tts, send_codec.sample_rate, self.home.cache_dir / "phrases")
        await asyncio.to_thread(phrases.warm, [self.cfg.business.greeting])
        log.info("speech ready in %.1f s", time.monotonic() - t0)
        store = await asyncio.to_thread(CallStore, self.home.db_file)
        ari = AriClient(settings)
        try:
            info = await ari.info()  # fails fast and clearly on wrong credentials
            log.info("connected to Asterisk %s", info.get("system", {}).get("version", "?"))
            deps = CallDeps(
                ari=ari, app=settings.app, codec=codec, send_codec=send_codec, store=store,
                phrases=phrases,
                greeting=self.cfg.business.greeting,
                listener_factory=lambda: RecordingListener(self.home.recordings_dir),
            )
            manager = CallManager(deps)

            async def on_connection(up: bool) -> None:
                if up:
                    await manager.reconcile()
                    self._write_ready()

            stream = EventStream(ari, settings.app, manager.dispatch, on_connection)
            stream_task = asyncio.create_task(stream.run(), name="ari-events")
            stop_task = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait({stream_task, stop_task},
                                         return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            log.info("supervisor stopping with %d active call(s)", len(manager.active))
            await manager.shutdown(handoff=True)
            if stream_task in done:
                stream_task.result()  # re-raises a fatal error (wrong credentials)
            stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stream_task
        finally:
            await ari.close()
            store.close()
            self.home.run_dir.joinpath("supervisor.ready").unlink(missing_ok=True)

    def _write_ready(self) -> None:
        path = self.home.run_dir / "supervisor.ready"
        path.write_text(json.dumps({"pid": os.getpid(), "at": time.time(),
                                    "config": self.config_digest}) + "\n")

