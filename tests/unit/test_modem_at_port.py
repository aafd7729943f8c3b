"""modem.at.port on real ptys: the same kernel tty path a USB modem's port takes."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator

import pytest

from modem.at import AtEngine, Dtmf, Event, PortGone, Response, open_port


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """(master fd, slave path); the test side plays the modem on the master."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    yield master, path
    with contextlib.suppress(OSError):  # the unplug test closed it already
        os.close(master)


def answer_on(master: int, replies: dict[bytes, bytes]) -> list[bytes]:
    """Make the master answer each command line it reads; returns what it received."""
    received: list[bytes] = []

    def readable() -> None:
        data = os.read(master, 4096)
        received.append(data)
        for command, reply in replies.items():
            if command in data:
                os.write(master, reply)

    asyncio.get_running_loop().add_reader(master, readable)
    return received


async def test_command_and_urc_over_a_pty(pty: tuple[int, str]) -> None:
    master, path = pty
    sent = answer_on(master, {b"AT+CSQ\r": b"\r\n+CSQ: 22,0\r\n\r\r\n+RXDTMF: 8\r\r\n\r\nOK\r\n"})
    port = await open_port(path)
    events: list[Event] = []
    engine = AtEngine(port, events.append)
    task = asyncio.create_task(engine.run())
    try:
        assert await engine.command("AT+CSQ") == Response("AT+CSQ", ["+CSQ: 22,0"], "OK")
        assert events == [Dtmf("8")]
        assert b"".join(sent) == b"AT+CSQ\r"
    finally:
        asyncio.get_running_loop().remove_reader(master)
        task.cancel()
        port.close()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_write_larger_than_the_tty_buffer_waits_and_arrives_whole(
    pty: tuple[int, str],
) -> None:
    master, path = pty
    port = await open_port(path)
    data = bytes(range(256)) * 1024  # 256 kB, far more than a pty buffers
    received = bytearray()

    async def drain() -> None:
        while len(received) < len(data):
            await asyncio.sleep(0.001)
            with contextlib.suppress(BlockingIOError):
                received.extend(os.read(master, 65536))

    os.set_blocking(master, False)
    try:
        await asyncio.wait_for(asyncio.gather(port.write(data), drain()), 10)
    finally:
        port.close()
    assert bytes(received) == data


async def test_unplug_ends_run_with_port_gone_and_fails_the_pending_command(
    pty: tuple[int, str],
) -> None:
    master, path = pty
    port = await open_port(path)
    engine = AtEngine(port, lambda event: None)
    task = asyncio.create_task(engine.run())
    pending = asyncio.create_task(engine.command("AT+CSQ", timeout=5))
    await asyncio.sleep(0.05)
    os.close(master)  # what the USB modem vanishing looks like to the tty
    with pytest.raises(PortGone, match=path):
        await asyncio.wait_for(task, 2)
    with pytest.raises(PortGone):
        await asyncio.wait_for(pending, 1)
    with pytest.raises(PortGone):
        await engine.command("AT")
    port.close()


async def test_open_a_missing_port_names_the_path(tmp_path: object) -> None:
    missing = f"{tmp_path}/sim7600-at"
    with pytest.raises(PortGone, match=f"^cannot open {missing}: no such device"):
        await open_port(missing)


async def test_a_port_already_open_is_reported_as_in_use(pty: tuple[int, str]) -> None:
    _, path = pty
    port = await open_port(path)
    try:
        with pytest.raises(PortGone, match=f"^cannot open {path}: in use by another program"):
            await open_port(path)
    finally:
        port.close()


async def test_read_after_close_is_port_gone(pty: tuple[int, str]) -> None:
    _, path = pty
    port = await open_port(path)
    port.close()
    with pytest.raises(PortGone, match="closed"):
        await port.read()
    with pytest.raises(PortGone, match="closed"):
        await port.write(b"AT\r")
