"""The fake SIM7600 as a host sees it: bytes on its ptys, read and written with pyserial.

Formats are the ones in /work/shared/notes/sim7600.md, checked byte for byte.
"""

from __future__ import annotations

import re
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import serial

from tests.unit.modem_sim_host import BOOT, Host, SimThread, booted_host

NUMBER = "+27821231234"
CALL_INIT = ("ATE0", "AT+CMEE=2", "AT+CLIP=1", "AT+CLCC=1", "AT+CVHU=0", "AT+DDET=1")


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[Callable[..., SimThread]]:
    sims: list[SimThread] = []

    def make(**config: Any) -> SimThread:
        sims.append(SimThread(tmp_path / f"sim{len(sims)}", **config))
        return sims[-1]

    yield make
    for sim in sims:
        sim.close()


def test_boot_then_init_commands_byte_for_byte(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim(sim_busy_seconds=0.8)
    host = Host(sim.sim.at_path)  # opened before RDY, as a host waiting for the modem
    assert host.read_until(b"RDY\r\n") == b"\r\nRDY\r\n"
    # Echo is on until ATE0, and the echo includes the \r.
    assert host.command("AT") == b"AT\r\r\nOK\r\n"
    assert host.command("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert host.command("AT") == b"\r\nOK\r\n"
    assert host.command("AT+CPIN?", b"ERROR\r\n") == b"\r\nERROR\r\n"  # CMEE=0
    assert host.command("AT+CMEE=1") == b"\r\nOK\r\n"
    assert host.command("AT+CPIN?", b"14\r\n") == b"\r\n+CME ERROR: 14\r\n"
    host.command("AT+CMEE=2")
    assert host.command("AT+CPIN?", b"busy\r\n") == b"\r\n+CME ERROR: SIM busy\r\n"
    assert host.read_until(b"PB DONE\r\n", 2) == BOOT[len(b"\r\nRDY\r\n"):]
    assert host.command("AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert host.command("AT+CREG=2;+CEREG=2") == b"\r\nOK\r\n"
    assert host.command("AT+CREG?") == b'\r\n+CREG: 2,1,"1A2B","01C2D3E4"\r\n\r\nOK\r\n'
    assert host.command("AT+CEREG?") == b'\r\n+CEREG: 2,1,"1A2B","01C2D3E4",7\r\n\r\nOK\r\n'
    host.command("AT+COPS=3,0")
    assert host.command("AT+COPS?") == b'\r\n+COPS: 0,0,"Simulated Network",7\r\n\r\nOK\r\n'
    assert host.command("AT+CSQ") == b"\r\n+CSQ: 22,0\r\n\r\nOK\r\n"
    assert host.command("AT+CGMM") == b"\r\nSIMCOM_SIM7600G-H\r\n\r\nOK\r\n"
    assert b"Model: SIMCOM_SIM7600G-H\r\n" in host.command("ATI")
    assert host.command('AT+CSCS="UTF-8"', b"ERROR\r\n") == b"\r\nERROR\r\n"
    assert host.command('AT+CSCS="UCS2"') == b"\r\nOK\r\n"
    assert host.command('AT+CPMS="SM","SM","SM"') == b"\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"
    assert host.command("AT+CNMI=2,1,0,0,0") == b"\r\nOK\r\n"
    assert host.command("AT+AUTOCSQ=1,1") == b"\r\nOK\r\n"
    assert host.command("AT+NOSUCH", b"ERROR\r\n") == b"\r\nERROR\r\n"
    sim.run(sim.sim.set_signal(9))
    assert host.read_until(b"\r\n", 2) + host.read_until(b"\r\n") == b"\r\n+CSQ: 9,0\r\n"
    host.close()


def test_no_sim_and_pin(make_sim: Callable[..., SimThread]) -> None:
    absent = make_sim(sim="absent")
    host = Host(absent.sim.at_path)
    assert host.read_until(b"REMOVED\r\n") == b"\r\nRDY\r\n\r\n+CPIN: SIM REMOVED\r\n"
    host.command("ATE0")
    host.command("AT+CMEE=2")
    assert host.command("AT+CPIN?", b"inserted\r\n") == b"\r\n+CME ERROR: SIM not inserted\r\n"
    host.command("AT+CMEE=1")
    assert host.command("AT+CPIN?", b"10\r\n") == b"\r\n+CME ERROR: 10\r\n"
    with pytest.raises(ValueError, match="not registered"):
        absent.run(absent.sim.ring(NUMBER))
    host.close()

    locked = make_sim(sim="pin", pin="4321")
    host = Host(locked.sim.at_path)
    assert host.read_until(b"SIM PIN\r\n") == b"\r\nRDY\r\n\r\n+CPIN: SIM PIN\r\n"
    host.command("ATE0")
    host.command("AT+CMEE=2")
    assert host.command("AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert host.command("AT+CPIN=1111", b"password\r\n") == \
        b"\r\n+CME ERROR: incorrect password\r\n"
    assert host.command("AT+CPIN=4321") == b"\r\nOK\r\n"
    assert host.read_until(b"PB DONE\r\n") == b"\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"
    host.close()


def test_no_network_then_registration_urc(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim(network=0)
    host = booted_host(sim, ("ATE0", "AT+CMEE=2", "AT+CREG=1", "AT+CLCC=1"))
    assert host.command("AT+CREG?") == b"\r\n+CREG: 1,0\r\n\r\nOK\r\n"
    assert host.command("AT+COPS?") == b"\r\n+COPS: 0\r\n\r\nOK\r\n"
    assert host.command("ATD+27825551234;", b"service\r\n") == \
        b"\r\n+CME ERROR: no network service\r\n"
    with pytest.raises(ValueError, match="not registered"):
        sim.run(sim.sim.ring(NUMBER))
    sim.run(sim.sim.set_network(5))
    assert host.read_until(b"\r\n", 2) + host.read_until(b"\r\n") == b"\r\n+CREG: 5\r\n"
    host.close()


def _wav(path: Path, samples: np.ndarray, rate: int) -> bytes:
    pcm = samples.astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return pcm


def test_ring_answer_audio_and_far_end_hangup(make_sim: Callable[..., SimThread],
                                              tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    speech = _wav(tmp_path / "caller.wav", rng.integers(-8000, 8000, 8000), 8000)  # 1 s
    sim = make_sim(ring_interval=1.0)
    host = booted_host(sim, CALL_INIT)
    audio = Host(sim.sim.audio_path)
    assert host.command("AT+CPCMREG=1", b"ERROR\r\n") == b"\r\nERROR\r\n"  # no call yet

    sim.run(sim.sim.ring(NUMBER, wav=str(tmp_path / "caller.wav")))
    assert host.read_until(b",0\r\n") == (
        b'\r\nRING\r\n\r\n+CLCC: 1,1,4,0,0,"+27821231234",145\r\n'
        b'\r\n+CLIP: "+27821231234",145,,,,0\r\n')
    assert host.command("ATA", b"145\r\n") == (
        b'\r\nVOICE CALL: BEGIN\r\n\r\nOK\r\n\r\n+CLCC: 1,1,0,0,0,"+27821231234",145\r\n')
    assert host.command("AT+CPCMREG?") == b"\r\n+CPCMREG: 0\r\n\r\nOK\r\n"
    assert audio.quiet(0.2) == b""  # nothing flows before AT+CPCMREG=1

    assert host.command("AT+CPCMREG=1") == b"\r\nOK\r\n"
    start = time.monotonic()
    sent = bytes(range(256)) * 25  # 6400 bytes = 20 frames, what the host "says"
    got = b""
    for i in range(0, len(sent), 320):  # one frame every 20 ms, reading as we go
        audio.port.write(sent[i:i + 320])
        got += audio.port.read(4096)
    while time.monotonic() - start < 1.5:
        got += audio.port.read(4096)
    elapsed = time.monotonic() - start
    assert got[:len(speech)] == speech  # the caller's samples, exactly, then silence
    assert set(got[len(speech):]) == {0}
    # 16 kB/s: paced, neither a burst nor starved (generous: a loaded 2-core box).
    assert 0.75 * 16000 <= len(got) / elapsed <= 1.25 * 16000, len(got) / elapsed

    sim.run(sim.sim.hangup())
    end = host.read_until(b"NO CARRIER\r\n")
    assert re.fullmatch(rb'\r\n\+CLCC: 1,1,6,0,0,"\+27821231234",145\r\n'
                        rb"\r\nVOICE CALL: END: 00000[12]\r\n\r\nNO CARRIER\r\n", end), end
    state = sim.state()
    assert state["calls"] == [] and state["cpcmreg"] is False
    assert state["audio_rx_bytes"] == len(sent)
    sim.run(sim.sim.save_audio(tmp_path / "heard.wav"))
    for wav_path in (tmp_path / "heard.wav", Path(state["recording"])):
        with wave.open(str(wav_path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            assert w.readframes(w.getnframes()) == sent
    assert host.command("AT+CPCMREG=1", b"ERROR\r\n") == b"\r\nERROR\r\n"  # call is over
    host.close()
    audio.close()


def test_resampled_wav_and_refused_first_pcm_attempt(make_sim: Callable[..., SimThread],
                                                     tmp_path: Path) -> None:
    t = np.arange(16000) / 16000.0
    _wav(tmp_path / "tone16k.wav", np.sin(2 * np.pi * 1000 * t) * 12000, 16000)
    sim = make_sim(pcm_refusals=1)
    host = booted_host(sim, CALL_INIT)
    audio = Host(sim.sim.audio_path)
    sim.run(sim.sim.ring(NUMBER, wav=str(tmp_path / "tone16k.wav")))
    host.command("ATA")
    assert host.command("AT+CPCMREG=1", b"ERROR\r\n").endswith(b"\r\nERROR\r\n")
    assert host.command("AT+CPCMREG=1") .endswith(b"\r\nOK\r\n")  # the retry is accepted
    got = np.frombuffer(audio.read_until(b"\x00" * 640, 3)[:16000], "<i2")
    spectrum = np.abs(np.fft.rfft(got[400:6400]))
    peak_hz = np.argmax(spectrum) * 8000 / len(got[400:6400])
    assert abs(peak_hz - 1000) < 20  # a 1 kHz tone at 16 kHz became a 1 kHz tone at 8 kHz
    assert 6000 <= len(got) <= 8200  # 1 s at 8 kHz (the silence search may cut a little)
    assert host.command("AT+CPCMREG=0") == b"\r\nOK\r\n"
    audio.quiet(0.1)
    assert audio.quiet(0.2) == b""
    host.close()
    audio.close()


def test_missed_call_after_max_rings(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim(max_rings=2, ring_interval=0.2)
    host = booted_host(sim, ("ATE0", "AT+CLCC=1"))
    sim.run(sim.sim.ring("08020866256"))
    got = host.read_until(b"\r\nMISSED_CALL: ", 2) + host.read_until(b"\r\n")
    assert re.fullmatch(
        rb'\r\nRING\r\n\r\n\+CLCC: 1,1,4,0,0,"08020866256",129\r\n\r\nRING\r\n'
        rb'\r\n\+CLCC: 1,1,6,0,0,"08020866256",129\r\n'
        rb"\r\nMISSED_CALL: (0\d|1[0-2]):[0-5]\dAM|PM 08020866256\r\n".replace(b"AM|PM", b"[AP]M"),
        got), got
    assert host.command("ATA", b"NO CARRIER\r\n") == b"\r\nNO CARRIER\r\n"
    host.close()


def _ring_and_answer(sim: SimThread, host: Host) -> None:
    sim.run(sim.sim.ring(NUMBER))
    host.read_until(b"RING\r\n", 2)
    host.command("ATA", b"VOICE CALL: BEGIN\r\n\r\nOK\r\n")
    assert host.read_until(b"145\r\n") == b'\r\n+CLCC: 1,1,0,0,0,"+27821231234",145\r\n'
    assert host.quiet(0.1) == b""  # no more RINGs once answered


def test_dtmf_both_ways(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim()
    host = booted_host(sim, ("ATE0", "AT+CMEE=2", "AT+CLCC=1", "AT+CVHU=0"))
    _ring_and_answer(sim, host)
    assert sim.run(sim.sim.dtmf("5")) is False  # no AT+DDET=1 yet: the modem keeps quiet
    host.command("AT+DDET=1")
    assert sim.run(sim.sim.dtmf("#")) is True
    assert host.read_until(b"#\r\r\n") == b"\r\r\n+RXDTMF: #\r\r\n"
    for cmd in ("AT+VTS=1", "AT+VTS=2,20", 'AT+VTS="3,4,5"'):
        assert host.command(cmd) == b"\r\nOK\r\n"
    assert host.command("AT+VTS=X", b"ERROR\r\n") == b"\r\nERROR\r\n"
    assert sim.state()["dtmf_sent"] == [
        {"digit": "1", "tenths": None}, {"digit": "2", "tenths": 20},
        {"digit": "3", "tenths": None}, {"digit": "4", "tenths": None},
        {"digit": "5", "tenths": None}]
    end = host.command("ATH")
    assert re.fullmatch(rb'\r\n\+CLCC: 1,1,6,0,0,"\+27821231234",145\r\n'
                        rb"\r\nVOICE CALL: END: 00000[01]\r\n\r\nOK\r\n", end), end
    host.close()


@pytest.mark.parametrize(("outcome", "final"), [
    ("answer", b"VOICE CALL: BEGIN"), ("busy", b"BUSY"), ("no_answer", b"NO ANSWER")])
def test_outgoing_call(make_sim: Callable[..., SimThread], outcome: str, final: bytes) -> None:
    sim = make_sim(dial_outcome=outcome)
    host = booted_host(sim, ("ATE0", "AT+CLCC=1"))
    dialing = b'\r\n+CLCC: 1,0,2,0,0,"0825551234",129\r\n'
    assert host.command("ATD0825551234;", b"129\r\n") == b"\r\nOK\r\n" + dialing
    got = host.read_until(final + b"\r\n", 2)
    assert got.startswith(b'\r\n+CLCC: 1,0,3,0,0,"0825551234",129\r\n')
    if outcome == "answer":
        assert host.read_until(b"129\r\n") == b'\r\n+CLCC: 1,0,0,0,0,"0825551234",129\r\n'
        assert sim.state()["calls"][0]["state"] == "active"
    else:
        assert b'+CLCC: 1,0,6,0,0,"0825551234",129' in got and sim.state()["calls"] == []
        reason = {"busy": b"User busy", "no_answer": b"No answer"}[outcome]
        assert host.command("AT+CEER") == b"\r\n+CEER: " + reason + b"\r\n\r\nOK\r\n"
    host.close()


def test_call_waiting_rejected(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim()
    host = booted_host(sim, ("ATE0", "AT+CLCC=1"))
    _ring_and_answer(sim, host)
    sim.run(sim.sim.waiting("0831112222"))
    assert host.read_until(b"129\r\n", 2) == (
        b'\r\n+CCWA: "0831112222",129,1\r\n\r\n+CLCC: 2,1,5,0,0,"0831112222",129\r\n')
    assert host.command("AT+CHLD=0") == b'\r\n+CLCC: 2,1,6,0,0,"0831112222",129\r\n\r\nOK\r\n'
    assert [c["id"] for c in sim.state()["calls"]] == [1]
    host.close()


def test_unplug_and_replug_through_the_symlink(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim()
    host = booted_host(sim)
    audio = Host(sim.sim.audio_path)
    sim.run(sim.sim.unplug(None))
    for port in (host.port, audio.port):
        with pytest.raises(serial.SerialException):  # as pyserial reports a vanished USB modem
            for _ in range(20):
                port.read(1)
    audio.close()
    assert not sim.sim.at_path.exists() and not sim.sim.audio_path.is_symlink()
    with pytest.raises(ValueError, match="unplugged"):
        sim.run(sim.sim.ring(NUMBER))
    host.close()
    sim.run(sim.sim.plug())
    host = Host(sim.sim.at_path)
    assert host.read_until(b"PB DONE\r\n") == BOOT
    assert host.command("AT") == b"AT\r\r\nOK\r\n"  # a fresh boot: echo is on again
    host.command("ATE0")

    # AT+CRESET: OK, then the ports drop and come back (reset_seconds) with a new boot.
    assert host.command("AT+CRESET") == b"\r\nOK\r\n"
    with pytest.raises(serial.SerialException):
        for _ in range(40):
            host.port.read(1)
    host.close()
    deadline = time.monotonic() + 3
    while not sim.sim.at_path.exists():
        assert time.monotonic() < deadline, "ports did not come back after AT+CRESET"
        time.sleep(0.02)
    assert sim.state()["plugged"]
    host = Host(sim.sim.at_path)
    assert host.read_until(b"PB DONE\r\n") == BOOT
    host.close()


def test_silent_modem_answers_nothing(make_sim: Callable[..., SimThread]) -> None:
    sim = make_sim()
    host = booted_host(sim)
    sim.run(sim.sim.silent(True))
    host.port.write(b"AT\r")
    assert host.quiet(0.4) == b""
    sim.run(sim.sim.silent(False))
    assert host.command("AT") == b"\r\nOK\r\n"
    host.close()
