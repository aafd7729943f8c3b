"""Bring the appliance up and down: config -> Asterisk files -> Asterisk -> supervisor.

Anything this module starts is stopped again if a later step fails, so a failed
``appliance up`` never leaves half a system running.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from appliance import config as config_mod
from appliance.ari.client import basic_auth
from appliance.ari.local import local_settings
from appliance.config import Config
from appliance.home import Home
from appliance.pbx import confgen, runtime
from appliance.pbx.runtime import AsteriskError
from modem import control


class StartError(Exception):
    """Starting failed; the message says why and what was cleaned up."""


def log_tail(path: Path, lines: int = 5, match: str = "") -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    picked = [t for t in text if match in t] if match else text
    return "\n".join(picked[-lines:])


def _port_free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            # As Asterisk does: connections in TIME_WAIT from a previous run do not count.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ari_status(cfg: Config, home: Home, timeout: float = 2.0) -> tuple[int | None, list[str]]:
    """(HTTP status of /ari/asterisk/info or None if unreachable, registered app names)."""
    settings = local_settings(cfg, home)
    base = settings.base_url
    auth = basic_auth(settings.user, settings.password)

    def get(path: str) -> tuple[int, bytes]:
        req = urllib.request.Request(base + path, headers={"Authorization": auth})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, b""

    try:
        status, _ = get("/asterisk/info")
        if status != 200:
            return status, []
        _, body = get("/applications")
        return status, [a["name"] for a in json.loads(body or b"[]")]
    except (OSError, ValueError):
        return None, []


@dataclass(frozen=True)
class Prepared:
    cfg: Config
    inst: runtime.Installation
    changed: bool  # the generated Asterisk files differ from what Asterisk last read


def prepare(home: Home) -> Prepared:
    """Validate config and write every Asterisk file; raises ConfigError/AsteriskError."""
    cfg = config_mod.load(home.root)
    inst = runtime.locate(cfg)
    home.ensure()
    changed = confgen.write(cfg, home, inst.paths)
    from appliance.speech.tts import TtsError

    try:
        _fallback_sound(cfg, home)
    except TtsError as e:
        raise StartError(f"cannot record the fallback message: {e}") from None
    return Prepared(cfg, inst, changed)


def _fallback_sound(cfg: Config, home: Home) -> None:
    """Synthesize the "please call back" message for Asterisk (only when its text changes)."""
    wav = confgen.fallback_sound(home).with_suffix(".wav")
    stamp = wav.with_suffix(".txt")
    text = cfg.business.fallback_message
    if wav.exists() and stamp.exists() and stamp.read_text() == text:
        return
    from appliance.speech.piper_tts import PiperTts
    from appliance.speech.resample import resample
    from appliance.speech.wavio import write_wav

    tts = PiperTts.load(cfg.speech.voice_path)
    audio = tts.synthesize_all(text)
    write_wav(wav, resample(audio, tts.sample_rate, 8000), 8000)
    stamp.write_text(text)


def start_asterisk(prep: Prepared, home: Home, timeout: float = 30.0) -> bool:
    """Start Asterisk unless already running; True if this call started it.

    A running Asterisk we manage is told to reload when its files changed, so
    ``appliance config set`` + ``appliance up`` applies a change without dropping calls.
    """
    cfg, inst = prep.cfg, prep.inst
    if not cfg.asterisk.managed:
        status, _ = ari_status(cfg, home)
        if status is None:
            raise StartError(f"Asterisk is not running (asterisk.managed is false, ARI port "
                             f"{cfg.asterisk.ari_port} does not answer)")
        return False
    if runtime.read_pid(home.asterisk_pid) is not None:
        if prep.changed:
            runtime.remote(inst, home, "core reload")
        return False
    if not _port_free(cfg.asterisk.ari_port, socket.SOCK_STREAM):
        raise StartError(f"ARI port {cfg.asterisk.ari_port} (asterisk.ari_port) is already in "
                         "use by another program")
    if not _port_free(cfg.asterisk.sip_port, socket.SOCK_DGRAM):
        raise StartError(f"SIP port {cfg.asterisk.sip_port} (asterisk.sip_port) is already in "
                         "use by another program")
    pid = runtime.start(inst, home)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runtime.read_pid(home.asterisk_pid) is None:
            home.asterisk_pid.unlink(missing_ok=True)
            raise StartError("Asterisk exited during start:\n"
                             + log_tail(home.log_dir / "asterisk.out", 8, "ERROR"))
        status, _ = ari_status(cfg, home, timeout=1.0)
        if status == 200:
            return True
        time.sleep(0.2)
    runtime.stop(home)
    raise StartError(f"Asterisk (pid {pid}) did not answer on ARI port "
                     f"{cfg.asterisk.ari_port} within {timeout:.0f} s; stopped it")


@dataclass
class UpResult:
    asterisk_started: bool
    supervisor_pid: int


def start_supervisor(home: Home, timeout: float = 90.0) -> int:
    """Start ``appliance run`` detached and wait until it is connected to ARI."""
    ready = home.run_dir / "supervisor.ready"
    ready.unlink(missing_ok=True)
    logfile = home.log_dir / "supervisor.log"
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "--home", str(home.root), "run"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError("the supervisor exited during start: "
                             + (log_tail(logfile, 1, "error:") or log_tail(logfile, 3)))
        if ready.exists():
            return proc.pid
        time.sleep(0.2)
    proc.terminate()
    raise StartError(f"the supervisor did not connect to ARI within {timeout:.0f} s "
                     f"(see {logfile}); stopped it")


def config_digest(home: Home) -> str:
    try:
        return hashlib.sha256(home.config_file.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def _running_config(home: Home) -> str | None:
    try:
        return str(json.loads((home.run_dir / "supervisor.ready").read_text())["config"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def problems(home: Home) -> list[str]:
    """Engines the running supervisor could not load (it answers calls degraded)."""
    try:
        found = json.loads((home.run_dir / "supervisor.ready").read_text()).get("problems")
    except (FileNotFoundError, ValueError, AttributeError):
        return []
    return [str(p) for p in found] if isinstance(found, list) else []


def up(home: Home) -> UpResult:
    started = start_asterisk(prepare(home), home)
    if (pid := runtime.read_pid(home.supervisor_pid)) is not None:
        if _running_config(home) == config_digest(home):
            return UpResult(started, pid)
        # The configuration changed: restart the supervisor so it takes effect (calls in
        # progress are handed to the staff fallback meanwhile).
        stop_supervisor(home)
    try:
        pid = start_supervisor(home)
    except BaseException:
        if started:
            runtime.stop(home)
        raise
    return UpResult(started, pid)


def stop_supervisor(home: Home, timeout: float = 15.0) -> bool:
    pid = runtime.read_pid(home.supervisor_pid)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runtime.read_pid(home.supervisor_pid) is not None:
        time.sleep(0.1)
    if runtime.read_pid(home.supervisor_pid) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    home.supervisor_pid.unlink(missing_ok=True)
    return True


def down(home: Home) -> tuple[bool, bool]:
    """Stop the supervisor, then Asterisk; returns which of them were running."""
    return stop_supervisor(home), runtime.stop(home)


def status(home: Home) -> dict[str, object]:
    try:
        cfg = config_mod.load(home.root)
    except config_mod.ConfigError as e:
        return {"home": str(home.root), "config_error": str(e)}
    ari, apps = ari_status(cfg, home)
    sup = runtime.read_pid(home.supervisor_pid)
    state: dict[str, object] = {
        "home": str(home.root),
        "asterisk_pid": runtime.read_pid(home.asterisk_pid),
        "ari": {None: "unreachable", 200: "ok", 401: "wrong credentials"}.get(ari, str(ari)),
        "supervisor_pid": sup,
        "receptionist_app": cfg.asterisk.app in apps,
        "running": sup is not None and cfg.asterisk.app in apps,
    }
    if sup is not None and (found := problems(home)):
        state["problems"] = found
    if cfg.trunk.enabled:
        state["trunk"] = trunk_status(cfg, home) if ari == 200 else "unknown"
    if cfg.gsm.enabled:
        state["gsm"] = gsm_status(home) if sup is not None else "not running"
    return state


def gsm_status(home: Home) -> str:
    """The GSM line in a few words, as the supervisor that owns the modem sees it."""
    try:
        st = control.request_blocking(home.modem_socket, {"op": "status"})["status"]
    except (control.ControlError, ValueError) as e:
        return f"unknown ({e})"
    if not st["connected"]:
        return f"disconnected: {st['error']}"
    return st["error"] or (f"ready ({st['registration']}, {st['operator']}, "
                           f"{st['signal_dbm']} dBm)")


def trunk_status(cfg: Config, home: Home) -> str:
    """The trunk registration's state as Asterisk reports it (e.g. Registered, Rejected)."""
    try:
        out = runtime.remote(runtime.locate(cfg), home, "pjsip show registration trunk")
    except AsteriskError as e:
        return f"unknown ({e})"
    known = ("Registered", "Unregistered", "Rejected", "Stopped", "Unknown")
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("trunk/"):
            return next((p for p in parts if p in known), " ".join(parts[1:]))
    return "not configured in Asterisk"


__all__ = ["AsteriskError", "StartError", "down", "prepare", "status", "up"]
