"""GSM 03.38 alphabet and septet packing against vectors published by python-gsmmodem."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modem.sms import gsm7

# (text, septet values, packed octets) from faucamp/python-gsmmodem test/test_pdu.py TestGsm7.
PYTHON_GSMMODEM_GSM7 = [
    ("123", [49, 50, 51], [49, 217, 12]),
    ("12345678", list(b"12345678"), [49, 217, 140, 86, 179, 221, 112]),
    ("123456789", list(b"123456789"), [49, 217, 140, 86, 179, 221, 112, 57]),
    (
        "Hello World!",
        [0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x57, 0x6F, 0x72, 0x6C, 0x64, 0x21],
        [200, 50, 155, 253, 6, 93, 223, 114, 54, 57, 4],
    ),
    (
        "[{abc}]~",
        [0x1B, 0x3C, 0x1B, 0x28, 0x61, 0x62, 0x63, 0x1B, 0x29, 0x1B, 0x3E, 0x1B, 0x3D],
        [27, 222, 6, 21, 22, 143, 55, 169, 141, 111, 211, 3],
    ),
    (
        "123456789012345678901234567890",
        list(b"123456789012345678901234567890"),
        [49, 217, 140, 86, 179, 221, 112, 57, 88, 76, 54, 163, 213, 108, 55, 92, 14, 22, 147]
        + [205, 104, 53, 219, 13, 151, 131, 1],
    ),
    (
        "{åΦΓΛΩΠΨΣΘ€}",
        [27, 40, 15, 18, 19, 20, 21, 22, 23, 24, 25, 27, 101, 27, 41],
        [27, 212, 67, 50, 161, 84, 44, 23, 76, 102, 83, 222, 164, 0],
    ),
    (
        "a[]{}€",
        [97, 27, 60, 27, 62, 27, 40, 27, 41, 27, 101],
        [225, 13, 111, 227, 219, 160, 54, 169, 77, 25],
    ),
]


@pytest.mark.parametrize(("text", "septets", "packed"), PYTHON_GSMMODEM_GSM7)
def test_published_vectors_encode_pack_and_back(
    text: str, septets: list[int], packed: list[int]
) -> None:
    assert gsm7.encode_septets(text) == septets
    assert gsm7.pack_septets(septets) == bytes(packed)
    assert gsm7.unpack_septets(bytes(packed), len(septets)) == septets
    assert gsm7.decode_septets(septets) == text


def test_every_extension_character_takes_an_escape_pair() -> None:
    for ch, code in [("€", 0x65), ("[", 0x3C), ("]", 0x3E), ("{", 0x28), ("}", 0x29)]:
        assert gsm7.encode_septets(ch) == [0x1B, code]
    for ch, code in [("^", 0x14), ("~", 0x3D), ("\\", 0x2F), ("|", 0x40), ("\f", 0x0A)]:
        assert gsm7.encode_septets(ch) == [0x1B, code]
    assert gsm7.septet_length("€[]{}^~\\|") == 18
    assert gsm7.septet_length("@£$") == 3


def test_characters_that_differ_from_ascii() -> None:
    # 23.038 6.2.1: '@' is 0x00, '$' is 0x02, '_' is 0x11, 0x24 is the currency sign.
    assert gsm7.encode_septets("@$_¤") == [0x00, 0x02, 0x11, 0x24]
    assert gsm7.decode_septets([0x00, 0x02, 0x11, 0x24, 0x7F]) == "@$_¤à"


def test_text_outside_the_alphabet_is_named_in_the_error() -> None:
    assert gsm7.is_gsm7("Grüße Ça va")
    assert not gsm7.is_gsm7("façade")  # only the capital Ç is in the default alphabet
    with pytest.raises(ValueError, match=r"'世' \(U\+4E16\) at index 2 is not in the GSM 7-bit"):
        gsm7.encode_septets("ab世界")


def test_unknown_escape_shows_the_base_character_and_trailing_escape_is_dropped() -> None:
    # 23.038 6.2.1.1: an extension code without a symbol shows the default-table character.
    assert gsm7.decode_septets([0x1B, 0x41, 0x62]) == "Ab"
    assert gsm7.decode_septets([0x61, 0x1B]) == "a"
    assert gsm7.decode_septets([0x1B, 0x1B, 0x61]) == " a"


def test_fill_bits_after_a_user_data_header() -> None:
    # 6-octet UDH (8-bit concat) -> 7 septets with 1 fill bit; 7-octet (16-bit) -> 8, none.
    assert gsm7.udh_fill(6) == (7, 1)
    assert gsm7.udh_fill(7) == (8, 0)
    assert gsm7.pack_septets([0x7F], fill_bits=1) == bytes([0xFE])
    assert gsm7.unpack_septets(bytes([0xFE]), 1, fill_bits=1) == [0x7F]


def test_unpacking_more_septets_than_present_is_an_error() -> None:
    with pytest.raises(ValueError, match="12 septets need 11 octets of packed user data, only 10"):
        gsm7.unpack_septets(bytes(10), 12)


gsm_text = st.text(alphabet=st.sampled_from(sorted(set(gsm7.DEFAULT_ALPHABET) - {"\x1b"})))
any_gsm_text = st.text(
    alphabet=st.sampled_from(sorted((set(gsm7.DEFAULT_ALPHABET) - {"\x1b"}) | set(gsm7.EXTENSION)))
)


@given(any_gsm_text, st.integers(0, 6))
def test_round_trip_with_any_fill(text: str, fill: int) -> None:
    septets = gsm7.encode_septets(text)
    packed = gsm7.pack_septets(septets, fill)
    assert len(packed) == gsm7.packed_length(len(septets), fill)
    assert gsm7.decode_septets(gsm7.unpack_septets(packed, len(septets), fill)) == text


@given(gsm_text)
def test_basic_characters_take_one_septet_each(text: str) -> None:
    assert len(gsm7.encode_septets(text)) == len(text)
