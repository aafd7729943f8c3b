"""A real baresip 1.1.0 SIP phone for end-to-end tests.

Debian 12 has no baresip; it comes from the private Debian sid root and runs WITHOUT chroot
through that root's own loader (see `root_argv`). `BaresipUA` writes a minimal config dir,
starts baresip in its own process group, controls it through the `ctrl_tcp` module (netstring
JSON commands and call events) and parses its stdout (mirrored to workdir/baresip.log) for
registration results.

baresip 1.1.0 facts this relies on (checked against the binary in the root):
- aufile source does NOT resample: the WAV goes to the encoder at its own rate, so for PCMU it
  must be 8 kHz mono S16LE (a 16 kHz file doubles the packets and the far end hears garbage).
  `prepare_source` converts any PCM WAV (8/16/24/32-bit, any rate, any channels) to that.
- aufile source ends the call at EOF (AUDIO_ERROR "end of file", then menu hangs up), so the
  prepared source is the prompt followed by `hold_s` seconds of silence (silence only if
  play_wav is None): the call stays up until hangup() or the far end hangs up.
- aufile player writes what it receives as 8 kHz mono S16LE WAV (the decoder's rate). The file
  is truncated when each call's audio starts; its header is finalised when the call ends.
- account answermode is manual|early|auto (there is no "auto-or-manual"). An auto-answered
  call emits no CALL_INCOMING event, only CALL_ESTABLISHED with direction "incoming".
- `net_interface 127.0.0.1` is needed or SDP advertises the eth0 address (`lo` is rejected).
- registration is reported on stdout (flushed per line) as
  "301@127.0.0.1: (prio 0) {0/UDP/v4} 200 OK (...) [1 binding]" or, after a failed digest,
  "reg: sip:301@127.0.0.1:5060 (prio 0): 401 Unauthorized (...)".
- menu's status line uses bare "\\r" (disabled here with `statmode_default off`).
- SIGTERM unregisters and can wait ~forever for an unreachable registrar; a second SIGTERM
  makes it exit at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import re
import signal
import socket
import time
import wave
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import numpy as np

DEFAULT_ROOT = Path(os.environ.get("APPLIANCE_ASTERISK_ROOT",
                                   "/var/cache/appliance/asterisk-root"))
AUFILE_RATE = 8000  # PCMU; aufile feeds the encoder without resampling

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_REG_OK = re.compile(r"\{\d+/\w+/v[46]\} 2\d\d .*\[\d+ bindings?\]")
_REG_FAIL = re.compile(r"^reg: \S+.*?: (\d{3} .*|Register: .*)$")
_CTRL_READY = "ctrl_tcp: TCP socket listening"
_OK = "ok"

T = TypeVar("T")


class BaresipError(RuntimeError):
    """baresip failed, exited, or did not do something in time (message has its last log)."""


class RegistrationError(BaresipError):
    """REGISTER was rejected or never answered."""


class CallError(BaresipError):
    """A call could not be placed/answered or closed before it was established."""


def have_root(root: Path = DEFAULT_ROOT) -> bool:
    """Whether the private root holds baresip and its loader."""
    return (root / "usr/bin/baresip").exists() and (root / "lib64/ld-linux-x86-64.so.2").exists()


def root_argv(root: Path, binary: str) -> list[str]:
    """argv running ROOT/binary through the root's own loader and libraries (no chroot)."""
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    return [str(root / "lib64/ld-linux-x86-64.so.2"), "--library-path", libs, str(root / binary)]


def free_port(*kinds: int) -> int:
    """A loopback port currently free for every socket kind given (default UDP and TCP)."""
    kinds = kinds or (socket.SOCK_DGRAM, socket.SOCK_STREAM)
    while True:
        with socket.socket(socket.AF_INET, kinds[0]) as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
            try:
                for kind in kinds[1:]:
                    with socket.socket(socket.AF_INET, kind) as other:
                        other.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _to_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    """PCM bytes -> mono float64 in [-1, 1] (channels averaged)."""
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2") / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] << 8 | b[:, 1] << 16 | b[:, 2] << 24) >> 8) / 8388608.0
    elif width == 4:
        x = np.frombuffer(raw, "<i4") / 2147483648.0
    else:
        raise ValueError(f"unsupported WAV sample width {width}")
    n = len(x) // channels * channels
    return x[:n].reshape(-1, channels).mean(axis=1)


def _read_float(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if not raw and path.stat().st_size > 44:
        raw = path.read_bytes()[44:]  # header not finalised yet (call still up)
    return _to_float(raw, width, channels), rate


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono int16 samples and sample rate of a PCM WAV."""
    x, rate = _read_float(path)
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16), rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono 16-bit PCM; float input is taken as [-1, 1]."""
    if samples.dtype.kind == "f":
        samples = np.clip(np.round(samples * 32767.0), -32768, 32767)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Float resampling: windowed-sinc low-pass when decimating, then linear interpolation."""
    if src == dst or not len(x):
        return x
    if dst < src:
        cutoff = 0.45 * dst / src  # cycles/sample: just under the new Nyquist
        n = np.arange(-64, 65)
        taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(len(n))
        x = np.convolve(x, taps / taps.sum(), mode="same")
    t = np.arange(int(len(x) * dst / src)) * (src / dst)
    return np.interp(t, np.arange(len(x)), x)


def prepare_source(play_wav: Path | None, dst: Path, hold_s: float) -> float:
    """Write dst as aufile wants it (8 kHz mono S16LE): play_wav, then hold_s s of silence.

    Returns the prompt's duration in seconds.
    """
    x = np.zeros(0)
    if play_wav is not None:
        x, rate = _read_float(play_wav)
        x = resample(x, rate, AUFILE_RATE)
    write_wav(dst, np.concatenate([x, np.zeros(int(hold_s * AUFILE_RATE))]), AUFILE_RATE)
    return len(x) / AUFILE_RATE


_prctl: Callable[..., int] | None
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # pragma: no cover - non-glibc
    _prctl = None


def _die_with_parent() -> None:
    """Child side, before exec: SIGKILL baresip if the test process dies (no orphans)."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class BaresipUA:
    """One baresip user agent registered at `registrar` ("127.0.0.1:PORT") as `user`.

    Audio sent = play_wav (converted, then silence); audio received -> record_wav.
    Use `async with BaresipUA(...) as ua:` or start()/stop(). Call waits see events since the
    last dial() (or since the last wait_call_closed()), so sequential calls work.
    Waits take a `timeout` (ASYNC109) so their errors can carry baresip's last log lines.
    """

    def __init__(self, workdir: Path, user: str, password: str, registrar: str,
                 play_wav: Path | None = None, record_wav: Path | None = None,
                 auto_answer: bool = False, root: Path = DEFAULT_ROOT, *,
                 hold_s: float = 60.0, rtp_ports: str = "40000-49998") -> None:
        for name, value in (("user", user), ("password", password), ("registrar", registrar)):
            if not value or re.search(r'[\s;<>"]', value):
                raise ValueError(f"{name} {value!r} cannot go into a baresip accounts line")
        self.workdir = Path(workdir)
        self.user, self.password, self.registrar = user, password, registrar
        self.play_wav = play_wav
        self.record_wav = Path(record_wav) if record_wav else self.workdir / "recorded.wav"
        self.auto_answer = auto_answer
        self.root = Path(root)
        self.hold_s = hold_s
        self.rtp_ports = rtp_ports
        self.aor = f"sip:{user}@{registrar}"
        self.log_path = self.workdir / "baresip.log"
        self.source_wav = self.workdir / "source.wav"
        self.sip_port = 0
        self.ctrl_port = 0
        self.pid: int | None = None
        self.events: list[dict[str, Any]] = []  # every ctrl_tcp event, in order
        self._mark = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._writer: asyncio.StreamWriter | None = None
        self._log: IO[str] | None = None
        self._t0 = 0.0
        self._lines: deque[str] = deque(maxlen=40)
        self._cond = asyncio.Condition()
        self._ctrl_listening = False
        self._exited = False
        self._reg: str | None = None  # _OK or the failure line
        self._pending: dict[str, asyncio.Future[tuple[bool, str]]] = {}
        self._token = 0

    # -- files --------------------------------------------------------------------------

    def config_text(self) -> str:
        mods = self.root / "usr/lib/baresip/modules"
        items = [
            ("poll_method", "epoll"),
            ("net_interface", "127.0.0.1"),  # else SDP advertises the eth0 address
            ("sip_listen", f"127.0.0.1:{self.sip_port}"),
            ("call_local_timeout", "30"),
            ("call_max_calls", "4"),
            ("audio_path", str(self.root / "usr/share/baresip")),
            ("audio_player", f"aufile,{self.record_wav}"),
            ("audio_source", f"aufile,{self.source_wav}"),
            ("audio_alert", f"aufile,{self.workdir / 'alert.wav'}"),  # ring tones, not recorded
            ("rtp_ports", self.rtp_ports),
            ("module_path", str(mods)),
            ("module", "g711.so"),
            ("module", "aufile.so"),
            ("module_tmp", "account.so"),
            ("module_app", "menu.so"),
            ("module_app", "ctrl_tcp.so"),
            ("ctrl_tcp_listen", f"127.0.0.1:{self.ctrl_port}"),
            ("statmode_default", "off"),  # no "\r" status line on stdout
            ("ringback_disabled", "yes"),
        ]
        return "".join(f"{k:<20}{v}\n" for k, v in items)

    def accounts_text(self) -> str:
        mode = "auto" if self.auto_answer else "manual"
        return (f"<{self.aor}>;auth_pass={self.password};regint=60;"
                f"answermode={mode};audio_codecs=PCMU\n")

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sip_port = free_port()
        self.ctrl_port = free_port(socket.SOCK_STREAM)
        prepare_source(self.play_wav, self.source_wav, self.hold_s)
        (self.workdir / "config").write_text(self.config_text())
        (self.workdir / "accounts").write_text(self.accounts_text())
        (self.workdir / "contacts").write_text("# none\n")
        self._log = self.log_path.open("w", encoding="utf-8")
        self._t0 = time.monotonic()
        self.events.clear()
        self._mark = 0
        self._ctrl_listening = self._exited = False
        self._reg = None

    # -- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    async def start(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Start baresip and wait until its account is registered."""
        if self._proc is not None:
            raise BaresipError(f"{self.aor}: already started")
        self._prepare()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *root_argv(self.root, "usr/bin/baresip"), "-f", str(self.workdir), "-v",
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent)
            self.pid = self._proc.pid
            self._tasks.append(asyncio.create_task(self._read_stdout()))
            await self._wait(lambda: self._ctrl_listening, timeout, "ctrl_tcp to listen")
            reader, self._writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
            self._tasks.append(asyncio.create_task(self._read_ctrl(reader)))
            await self._wait(lambda: self._reg, timeout, "registration", RegistrationError)
            if self._reg != _OK:
                raise RegistrationError(f"{self.aor}: registration failed: {self._reg}"
                                        + self._tail())
        except BaseException:
            await self.stop()
            raise

    async def stop(self, grace: float = 1.0) -> None:
        """Stop baresip; kills its whole process group, also on error or cancellation.

        SIGTERM (unregisters; waits for the registrar), a second SIGTERM after `grace` s
        (baresip then exits at once), SIGKILL after another `grace` s.
        """
        proc, self._proc = self._proc, None
        try:
            for _ in range(2):
                if proc is None or proc.returncode is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), grace)
        finally:
            if proc is not None and proc.returncode is None:  # also if stop() was cancelled
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            tasks, self._tasks = self._tasks, []
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._log is not None:
                self._log.close()
                self._log = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    # -- calls --------------------------------------------------------------------------

    async def dial(self, uri: str) -> str:
        """Call `uri` ("sip:600@host:port", "600@host" or just "600" via the registrar).

        Returns baresip's call id.
        """
        if not uri.startswith(("sip:", "sips:")):
            uri = f"sip:{uri}" if "@" in uri else f"sip:{uri}@{self.registrar}"
        self._mark = len(self.events)
        data = await self._command("dial", uri)
        return data.removeprefix("call id:").strip()

    async def answer(self) -> None:
        """Answer a ringing incoming call (manual answer mode)."""
        await self._command("accept")

    async def hangup(self) -> None:
        """Hang up the current call; no-op if there is none."""
        try:
            await self._command("hangup")
        except CallError as e:
            if "no active call" not in str(e):
                raise

    async def wait_call_established(self, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for CALL_ESTABLISHED; CallError if the call closes first."""
        _, ev = await self._wait(lambda: self._find("CALL_ESTABLISHED", "CALL_CLOSED"),
                                 timeout, "the call to be established", CallError)
        if ev["type"] == "CALL_CLOSED":
            raise CallError(f"{self.aor}: call closed before it was established: "
                            f"{ev.get('param')}" + self._tail())
        return ev

    async def wait_call_closed(self, timeout: float = 10.0) -> str:  # noqa: ASYNC109
        """Wait for CALL_CLOSED; returns its reason (e.g. "Connection reset by peer")."""
        i, ev = await self._wait(lambda: self._find("CALL_CLOSED"), timeout,
                                 "the call to close", CallError)
        self._mark = i + 1
        return str(ev.get("param", ""))

    async def wait_incoming(self, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for an incoming call (and, with auto_answer, for it to be established).

        Returns its first event ("peeruri" is the caller). 1.1.0 sends CALL_INCOMING only
        when the call rings (manual mode); auto-answered calls go straight to
        CALL_ESTABLISHED, so either counts.
        """
        deadline = time.monotonic() + timeout
        _, ev = await self._wait(
            lambda: self._find("CALL_INCOMING", "CALL_ESTABLISHED", direction="incoming"),
            timeout, "an incoming call", CallError)
        if self.auto_answer:
            await self.wait_call_established(max(0.0, deadline - time.monotonic()))
        return ev

    def recorded(self) -> tuple[np.ndarray, int]:
        """What the far end sent during the last call: (mono int16 samples, rate == 8000)."""
        if not self.record_wav.exists():
            return np.zeros(0, np.int16), AUFILE_RATE
        return read_wav(self.record_wav)

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(list(self._lines)[-n:])

    # -- internals ----------------------------------------------------------------------

    def _tail(self) -> str:
        return f"\n--- last baresip output ({self.log_path}) ---\n{self.log_tail()}"

    def _find(self, *types: str, direction: str | None = None,
              ) -> tuple[int, dict[str, Any]] | None:
        for i in range(self._mark, len(self.events)):
            ev = self.events[i]
            if ev.get("type") in types and direction in (None, ev.get("direction")):
                return i, ev
        return None

    async def _wait(self, pred: Callable[[], T | None], seconds: float, what: str,
                    exc: type[BaresipError] = BaresipError) -> T:
        try:
            async with asyncio.timeout(seconds), self._cond:
                await self._cond.wait_for(lambda: bool(pred()) or self._exited)
        except TimeoutError:
            raise exc(f"{self.aor}: no {what} within {seconds:g}s" + self._tail()) from None
        result = pred()
        if not result:
            rc = self._proc.returncode if self._proc else None
            raise exc(f"{self.aor}: baresip exited (rc={rc}) before {what}" + self._tail())
        return result

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def _line(self, line: str) -> None:
        self._lines.append(line)
        if self._log is not None:
            self._log.write(f"[{time.monotonic() - self._t0:7.3f}] {line}\n")
            self._log.flush()

    def _on_stdout_line(self, line: str) -> None:
        self._line(line)
        if _CTRL_READY in line:
            self._ctrl_listening = True
        elif self._reg is None and _REG_OK.search(line):
            self._reg = _OK
        elif self._reg is None and (m := _REG_FAIL.match(line)):
            self._reg = m.group(1)

    async def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        buf = ""
        try:
            while chunk := await self._proc.stdout.read(4096):
                *lines, buf = re.split(r"[\r\n]", buf + chunk.decode("utf-8", "replace"))
                for line in lines:
                    if line := _ANSI.sub("", line).rstrip():
                        self._on_stdout_line(line)
                await self._notify()
            if buf:
                self._on_stdout_line(_ANSI.sub("", buf))
        finally:
            self._exited = True
            await self._notify()

    async def _read_ctrl(self, reader: asyncio.StreamReader) -> None:
        buf = b""
        try:
            while chunk := await reader.read(65536):
                buf += chunk
                while (colon := buf.find(b":")) > 0:
                    size = int(buf[:colon])
                    if len(buf) < colon + size + 2:
                        break
                    self._on_ctrl(json.loads(buf[colon + 1:colon + 1 + size]))
                    buf = buf[colon + size + 2:]  # skip the trailing ","
                await self._notify()
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(BaresipError(f"{self.aor}: ctrl_tcp connection closed"))

    def _on_ctrl(self, msg: dict[str, Any]) -> None:
        if msg.get("event"):
            self.events.append(msg)
            self._line(f"[event] {msg.get('type')} {msg.get('param', '')}")
        elif msg.get("response"):
            fut = self._pending.get(str(msg.get("token")))
            if fut is not None and not fut.done():
                fut.set_result((bool(msg.get("ok")), str(msg.get("data", ""))))

    async def _command(self, command: str, params: str = "", seconds: float = 5.0) -> str:
        if self._writer is None:
            raise BaresipError(f"{self.aor}: not started")
        self._token += 1
        token = str(self._token)
        fut: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self._pending[token] = fut
        msg = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._line(f"[command] {command} {params}")
        try:
            self._writer.write(b"%d:%s," % (len(msg), msg))
            await self._writer.drain()
            ok, data = await asyncio.wait_for(fut, seconds)
        except TimeoutError:
            raise BaresipError(f"{self.aor}: no reply to {command!r} within {seconds:g}s"
                               + self._tail()) from None
        finally:
            self._pending.pop(token, None)
        if not ok:
            raise CallError(f"{self.aor}: {command} {params}: {data.strip()}" + self._tail())
        return data
