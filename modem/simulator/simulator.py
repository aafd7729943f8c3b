"""The running fake modem: the pure Device wired to two ptys, a clock and the audio pump."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from modem.simulator.audio import AudioPump, load_wav, write_wav
from modem.simulator.device import Device
from modem.simulator.ptys import PortPair, unlink
from modem.simulator.state import CallEnded, CallStarted, DeviceConfig, PcmOff, PcmOn, UsbReset

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PENDING_OUT = 65536  # AT output the host has not read; older bytes are dropped beyond this


class Simulator:
    """A SIM7600 on DIR/sim7600-at and DIR/sim7600-audio, scripted through these methods
    (and the JSON-lines control socket when `control` is given)."""

    def __init__(self, directory: Path, config: DeviceConfig | None = None,
                 control: Path | None = None) -> None:
        self.dir = Path(directory)
        self.config = config or DeviceConfig()
        self.control_path = control
        self.device = Device(self.config)
        self.ports = PortPair(self.dir)
        self.pump = AudioPump()
        self.recording: Path | None = None  # the last finished call's host audio
        self._calls = 0
        self._out = bytearray()
        self._wake = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._replug: asyncio.Task[None] | None = None
        self._server: asyncio.AbstractServer | None = None

    @property
    def at_path(self) -> Path:
        return self.ports.at_link

    @property
    def audio_path(self) -> Path:
        return self.ports.audio_link

    async def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._plug()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        if self.control_path is not None:
            from modem.simulator.control import serve

            try:
                self._server = await serve(self, self.control_path)
            except BaseException:
                await self.stop()  # no ports or links left behind by a failed start
                raise

    async def stop(self) -> None:
        for task in (self._ticker, self._replug):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._ticker = self._replug = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None
        if self.control_path is not None:
            unlink(self.control_path)
        self._unplug()
        await self.pump.close()

    # ---- scripted operations (the control socket calls these) ----

    async def ring(self, number: str, alpha: str = "", wav: str | None = None) -> None:
        if wav is not None:
            await asyncio.to_thread(load_wav, wav, 8000)  # a bad path fails the op, not the call
        self._op(lambda: self.device.calls.ring(number, alpha, wav))

    async def hangup(self) -> None:
        self._op(self.device.calls.far_hangup)

    async def waiting(self, number: str) -> None:
        self._op(lambda: self.device.calls.waiting(number))

    async def sms(self, sender: str, text: str) -> list[int]:
        return self._op(lambda: self.device.sms.deliver(sender, text))

    async def dtmf(self, digit: str) -> bool:
        return self._op(lambda: self.device.calls.dtmf(digit))

    # SIM, network and signal may be set while unplugged: they apply from the next boot.
    async def set_sim(self, state: str) -> None:
        self.device.set_sim(state, self._now())
        self._kick()

    async def set_network(self, stat: int) -> None:
        self.device.set_network(stat, self._now())
        self._kick()

    async def set_signal(self, rssi: int) -> None:
        self.device.set_signal(rssi, self._now())
        self._kick()

    async def silent(self, on: bool) -> None:
        self._op(lambda: self.device.set_silent(on))

    async def configure(self, **values: object) -> None:
        self.config.update(values)

    async def unplug(self, seconds: float | None = 3.0) -> None:
        """USB removal: links gone, host fds get EIO; back after `seconds` (None: on plug())."""
        self._unplug_for(seconds)

    async def plug(self) -> None:
        if self._replug is not None:
            self._replug.cancel()
            self._replug = None
        self._plug()

    async def save_audio(self, path: str | Path) -> int:
        data = bytes(self.pump.received)
        await asyncio.to_thread(write_wav, path, data, self.pump.rate)
        return len(data)

    def state(self) -> dict[str, object]:
        return {
            **self.device.state(),
            "plugged": self.ports.plugged,
            "at": str(self.at_path), "audio": str(self.audio_path),
            "audio_rx_bytes": len(self.pump.received), "audio_tx_bytes": self.pump.sent_bytes,
            "audio_dropped_frames": self.pump.dropped_frames,
            "recording": str(self.recording) if self.recording else None,
        }

    # ---- wiring ----

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _op(self, fn: Callable[[], T]) -> T:
        if not self.ports.plugged:
            raise ValueError("the modem is unplugged")
        self.device.advance(self._now())
        try:
            return fn()
        finally:
            self._kick()

    async def _plug_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._replug = None
        self._plug()

    def _unplug_for(self, seconds: float | None) -> None:
        self._unplug()
        if self._replug is not None:
            self._replug.cancel()
            self._replug = None
        if seconds is not None:
            self._replug = asyncio.get_running_loop().create_task(self._plug_after(seconds))

    def _plug(self) -> None:
        if self.ports.plugged:
            return
        self.ports.plug()
        assert self.ports.at is not None and self.ports.audio is not None
        loop = asyncio.get_running_loop()
        loop.add_reader(self.ports.at.master, self._on_at, self.ports.at.master)
        loop.add_reader(self.ports.audio.master, self.pump.on_readable, self.ports.audio.master)
        self.device.power_on(self._now())
        self._kick()
        log.info("plugged: %s -> %s", self.at_path, self.ports.at.name)

    def _unplug(self) -> None:
        at, audio = self.ports.at, self.ports.audio
        if at is None or audio is None:
            return
        loop = asyncio.get_running_loop()
        for fd in (at.master, audio.master):
            loop.remove_reader(fd)
        loop.remove_writer(at.master)
        self.pump.stop()
        self.device.power_off(self._now())
        self._out.clear()
        self.ports.unplug()
        self._kick()
        log.info("unplugged")

    def _on_at(self, fd: int) -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if data:
            try:
                self.device.feed(data, self._now())
            except Exception:  # a simulator bug must not take the port down with it
                log.exception("device failed on input %r", data)
            self._kick()

    def _kick(self) -> None:
        self._flush()
        self._wake.set()

    def _flush(self) -> None:
        out = self.device.take_output()
        if out and self.ports.at is not None:
            self._out += out
            if len(self._out) > MAX_PENDING_OUT:
                del self._out[:-MAX_PENDING_OUT]
            self._write_out()
        for effect in self.device.take_effects():
            self._apply(effect)

    def _write_out(self) -> None:
        at = self.ports.at
        if at is None:
            return
        loop = asyncio.get_running_loop()
        try:
            n = os.write(at.master, self._out)
        except BlockingIOError:
            n = 0
        except OSError as e:
            log.warning("AT port write failed: %s", e)
            n = len(self._out)
        del self._out[:n]
        if self._out:
            loop.add_writer(at.master, self._write_out)
        else:
            loop.remove_writer(at.master)

    def _apply(self, effect: object) -> None:
        if isinstance(effect, CallStarted):
            self.pump.new_call(effect.wav)
        elif isinstance(effect, PcmOn) and self.ports.audio is not None:
            try:
                self.pump.start(self.ports.audio.master, effect.rate)
            except ValueError as e:
                log.error("%s", e)
        elif isinstance(effect, PcmOff):
            self.pump.stop()
        elif isinstance(effect, CallEnded):
            self.pump.stop()
            self._calls += 1
            if self.pump.received:
                self.recording = self.dir / f"call-{self._calls}.wav"
                write_wav(self.recording, bytes(self.pump.received), self.pump.rate)
        elif isinstance(effect, UsbReset):
            self._unplug_for(self.config.reset_seconds)

    async def _tick(self) -> None:
        while True:
            self._wake.clear()
            due = self.device.next_due()
            delay = None if due is None else max(0.0, due - self._now())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            try:
                self.device.advance(self._now())
                self._flush()
            except Exception:  # keep the clock running whatever one timer did
                log.exception("device timer failed")
