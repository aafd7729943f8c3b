"""SMS on the fake modem: the SIM store (+CMTI/+CMT, AT+CMGR/CMGL/CMGD) and AT+CMGS.

PDUs come from the project's codec (modem.sms): the store holds SMS-DELIVER hex PDUs as a
real SIM does, and the current AT+CMGF / AT+CSCS decide how they are shown. What the host
sends is decoded and kept, so tests can check the number and text that would have left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from modem.simulator.core import Command
from modem.simulator.state import PENDING, Ctx
from modem.sms import (
    SmsDeliver,
    decode_deliver,
    decode_submit,
    decode_text_body,
    encode_deliver,
    encode_text_body,
    format_text_header,
)
from modem.sms.fields import OctetReader, decode_address, decode_smsc, parse_dcs

CAPACITY = 30
STATUS = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT")
CHARSETS = ("IRA", "GSM", "UCS2")  # AT+CSCS="UTF-8" is refused (SIM7600E-H)


@dataclass
class Stored:
    pdu: str
    part: SmsDeliver
    time: datetime
    status: int = 0  # 0 unread, 1 read


@dataclass
class Sent:
    """One message the host sent (the parts of a concatenated one gathered together)."""

    number: str
    mode: str
    encoding: str  # "gsm7", "ucs2" or "8bit": how it went over the air
    total: int = 1
    reference: int | None = None
    parts: dict[int, str] = field(default_factory=dict)
    message_refs: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        text = "".join(self.parts[k] for k in sorted(self.parts))
        return {"number": self.number, "text": text, "mode": self.mode,
                "encoding": self.encoding,
                "parts": len(self.parts), "total": self.total, "mr": self.message_refs}


class Sms:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.store: dict[int, Stored] = {}
        self.sent: list[Sent] = []
        self._mr = 0
        self._reference = 0

    # ---- scripted: a message arrives ----

    def deliver(self, sender: str, text: str) -> list[int]:
        """Stores the message (several parts when long) and announces it; returns indexes."""
        if self.ctx.sim != "ready":
            raise ValueError(f"the SIM is not ready ({self.ctx.sim}): no SMS can arrive")
        time = datetime.now().astimezone().replace(microsecond=0)
        self._reference = (self._reference + 1) % 256
        pdus = encode_deliver(sender, text, time, reference=self._reference)
        free = [i for i in range(CAPACITY) if i not in self.store]
        if len(free) < len(pdus) and self.ctx.settings.cnmi_mt != 2:
            raise ValueError(f"SIM message store is full ({CAPACITY} messages)")
        indexes = []
        for pdu, index in zip(pdus, free):
            stored = Stored(pdu, decode_deliver(pdu), time)
            if self.ctx.settings.cnmi_mt == 2:  # routed straight to the host, not stored
                self._show(stored, "+CMT: ", status=False)
                continue
            self.store[index] = stored
            indexes.append(index)
            if self.ctx.settings.cnmi_mt == 1:
                self.ctx.wire.line(f'+CMTI: "SM",{index}')
        return indexes

    # ---- AT commands ----

    def handle(self, cmd: Command) -> str | None:
        s, wire = self.ctx.settings, self.ctx.wire
        if cmd.name == "+CMGF" and cmd.kind in ("set", "query"):
            if cmd.kind == "query":
                wire.line(f"+CMGF: {s.cmgf}")
            elif cmd.arg(0) in ("0", "1"):
                s.cmgf = int(cmd.arg(0))
            else:
                return "ERROR"
            return "OK"
        if cmd.name == "+CSCS" and cmd.kind in ("set", "query"):
            if cmd.kind == "query":
                wire.line(f'+CSCS: "{s.cscs}"')
            elif cmd.arg(0).upper() in CHARSETS:
                s.cscs = cmd.arg(0).upper()
            else:
                return "ERROR"
            return "OK"
        if cmd.name == "+CNMI" and cmd.kind in ("set", "query"):
            if cmd.kind == "query":
                wire.line(f"+CNMI: 2,{s.cnmi_mt},0,0,0")
            elif cmd.int_arg(1, 0) in (0, 1, 2):
                s.cnmi_mt = cmd.int_arg(1, 0) or 0
            else:
                return "ERROR"
            return "OK"
        if cmd.name == "+CSMP" and cmd.kind in ("set", "query"):
            if cmd.kind == "query":
                wire.line(f"+CSMP: 17,167,0,{s.csmp_dcs}")
            else:
                s.csmp_dcs = cmd.int_arg(3, s.csmp_dcs) or 0
            return "OK"
        if cmd.name not in ("+CPMS", "+CMGR", "+CMGL", "+CMGD", "+CMGS"):
            return None
        error = self.ctx.sim_error()
        if error:
            return error
        if cmd.name == "+CPMS":
            return self._cpms(cmd)
        if cmd.name == "+CMGR" and cmd.kind == "set":
            stored = self.store.get(cmd.int_arg(0, -1) or 0)
            if stored is not None:
                self._show(stored, "+CMGR: ", status=True)
            return "OK"  # an empty slot gives no lines
        if cmd.name == "+CMGL":
            return self._cmgl(cmd)
        if cmd.name == "+CMGD" and cmd.kind == "set":
            return self._cmgd(cmd)
        if cmd.name == "+CMGS" and cmd.kind == "set":
            return self._cmgs(cmd)
        return "ERROR"

    def _show(self, stored: Stored, prefix: str, status: bool, index: int | None = None) -> None:
        s, wire = self.ctx.settings, self.ctx.wire
        lead = f"{prefix}{index}," if index is not None else prefix
        if s.cmgf == 0:
            tpdu_len = len(stored.pdu) // 2 - 1 - int(stored.pdu[:2], 16)
            wire.line(f"{lead}{stored.status if status else ''},,{tpdu_len}")
            wire.body(stored.pdu)
        else:
            ucs2 = s.cscs == "UCS2"
            state = STATUS[stored.status] if status else ""
            wire.line(lead + format_text_header(stored.part.sender, stored.time,
                                                status=state, ucs2=ucs2))
            text = stored.part.text
            wire.body(text if s.cscs == "IRA" else encode_text_body(text, ucs2))
        if status:
            stored.status = 1

    def _cpms(self, cmd: Command) -> str:
        used = len(self.store)
        if cmd.kind == "query":
            self.ctx.wire.line(",".join([f'+CPMS: "SM",{used},{CAPACITY}'] +
                                        [f'"SM",{used},{CAPACITY}'] * 2))
        elif cmd.kind == "set" and all(a.upper() in ("SM", "ME", "MT") for a in cmd.args):
            self.ctx.wire.line(f"+CPMS: {used},{CAPACITY},{used},{CAPACITY},{used},{CAPACITY}")
        else:
            return self.ctx.cms(302)
        return "OK"

    def _cmgl(self, cmd: Command) -> str:
        text_mode = self.ctx.settings.cmgf == 1
        want = cmd.arg(0, "REC UNREAD" if text_mode else "0").upper()
        names = {"REC UNREAD": 0, "REC READ": 1, "ALL": 4} if text_mode else \
            {"0": 0, "1": 1, "4": 4}
        if want not in names:
            return self.ctx.cms(302)
        for index in sorted(self.store):
            stored = self.store[index]
            if names[want] in (4, stored.status):
                self._show(stored, "+CMGL: ", status=True, index=index)
        return "OK"

    def _cmgd(self, cmd: Command) -> str:
        index, flag = cmd.int_arg(0, -1), cmd.int_arg(1, 0) or 0
        if flag == 0:
            self.store.pop(index if index is not None else -1, None)
        else:  # 1 read, 2 read+sent, 3 read+sent+unsent, 4 all
            for i in [i for i, m in self.store.items() if flag == 4 or m.status == 1]:
                del self.store[i]
        return "OK"

    def _cmgs(self, cmd: Command) -> str:
        if not self.ctx.registered():
            return self.ctx.cms(331)  # no network service
        if self.ctx.settings.cmgf == 1:
            number = cmd.arg(0)
            if self.ctx.settings.cscs == "UCS2":
                try:
                    number = decode_text_body(number, True)
                except ValueError:
                    return self.ctx.cms(305)
            self.ctx.prompt = lambda body: self._sent_text(number, body)
        else:
            length = cmd.int_arg(0)
            if length is None or not 7 <= length <= 164:
                return self.ctx.cms(304)
            self.ctx.prompt = lambda body: self._sent_pdu(length, body)
        self.ctx.wire.raw(b"\r\n> ")
        return PENDING

    def _sent_text(self, number: str, body: bytes | None) -> None:
        if body is None:
            self.ctx.finish("OK")  # ESC: nothing sent
            return
        raw = body.decode("latin-1")  # IRA is 7-bit: anything else shows up mangled
        cscs = self.ctx.settings.cscs
        try:
            text = raw if cscs == "IRA" else decode_text_body(raw, cscs == "UCS2")
        except ValueError:
            self.ctx.finish(self.ctx.cms(305))
            return
        encoding = "ucs2" if self.ctx.settings.csmp_dcs == 8 else "gsm7"
        sent = Sent(number, "text", encoding, parts={1: text})
        self.sent.append(sent)
        self._confirm(sent)

    def _sent_pdu(self, length: int, body: bytes | None) -> None:
        if body is None:
            self.ctx.finish("OK")
            return
        hex_pdu = re.sub(rb"\s", b"", body).decode("latin-1")
        try:
            smsc_octets = 1 + int(hex_pdu[:2], 16)
            if len(hex_pdu) // 2 - smsc_octets != length:
                raise ValueError(f"AT+CMGS={length} but the TPDU has "
                                 f"{len(hex_pdu) // 2 - smsc_octets} octets")
            submit = decode_submit(hex_pdu)
        except ValueError:
            self.ctx.finish(self.ctx.cms(304))
            return
        sent = self._record(submit.number, submit.text, submit.concat, _alphabet(hex_pdu))
        self._confirm(sent)

    def _record(self, number: str, text: str, concat: tuple[int, int, int] | None,
                encoding: str) -> Sent:
        if concat is not None:
            ref, total, seq = concat
            for sent in reversed(self.sent):
                if (sent.number, sent.reference, sent.total) == (number, ref, total) \
                        and seq not in sent.parts:
                    sent.parts[seq] = text
                    return sent
        sent = Sent(number, "pdu", encoding, parts={1: text})
        if concat is not None:
            sent.reference, sent.total, sent.parts = concat[0], concat[1], {concat[2]: text}
        self.sent.append(sent)
        return sent

    def _confirm(self, sent: Sent) -> None:
        self._mr = (self._mr + 1) % 256
        mr = self._mr
        sent.message_refs.append(mr)
        self.ctx.timers.after(self.ctx.config.sms_send_delay, lambda: self._done(mr))

    def _done(self, mr: int) -> None:
        self.ctx.wire.line(f"+CMGS: {mr}")
        self.ctx.finish("OK")

    def sent_json(self) -> list[dict[str, object]]:
        return [s.to_json() for s in self.sent]

    def stored_json(self) -> list[dict[str, object]]:
        return [{"index": i, "sender": m.part.sender, "text": m.part.text,
                 "status": STATUS[m.status]} for i, m in sorted(self.store.items())]


def _alphabet(hex_pdu: str) -> str:
    """TP-DCS of an SMS-SUBMIT read with the codec's field readers (decode_submit omits it)."""
    reader = OctetReader(hex_pdu, "SMS-SUBMIT")
    decode_smsc(reader)
    reader.take(2, "first octet and TP-MR")
    decode_address(reader, "destination address")
    reader.octet("TP-PID")
    return parse_dcs(reader.octet("TP-DCS")).alphabet
