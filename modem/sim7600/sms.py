"""SMS over the AT port in PDU mode (AT+CMGF=0) and text mode (AT+CMGF=1).

Sending: PDU mode sends one AT+CMGS=<tpdu_length> per part. Text mode sends GSM-7 text with
AT+CSCS="GSM" and anything else as UCS2 hex with AT+CSCS="UCS2" + AT+CSMP=17,167,0,8; a text
that needs several parts goes out in PDU mode (text mode has no concatenation header), so
the recipient still sees one message. Reading is done in PDU mode in both modes: only the
PDU has the concatenation header, so only then can the parts be put back together.
"""

from __future__ import annotations

import logging
import random

from modem.at.engine import AtEngine
from modem.at.errors import AtError, AtTimeout, PortGone
from modem.sim7600.events import SmsReceived
from modem.sms import (
    Reassembler,
    SmsDeliver,
    decode_deliver,
    decode_text_body,
    encode_submit,
    encode_text_body,
    parse_text_header,
    split_text,
)
from modem.sms.gsm7 import is_gsm7

log = logging.getLogger(__name__)

SEND_TIMEOUT = 40.0  # the network's answer to AT+CMGS can take half a minute
_UNSAFE_IN_TEXT_MODE = "\x1a\x1b"  # Ctrl-Z ends the text, ESC aborts it (GSM septets 0x1A/0x1B)
_RECEIVED_PDU = ("0", "1")  # +CMGR/+CMGL <stat> in PDU mode: REC UNREAD, REC READ


def check_number(number: str) -> None:
    plain = number[1:] if number.startswith("+") else number
    if not plain or not all(c in "0123456789*#" for c in plain):
        raise ValueError(f"not a phone number: {number!r}")


class SmsService:
    """SMS commands on one engine; remembers the modem's SMS settings to skip repeats."""

    def __init__(self, engine: AtEngine, mode: str, reassembler: Reassembler) -> None:
        if mode not in ("pdu", "text"):
            raise ValueError(f"sms_mode must be 'pdu' or 'text', not {mode!r}")
        self._engine = engine
        self.mode = mode
        self.reassembler = reassembler
        self._settings: dict[str, str] = {}  # "+CMGF" -> "AT+CMGF=0" as last set
        self._reference = random.randrange(256)  # concatenation reference, one per message

    async def setup(self) -> None:
        """The SMS part of init: mode, storage on the SIM, +CMTI for each new message."""
        await self._set("AT+CMGF=1" if self.mode == "text" else "AT+CMGF=0")
        await self._engine.command('AT+CPMS="SM","SM","SM"')
        await self._engine.command("AT+CNMI=2,1,0,0,0")

    async def _set(self, cmd: str) -> None:
        key = cmd.partition("=")[0]
        if self._settings.get(key) != cmd:
            await self._engine.command(cmd)
            self._settings[key] = cmd

    async def _csmp(self, cmd: str) -> None:
        """Text-mode parameters (the DCS says GSM-7 or UCS2); a modem that refuses them
        picks the coding from AT+CSCS itself, so the send goes ahead with a warning."""
        try:
            await self._set(cmd)
        except AtError as e:
            if isinstance(e, PortGone | AtTimeout):
                raise
            log.warning("modem refused %s, sending anyway: %s", cmd, e)

    async def send(self, number: str, text: str) -> list[int]:
        """Send now; the message references the network gave (one per part)."""
        check_number(number)
        if not text:
            raise ValueError("an SMS needs some text")
        if self.mode == "text" and len(split_text(text)[1]) == 1:
            return [await self._send_text(number, text)]
        if self.mode == "pdu":
            return await self._send_pdu(number, text)
        await self._set("AT+CMGF=0")
        try:
            return await self._send_pdu(number, text)
        finally:
            await self._set("AT+CMGF=1")

    async def _send_pdu(self, number: str, text: str) -> list[int]:
        self._reference = (self._reference + 1) % 256
        refs = []
        for part in encode_submit(number, text, reference=self._reference):
            resp = await self._engine.command_with_body(
                f"AT+CMGS={part.tpdu_length}", part.hex.encode(), timeout=SEND_TIMEOUT)
            refs.append(_reference(resp.first("+CMGS")))
        return refs

    async def _send_text(self, number: str, text: str) -> int:
        body = encode_text_body(text, ucs2=False) if is_gsm7(text) else _UNSAFE_IN_TEXT_MODE
        if not any(c in body for c in _UNSAFE_IN_TEXT_MODE):
            await self._set('AT+CSCS="GSM"')
            await self._csmp("AT+CSMP=17,167,0,0")
            cmd = f'AT+CMGS="{number}"'
        else:
            await self._set('AT+CSCS="UCS2"')
            await self._csmp("AT+CSMP=17,167,0,8")
            body = encode_text_body(text, ucs2=True)
            cmd = f'AT+CMGS="{encode_text_body(number, ucs2=True)}"'
        resp = await self._engine.command_with_body(cmd, body.encode("ascii"),
                                                    timeout=SEND_TIMEOUT)
        return _reference(resp.first("+CMGS"))

    async def read(self, index: int) -> SmsReceived | None:
        """The message at ``index``; None for an empty slot, a message we sent, or a part
        of a multipart message still waiting for its other parts (kept in the reassembler).
        Read in PDU mode whatever the mode: only the PDU carries the concatenation header
        (text mode shows each part as a message of its own)."""
        await self._set("AT+CMGF=0")
        try:
            resp = await self._engine.command(f"AT+CMGR={index}")
        finally:
            if self.mode == "text":
                await self._set("AT+CMGF=1")
        header = next((n for n, line in enumerate(resp.lines) if line.startswith("+CMGR:")), None)
        # The PDU line follows the header; a blank line between them is tolerated.
        pdu = next((x.strip() for x in resp.lines[(header or 0) + 1 :] if x.strip()), "")
        if header is None or not pdu:
            return None  # an empty slot: OK and nothing else
        status = resp.lines[header].partition(":")[2].split(",")[0].strip()
        if status not in _RECEIVED_PDU:
            return None
        return self._whole(decode_deliver(pdu))

    def pushed(self, header: str, body: str) -> SmsReceived | None:
        """A message the modem pushed with ``+CMT:`` instead of storing it (AT+CNMI=2,2)."""
        if header.startswith('"'):  # text mode, in the character set last chosen
            ucs2 = self._settings.get("AT+CSCS") == 'AT+CSCS="UCS2"'
            _, sender, time = parse_text_header(header, ucs2=ucs2)
            return SmsReceived(sender, decode_text_body(body, ucs2=ucs2), time)
        return self._whole(decode_deliver(body.strip()))

    def _whole(self, part: SmsDeliver) -> SmsReceived | None:
        whole = self.reassembler.add(part)
        return SmsReceived(whole.sender, whole.text, whole.time) if whole else None

    async def delete(self, index: int) -> None:
        await self._engine.command(f"AT+CMGD={index}")

    async def stored(self) -> list[int]:
        """Indexes of the received messages on the SIM (e.g. those that came while we were
        away); AT+CMGL in PDU mode lists them all whatever their text."""
        await self._set("AT+CMGF=0")
        try:
            resp = await self._engine.command("AT+CMGL=4", timeout=20.0)
        finally:
            if self.mode == "text":
                await self._set("AT+CMGF=1")
        indexes = []
        for line in resp.lines:
            if line.startswith("+CMGL:"):
                fields = line.partition(":")[2].split(",")
                if len(fields) > 1 and fields[1].strip() in _RECEIVED_PDU:
                    indexes.append(int(fields[0]))
        return indexes


def _reference(value: str | None) -> int:
    if value is None or not value.strip().isdigit():
        raise AtError(f"AT+CMGS: no message reference in the reply ({value!r})")
    return int(value.strip())
