"""Find and run Asterisk: the native package on the appliance image, or a private root.

Debian 12 has no Asterisk package, so development and CI machines use a private Debian sid
root (``image/provision-asterisk-root.sh``). Its binary runs through the root's own dynamic
loader and libraries, so no chroot or bind mounts are needed and Asterisk reads the
appliance's home directly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from appliance.config import Config
from appliance.home import Home
from appliance.pbx.confgen import AsteriskPaths

NATIVE_BINARY = Path("/usr/sbin/asterisk")
LIB_DIRS = ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu",
            "usr/lib/aarch64-linux-gnu", "lib/aarch64-linux-gnu")


class AsteriskError(Exception):
    """Asterisk is missing, failed to start, or did not answer."""


@dataclass(frozen=True)
class Installation:
    command: list[str]  # argv prefix that runs the asterisk binary
    paths: AsteriskPaths
    env: dict[str, str]

    def argv(self, conf: Path, *args: str) -> list[str]:
        return [*self.command, "-C", str(conf), *args]


def _multiarch_moddir(root: Path) -> Path:
    for d in LIB_DIRS[::2]:
        cand = root / d / "asterisk" / "modules"
        if cand.is_dir():
            return cand
    return root / "usr/lib/asterisk/modules"


def locate(cfg: Config) -> Installation:
    """Return how to run Asterisk, or raise AsteriskError saying what is missing."""
    binary = cfg.asterisk.binary
    if binary == "auto" and NATIVE_BINARY.exists():
        binary = str(NATIVE_BINARY)
    if binary != "auto":
        path = Path(binary)
        if not path.exists():
            raise AsteriskError(f"asterisk binary not found: {path} (asterisk.binary)")
        paths = AsteriskPaths(_multiarch_moddir(Path("/")), Path("/usr/share/asterisk"))
        return Installation([str(path)], paths, {})
    root = Path(cfg.asterisk.root)
    exe = root / "usr/sbin/asterisk"
    loader = next((p for p in (root / "lib64/ld-linux-x86-64.so.2",
                               root / "lib/ld-linux-aarch64.so.1") if p.exists()), None)
    if not exe.exists() or loader is None:
        raise AsteriskError(
            f"no Asterisk found: {NATIVE_BINARY} is not installed and the private root "
            f"{root} (asterisk.root) has no usr/sbin/asterisk; run `make install`")
    libpath = ":".join(str(root / d) for d in LIB_DIRS if (root / d).is_dir())
    return Installation(
        [str(loader), "--library-path", libpath, str(exe)],
        AsteriskPaths(_multiarch_moddir(root), root / "usr/share/asterisk"),
        {},
    )


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` if that process is alive, else None."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # A zombie child of ours still "exists": treat it as gone.
    with contextlib.suppress(FileNotFoundError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return None
    return pid


def conf_path(home: Home) -> Path:
    return home.asterisk_etc / "asterisk.conf"


def start(inst: Installation, home: Home) -> int:
    """Start Asterisk in its own session (it outlives the command that started it)."""
    log = open(home.log_dir / "asterisk.out", "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            inst.argv(conf_path(home), "-f", "-n", "-q"),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=home.asterisk_dir, env={**os.environ, **inst.env},
        )
    finally:
        log.close()
    home.asterisk_pid.write_text(f"{proc.pid}\n")
    return proc.pid


def remote(inst: Installation, home: Home, command: str, timeout: float = 10.0) -> str:
    """Run a CLI command in the running Asterisk over its control socket."""
    try:
        out = subprocess.run(inst.argv(conf_path(home), "-rx", command), capture_output=True,
                             text=True, timeout=timeout, env={**os.environ, **inst.env})
    except subprocess.TimeoutExpired:
        raise AsteriskError(f"asterisk did not answer {command!r} within {timeout:.0f} s") from None
    if out.returncode != 0:
        raise AsteriskError(f"asterisk -rx {command!r} failed: {out.stderr.strip() or out.stdout}")
    return out.stdout


def stop(home: Home, timeout: float = 10.0) -> bool:
    """Stop the Asterisk this home started; True if one was running."""
    pid = read_pid(home.asterisk_pid)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and read_pid(home.asterisk_pid) is not None:
        time.sleep(0.1)
    if read_pid(home.asterisk_pid) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    home.asterisk_pid.unlink(missing_ok=True)
    return True
