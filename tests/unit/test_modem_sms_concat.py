"""Reassembly of concatenated SMS, out of order, with duplicates, loss and a bound."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from modem.sms import Reassembler, SmsDeliver, decode_deliver, encode_deliver

# oFono unit/test-sms.c assembly_pdu1..3 (VolvoGroup/ofono mirror): a three-part UCS2 message
# from "5555", reference 0x1E, DCS 0x19. Hex copied verbatim.
OFONO_PARTS = [
    "038121F340048155550119906041001222048C0500"
    "031E0301041804420430043A002C002004100"
    "43B0435043A04410430043D04340440002000"
    "200441043B044304480430043B00200437043"
    "000200434043204350440044C044E00200020"
    "04380020002004320441043500200431043E0"
    "43B044C044804350020043F04400435043804"
    "41043F043E043B043D044F043B0441044F002"
    "000200433043D0435",
    "038121F340048155550119906041001222048C0500"
    "031E03020432043E043C002E000A041D04300"
    "43A043E043D04350446002C0020043D043500"
    "200432002004410438043B043004450020043"
    "40430043B043504350020044204350440043F"
    "04350442044C002C0020043E043D002004410"
    "44204400435043C043804420435043B044C04"
    "3D043E002004320431043504360430043B002"
    "004320020043A043E",
    "038121F340048155550119906041001222044A0500"
    "031E0303043C043D043004420443002C00200"
    "43F043E043704300431044B0432000A043404"
    "3004360435002C002004470442043E0020002"
    "00431044B043B0020043D04300433002E",
]
OFONO_TEXT = (
    "Итак, Александр  слушал за дверью  и  все больше преисполнялся  гневом.\n"
    "Наконец, не в силах далее терпеть, он стремительно вбежал в комнату, позабыв\n"
    "даже, что  был наг."
)
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))


def test_ofono_ucs2_parts_reassemble_in_any_order() -> None:
    parts = [decode_deliver(h) for h in OFONO_PARTS]
    for order in ([2, 0, 1], [1, 2, 0], [0, 1, 2]):
        assembler = Reassembler()
        results = [assembler.add(parts[i]) for i in order]
        assert results[:2] == [None, None]
        whole = results[2]
        assert whole is not None
        assert (whole.sender, whole.text, whole.concat) == ("5555", OFONO_TEXT, None)
        assert whole.time == parts[0].time
        assert assembler.pending == 0


def test_single_messages_pass_straight_through() -> None:
    sms = decode_deliver(encode_deliver("+27821231234", "hi", WHEN)[0])
    assert Reassembler().add(sms) == sms
    # python-gsmmodem test_pdu.py: a "multipart" of one part (concat IE C3/01/01).
    one = decode_deliver(
        "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941"
        "B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565"
        "D0DB0D82C55EB0DB4B068BCD5C20"
    )
    assert one.concat == (0xC3, 1, 1)
    whole = Reassembler().add(one)
    assert whole is not None and whole.concat is None and whole.text.startswith("Hello!You")


def test_duplicates_do_not_complete_a_message_and_senders_do_not_mix() -> None:
    a = [decode_deliver(h) for h in encode_deliver("+111", "a" * 200, WHEN, reference=7)]
    b = [decode_deliver(h) for h in encode_deliver("+222", "b" * 200, WHEN, reference=7)]
    assembler = Reassembler()
    assert assembler.add(a[0]) is None
    assert assembler.add(a[0]) is None  # the modem delivered part 1 twice
    assert assembler.add(b[1]) is None
    assert assembler.pending == 2
    done_a = assembler.add(a[1])
    done_b = assembler.add(b[0])
    assert done_a is not None and done_a.text == "a" * 200 and done_a.sender == "+111"
    assert done_b is not None and done_b.text == "b" * 200 and done_b.sender == "+222"


def test_bound_on_pending_messages_hands_over_the_oldest_partial() -> None:
    evicted: list[SmsDeliver] = []
    assembler = Reassembler(max_pending=2, on_evict=evicted.append)
    for ref in range(3):
        first = decode_deliver(encode_deliver("+1", f"{ref}" * 170, WHEN, reference=ref)[0])
        assert assembler.add(first) is None
    assert assembler.pending == 2
    assert [e.text for e in evicted] == ["0" * 153]
    assert [m.text for m in assembler.flush()] == ["1" * 153, "2" * 153]
    assert assembler.pending == 0


def test_reused_reference_with_another_total_starts_over() -> None:
    evicted: list[SmsDeliver] = []
    assembler = Reassembler(on_evict=evicted.append)
    old = decode_deliver(encode_deliver("+1", "x" * 400, WHEN, reference=3)[0])  # 1 of 3
    new = [decode_deliver(h) for h in encode_deliver("+1", "y" * 200, WHEN, reference=3)]
    assert assembler.add(old) is None
    assert assembler.add(new[0]) is None
    assert [e.text for e in evicted] == ["x" * 153]
    done = assembler.add(new[1])
    assert done is not None and done.text == "y" * 200


def test_surrogate_pair_split_by_another_sender_is_joined() -> None:
    # Some phones split UCS2 parts mid surrogate pair; each part alone has half an emoji.
    text = "ab😀"
    units = text.encode("utf-16-be")
    base = decode_deliver(encode_deliver("+1", "x", WHEN)[0])
    halves = [
        units[:6].decode("utf-16-be", "surrogatepass"),
        units[6:].decode("utf-16-be", "surrogatepass"),
    ]
    parts = [replace(base, text=h, concat=(9, 2, i + 1)) for i, h in enumerate(halves)]
    assembler = Reassembler()
    assert assembler.add(parts[1]) is None
    whole = assembler.add(parts[0])
    assert whole is not None and whole.text == text


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=161, max_size=700), st.randoms(use_true_random=False))
def test_any_long_text_reassembles_from_shuffled_parts(text: str, rng: random.Random) -> None:
    parts = [decode_deliver(h) for h in encode_deliver("+27821231234", text, WHEN, reference=42)]
    assert len(parts) > 1  # over 160 septets / 70 UCS2 units
    order = list(range(len(parts)))
    rng.shuffle(order)
    assembler = Reassembler()
    results = [assembler.add(parts[i]) for i in order]
    assert results[:-1] == [None] * (len(parts) - 1)
    whole = results[-1]
    assert whole is not None and whole.text == text and whole.concat is None
