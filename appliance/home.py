"""Where the appliance keeps its state: one home directory, laid out here.

``--home DIR`` or ``APPLIANCE_HOME``; the systemd unit sets ``/var/lib/appliance``,
otherwise a per-user data dir. Secrets are generated on first use and stored mode 0600.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SYSTEM_HOME = Path("/var/lib/appliance")


def default_home() -> Path:
    env = os.environ.get("APPLIANCE_HOME")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "appliance"


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "appliance.toml"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def asterisk_dir(self) -> Path:
        """Generated Asterisk config and Asterisk's own run/log/spool/lib dirs."""
        return self.root / "asterisk"

    @property
    def asterisk_etc(self) -> Path:
        return self.asterisk_dir / "etc"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def modem_socket(self) -> Path:
        """The GSM line owner's control socket (modem.control), while the supervisor runs."""
        return self.run_dir / "modem.sock"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def db_file(self) -> Path:
        return self.root / "calls.sqlite"

    @property
    def recordings_dir(self) -> Path:
        return self.root / "recordings"

    @property
    def sounds_dir(self) -> Path:
        """Sounds Asterisk plays itself (the no-supervisor fallback message)."""
        return self.root / "sounds"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def supervisor_pid(self) -> Path:
        return self.run_dir / "supervisor.pid"

    @property
    def asterisk_pid(self) -> Path:
        return self.run_dir / "asterisk.pid"

    def ensure(self) -> None:
        for d in (self.root, self.run_dir, self.log_dir, self.recordings_dir,
                  self.sounds_dir, self.cache_dir, self.asterisk_etc):
            d.mkdir(parents=True, exist_ok=True)
        self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.secrets_dir, 0o700)

    def secret(self, name: str) -> str:
        """Return the named secret, generating a strong random one on first use."""
        path = self.secrets_dir / name
        try:
            value = path.read_text(encoding="ascii").strip()
            if value:
                return value
        except FileNotFoundError:
            pass
        self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        value = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value + "\n")
        return value

    def read_secret(self, name: str) -> str | None:
        """Return an existing secret without creating one."""
        try:
            return (self.secrets_dir / name).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None


ARI_PASSWORD_FILE = "ari.password"  # name of the file under secrets/


def staff_secret_name(extension: str) -> str:
    return f"sip-{extension}.password"
