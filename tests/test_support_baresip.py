"""Proves tests.support.baresip against a real Asterisk 22 from the private root.

Asterisk runs without chroot through the root's loader with a scratch config: PJSIP UDP on a
free loopback port, endpoints 301/302 in context "test"; 600 plays a prompt, 302 dials 302.
Only the needed modules load (autoload=no; res_pjsip_caller_id or the callee sees
"Anonymous"), so Asterisk is up in ~0.2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.support.baresip import (
    AUFILE_RATE,
    DEFAULT_ROOT,
    BaresipUA,
    RegistrationError,
    free_port,
    have_root,
    root_argv,
    write_wav,
)

ROOT = DEFAULT_ROOT
ASTERISK = "usr/sbin/asterisk"
PASSWORDS = {"301": "pw-301-secret", "302": "pw-302-secret"}
PROMPT = "demo-thanks"  # ~5.5 s ("demo-congrats" is ~30 s: too slow)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(60),
    pytest.mark.skipif(not (have_root(ROOT) and (ROOT / ASTERISK).exists()),
                       reason=f"private Asterisk/baresip root missing at {ROOT}"),
]

MODULES = [
    "res_timing_timerfd", "res_pjproject", "res_sorcery_config", "res_sorcery_memory",
    "res_sorcery_astdb", "res_pjsip", "res_pjsip_session", "res_pjsip_pubsub",
    "res_pjsip_authenticator_digest", "res_pjsip_endpoint_identifier_user",
    "res_pjsip_registrar", "res_pjsip_caller_id", "res_pjsip_sdp_rtp", "res_rtp_asterisk",
    "chan_pjsip", "codec_ulaw", "codec_gsm", "format_gsm", "format_pcm", "format_wav",
    "app_playback", "app_dial", "pbx_config", "bridge_simple", "bridge_native_rtp",
]  # autoload=no: a few modules start in well under a second


@dataclass
class Pbx:
    registrar: str  # "127.0.0.1:PORT"
    out: Path

    def tail(self, n: int = 30) -> str:
        lines = self.out.read_text(errors="replace").splitlines()[-n:]
        return "\n--- asterisk output ---\n" + "\n".join(lines)


def _prompt() -> Path:
    # sounds/en links to /etc/alternatives (host-absolute, dangling without chroot)
    for lang in ("en", "en_US_f_Allison"):
        path = ROOT / "usr/share/asterisk/sounds" / lang / PROMPT
        if path.with_suffix(".gsm").exists():
            return path
    pytest.skip(f"no {PROMPT}.gsm in {ROOT}")


def _write_asterisk_config(d: Path, port: int) -> Path:
    etc = d / "etc"
    for sub in ("etc", "run", "log", "spool", "lib"):
        (d / sub).mkdir()
    dirs = {"astetcdir": etc, "astmoddir": ROOT / "usr/lib/x86_64-linux-gnu/asterisk/modules",
            "astdatadir": ROOT / "usr/share/asterisk", "astvarlibdir": d / "lib",
            "astdbdir": d / "lib", "astkeydir": d / "lib", "astagidir": d / "lib",
            "astspooldir": d / "spool", "astrundir": d / "run", "astlogdir": d / "log",
            "astsbindir": ROOT / "usr/sbin"}
    files = {
        "asterisk.conf": "[directories]\n" + "".join(f"{k} => {v}\n" for k, v in dirs.items()),
        "modules.conf": "[modules]\nautoload=no\n"
                        + "".join(f"load => {m}.so\n" for m in MODULES),
        "logger.conf": "[general]\n[logfiles]\nconsole => notice,warning,error,verbose\n",
        "rtp.conf": "[general]\nrtpstart=30000\nrtpend=39998\n",
        "http.conf": "[general]\nenabled=no\n",
        "pjsip.conf": f"[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:{port}\n" + "".join(
            f"[{u}]\ntype=endpoint\ncontext=test\ndisallow=all\nallow=ulaw\nauth={u}-auth\n"
            f'aors={u}\ndirect_media=no\ncallerid="{u}" <{u}>\n'
            f"[{u}-auth]\ntype=auth\nauth_type=userpass\nusername={u}\npassword={pw}\n"
            f"[{u}]\ntype=aor\nmax_contacts=1\nremove_existing=yes\n"
            for u, pw in PASSWORDS.items()),
        "extensions.conf": (
            "[test]\n"
            f"exten => 600,1,Answer()\n same => n,Playback({_prompt()})\n same => n,Hangup()\n"
            "exten => 302,1,Dial(PJSIP/302,20)\n same => n,Hangup()\n"),
    }
    for name, text in files.items():
        (etc / name).write_text(text)
    return etc / "asterisk.conf"


@pytest.fixture(scope="module")
def pbx() -> Iterator[Pbx]:
    """A real Asterisk for this module; always stopped (whole process group) afterwards."""
    d = Path(tempfile.mkdtemp(prefix="ua-", dir="/tmp"))  # short: asterisk.ctl path limit
    port = free_port(socket.SOCK_DGRAM)
    pbx = Pbx(f"127.0.0.1:{port}", d / "asterisk.out")
    proc: subprocess.Popen[bytes] | None = None
    try:
        conf = _write_asterisk_config(d, port)
        with pbx.out.open("wb") as log:
            proc = subprocess.Popen(
                [*root_argv(ROOT, ASTERISK), "-C", str(conf), "-f", "-n", "-vvv"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 20
        while b"Asterisk Ready." not in pbx.out.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Asterisk did not start (rc={proc.poll()})" + pbx.tail())
            time.sleep(0.1)
        yield pbx
    finally:
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def _active_seconds(x: np.ndarray, rate: int, threshold: float = 300.0) -> float:
    """Seconds of 20 ms frames whose RMS exceeds threshold (int16 scale)."""
    n = rate // 50
    frames = x[: len(x) // n * n].astype(np.float64).reshape(-1, n)
    return float((np.sqrt((frames**2).mean(axis=1)) > threshold).sum()) / 50


def _band_ratio(x: np.ndarray, rate: int, lo: float, hi: float) -> tuple[float, float]:
    """(peak frequency, share of spectral energy within [lo, hi] Hz)."""
    y = x.astype(np.float64)
    power = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[power.argmax()]), float(power[band].sum() / power.sum())


async def test_dial_600_records_the_prompt(pbx: Pbx, tmp_path: Path) -> None:
    async with BaresipUA(tmp_path / "301", "301", PASSWORDS["301"], pbx.registrar) as ua:
        await ua.dial("600")
        await ua.wait_call_established(10)
        await ua.wait_call_closed(20)  # Asterisk hangs up after the prompt
    x, rate = ua.recorded()
    assert rate == AUFILE_RATE
    active = _active_seconds(x, rate)
    assert len(x) / rate >= 4.0 and active >= 3.0, (
        f"recorded {len(x) / rate:.1f}s, {active:.1f}s non-silent" + pbx.tail())


async def test_call_between_phones_carries_a_440_hz_tone(pbx: Pbx, tmp_path: Path) -> None:
    tone = tmp_path / "tone.wav"
    t = np.arange(3 * 16000) / 16000  # 16 kHz on purpose: BaresipUA converts to 8 kHz
    write_wav(tone, 0.5 * np.sin(2 * np.pi * 440 * t), 16000)
    async with (
        BaresipUA(tmp_path / "302", "302", PASSWORDS["302"], pbx.registrar,
                  auto_answer=True) as callee,
        BaresipUA(tmp_path / "301", "301", PASSWORDS["301"], pbx.registrar,
                  play_wav=tone) as caller,
    ):
        await caller.dial("302")
        incoming = await callee.wait_incoming(10)
        await caller.wait_call_established(10)
        await asyncio.sleep(3.5)
        await caller.hangup()
        await caller.wait_call_closed(5)
        await callee.wait_call_closed(5)
    assert "301" in incoming["peeruri"]
    x, rate = callee.recorded()
    assert _active_seconds(x, rate) >= 2.0, "callee heard too little" + pbx.tail()
    peak, share = _band_ratio(x, rate, 420, 460)
    assert abs(peak - 440) < 5 and share > 0.8, f"peak {peak:.0f} Hz, {share:.0%} near 440 Hz"
    back, _ = caller.recorded()  # the callee sent silence
    assert _active_seconds(back, rate) == 0.0


async def test_wrong_password_fails_registration_clearly(pbx: Pbx, tmp_path: Path) -> None:
    ua = BaresipUA(tmp_path / "bad", "301", "not-the-password", pbx.registrar)
    with pytest.raises(RegistrationError, match="401 Unauthorized") as err:
        await ua.start(timeout=10)
    assert "last baresip output" in str(err.value)
    assert ua.pid is not None and not ua.running
    with pytest.raises(ProcessLookupError):  # reaped, not orphaned
        os.kill(ua.pid, 0)
