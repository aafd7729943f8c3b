"""End-to-end fixtures: a real appliance (real Asterisk, real supervisor) in a temp home.

Each appliance gets its own ports so tests never collide with a running demo.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance import config
from appliance.home import Home, staff_secret_name

ROOT = Path(os.environ.get("APPLIANCE_ASTERISK_ROOT", "/var/cache/appliance/asterisk-root"))

pytestmark = pytest.mark.e2e


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    while True:
        port = random.randint(20000, 45000)
        if _free(port):
            return port


@dataclass
class Appliance:
    home: Home

    def cli(self, *args: str, timeout: float = 180, check: bool = False,
            ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "appliance", "--home", str(self.home.root), *args],
            capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"appliance {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}\n{self.logs()}")
        return proc

    def call(self, *args: str, timeout: float = 120) -> dict:
        proc = self.cli("call", "--json", *args, timeout=timeout)
        assert proc.stdout.strip(), f"no JSON from appliance call:\n{proc.stderr}\n{self.logs()}"
        return json.loads(proc.stdout)

    @property
    def cfg(self) -> config.Config:
        return config.load(self.home.root)

    def logs(self) -> str:
        out = []
        for name in ("supervisor.log", "asterisk.out"):
            p = self.home.log_dir / name
            if p.exists():
                out.append(f"--- {name} ---\n" + "\n".join(p.read_text().splitlines()[-30:]))
        return "\n".join(out)


def make_home(**settings: str) -> Home:
    # Short paths: Asterisk's control socket lives under the home (108-char limit).
    root = Path(tempfile.mkdtemp(prefix="ap-", dir="/tmp"))
    cfg = config.Config()
    rtp = random.randrange(46000, 60000, 200)
    base = {"asterisk.ari_port": str(free_port()), "asterisk.sip_port": str(free_port()),
            "asterisk.sip_bind": "127.0.0.1", "asterisk.rtp_end": str(rtp + 199),
            "asterisk.rtp_start": str(rtp), "asterisk.root": str(ROOT)}
    for key, value in {**base, **settings}.items():
        cfg = config.set_value(cfg, key, value)
    config.save(root, cfg)
    # The phrase cache is shared between the homes of one test run: synthesis is paid once.
    (root / "cache").mkdir()
    (root / "cache" / "phrases").symlink_to(_PHRASES[0])
    return Home(root)


_PHRASES: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _shared_phrase_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    _PHRASES[:] = [tmp_path_factory.mktemp("phrases")]


@pytest.fixture(scope="session", autouse=True)
def _needs_asterisk() -> None:
    if not (ROOT / "usr/sbin/asterisk").exists():
        pytest.skip(f"no private Asterisk root at {ROOT}: run `make install`")


@pytest.fixture
def appliance_factory() -> Iterator:
    made: list[Appliance] = []

    def make(start: bool = True, **settings: str) -> Appliance:
        app = Appliance(make_home(**settings))
        made.append(app)
        if start:
            app.cli("up", check=True)
        return app

    yield make
    for app in made:
        app.cli("down", timeout=60)
        shutil.rmtree(app.home.root, ignore_errors=True)


@pytest.fixture
def appliance(appliance_factory) -> Appliance:
    return appliance_factory()


@pytest.fixture
def office_and_itsp(appliance_factory):
    """Office appliance whose trunk is registered as staff phone 301 of a second
    appliance playing the ITSP (a real registrar and real SIP/RTP between them)."""
    itsp = appliance_factory(**{"staff.extensions": "301"})
    office = appliance_factory(start=False, **{
        "trunk.host": "127.0.0.1", "trunk.port": str(itsp.cfg.asterisk.sip_port),
        "trunk.username": "301",
        "trunk.password": itsp.home.read_secret(staff_secret_name("301")) or "",
        "trunk.enabled": "true"})
    office.cli("up", check=True)
    wait_until(lambda: "Registered" in office.cli("status").stdout, 20, "trunk registration")
    return office, itsp


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
