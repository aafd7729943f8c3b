"""GSM 03.38 / 23.038 default alphabet, its extension table and 7-bit septet packing.

A text becomes septets (0-127; extension characters take two: ESC 0x1B + code), and
septets are packed LSB-first into octets. A User Data Header in front of the septets
is padded with fill bits so the first septet starts on a septet boundary.
"""

from __future__ import annotations

ESC = 0x1B

# Index = septet value. 0x1B (ESC) is a placeholder, never produced or matched as text.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(DEFAULT_ALPHABET) == 128

# Extension table: character -> code that follows ESC.
EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_BASIC = {ch: code for code, ch in enumerate(DEFAULT_ALPHABET) if code != ESC}
_EXTENSION_DECODE = {code: ch for ch, code in EXTENSION.items()}


def char_septets(ch: str) -> int:
    """Septets one character takes (1 or 2), or 0 when it is not in the GSM-7 alphabet."""
    if ch in _BASIC:
        return 1
    if ch in EXTENSION:
        return 2
    return 0


def is_gsm7(text: str) -> bool:
    """True when every character is in the default alphabet or its extension table."""
    return all(char_septets(ch) for ch in text)


def septet_length(text: str) -> int:
    """Septets the text takes in GSM-7 (extension characters count twice)."""
    return sum(2 if ch in EXTENSION else 1 for ch in text)


def encode_septets(text: str) -> list[int]:
    """Text -> septet values; ValueError names the first character GSM-7 cannot carry."""
    septets: list[int] = []
    for index, ch in enumerate(text):
        code = _BASIC.get(ch)
        if code is not None:
            septets.append(code)
        elif ch in EXTENSION:
            septets += (ESC, EXTENSION[ch])
        else:
            raise ValueError(
                f"character {ch!r} (U+{ord(ch):04X}) at index {index} is not in the GSM 7-bit "
                "alphabet"
            )
    return septets


def decode_septets(septets: list[int]) -> str:
    """Septet values -> text.

    An ESC followed by a code the extension table lacks shows the default-alphabet
    character for that code (23.038 6.2.1.1); a lone trailing ESC is dropped.
    """
    out: list[str] = []
    escaped = False
    for septet in septets:
        if not 0 <= septet < 128:
            raise ValueError(f"septet value {septet} is out of range 0-127")
        if escaped:
            escaped = False
            # ESC ESC is reserved for a further extension table: show a space.
            fallback = " " if septet == ESC else DEFAULT_ALPHABET[septet]
            out.append(_EXTENSION_DECODE.get(septet, fallback))
        elif septet == ESC:
            escaped = True
        else:
            out.append(DEFAULT_ALPHABET[septet])
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB-first, after `fill_bits` zero bits (0-6, the padding after a UDH)."""
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0-6, got {fill_bits}")
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for septet in septets:
        acc |= (septet & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def packed_length(septet_count: int, fill_bits: int = 0) -> int:
    """Octets that `septet_count` septets take after `fill_bits` fill bits."""
    return (fill_bits + 7 * septet_count + 7) // 8


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """Read `count` septets from `data`, skipping `fill_bits` leading bits."""
    need = packed_length(count, fill_bits)
    if len(data) < need:
        raise ValueError(
            f"{count} septets need {need} octets of packed user data, only {len(data)} present"
        )
    value = int.from_bytes(data[:need], "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


def udh_fill(udh_octets: int) -> tuple[int, int]:
    """(header septets, fill bits) for a UDH of `udh_octets` octets (including UDHL)."""
    septets = (udh_octets * 8 + 6) // 7
    return septets, septets * 7 - udh_octets * 8
