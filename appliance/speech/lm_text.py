"""Written text -> the words a caller would say, spelled as the recognizer's dictionary has them.

Used to train the recognizer's language model on the office's own documents: "A routine
check-up costs 45 euros." becomes ``["a", "routine", "check", "up", "costs", "forty", "five",
"euros"]``. Numbers, times, prices, phone numbers and years are spoken out; words missing
from the pronunciation dictionary are split (hyphens, "Allcare" -> "all care"), respelled
(British "-ise"), spelled as letters (short acronyms) or else dropped. A dropped word ends the
sentence there, so no word pair the caller would never say is learned across the gap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth",
            "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_ABBREVIATIONS = {"dr": "doctor", "mr": "mister", "mrs": "missus", "ms": "miss",
                  "approx": "approximately", "tel": "phone", "e.g": "for example",
                  "i.e": "that is", "etc": "et cetera", "vs": "versus", "min": "minutes",
                  "mins": "minutes", "hrs": "hours", "sq": "square"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}

Rewrite = Callable[[re.Match[str]], str]
# Order matters: am/pm first ("5:30pm"), phone numbers and times before plain numbers.
_RULES: list[tuple[re.Pattern[str], Rewrite]] = []


def _rule(pattern: str) -> Callable[[Rewrite], Rewrite]:
    def register(fn: Rewrite) -> Rewrite:
        _RULES.append((re.compile(pattern, re.IGNORECASE), fn))
        return fn
    return register


def number_words(n: int) -> str:
    """Cardinal number as spoken: 42 -> "forty two", 1200 -> "one thousand two hundred"."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    for size, name in _SCALES:
        if n >= size:
            rest = n % size
            return f"{number_words(n // size)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def year_words(n: int) -> str:
    if 2000 <= n < 2010:
        return number_words(n)
    high, low = divmod(n, 100)
    return f"{number_words(high)} " + ("hundred" if low == 0 else
                                       f"oh {_UNITS[low]}" if low < 10 else number_words(low))


def digit_words(digits: str) -> str:
    return " ".join(_UNITS[int(d)] for d in digits if d.isdigit())


@_rule(r"(?:\b|(?<=\d))([ap])(\.m\.|\.m\b|\s?m\b)(\s+(?-i:[A-Z]))?")
def _meridiem(m: re.Match[str]) -> str:  # "8am", "8 a.m." -> "8 am" (the dictionary's spelling)
    end = ". " if m.group(2).endswith(".") and m.group(3) else " "  # "a.m. We" ends a sentence
    return f" {m.group(1).lower()}m{end}{(m.group(3) or '').strip()}"


@_rule(r"(?<=\b[ap]m)\s*[-–]\s*(?=\d)")
def _time_range(m: re.Match[str]) -> str:  # "9am-5pm"
    return " to "


@_rule(r"(?<![\w.])\+?\d{3,}(?:[ -]\d{2,})+(?!\w|\.\d)|(?<![\w.])\d{5,}(?!\w|\.\d)")
def _phone(m: re.Match[str]) -> str:  # 555-0199, 0171 555 0199: digit by digit
    text = m.group(0)
    groups = re.findall(r"\d+", text)
    if sum(map(len, groups)) < 7 or all(len(g) == 4 and 1900 <= int(g) < 2100 for g in groups):
        return text  # "2009-2015", "100 200": left to the number rules
    return f" {digit_words(text)} "


@_rule(r"\b(\d{1,2}):(\d{2})\b")
def _clock(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if minute == 0:
        return f" {number_words(hour)} "
    rest = f"oh {_UNITS[minute]}" if minute < 10 else number_words(minute)
    return f" {number_words(hour)} {rest} "


@_rule(r"([$€£])\s?(\d+)(?:[.,](\d{2}))?\b")
def _money_before(m: re.Match[str]) -> str:
    cents = f" {number_words(int(m.group(3)))}" if m.group(3) and int(m.group(3)) else ""
    return f" {number_words(int(m.group(2)))} {_CURRENCY[m.group(1)]}{cents} "


@_rule(r"\b(\d+)\s?([€£$])")
def _money_after(m: re.Match[str]) -> str:
    return f" {number_words(int(m.group(1)))} {_CURRENCY[m.group(2)]} "


@_rule(r"\b(\d+)\s?%")
def _percent(m: re.Match[str]) -> str:
    return f" {number_words(int(m.group(1)))} percent "


@_rule(r"\b(\d+)(st|nd|rd|th)\b")
def _ordinal(m: re.Match[str]) -> str:
    return f" {ordinal_words(int(m.group(1)))} "


@_rule(r"\b(\d+)\s?(?:-|–|to)\s?(\d+)\b")
def _range(m: re.Match[str]) -> str:  # "9-5" is "nine to five"
    return f" {number_words(int(m.group(1)))} to {number_words(int(m.group(2)))} "


@_rule(r"\b(\d+)\.(\d+)\b")
def _decimal(m: re.Match[str]) -> str:
    return f" {number_words(int(m.group(1)))} point {digit_words(m.group(2))} "


@_rule(r"\b(\d{1,3}(?:,\d{3})+|\d+)\b")
def _cardinal(m: re.Match[str]) -> str:
    n = int(m.group(1).replace(",", ""))
    return f" {year_words(n) if 1900 <= n < 2100 else number_words(n)} "


@_rule(r"(?<=[A-Za-z])[–—-](?=[A-Z][a-z]+day\b)")
def _day_range(m: re.Match[str]) -> str:  # "Monday-Friday"
    return " to "


@_rule(r"(?<=\w)/(?=\w)")
def _slash(m: re.Match[str]) -> str:  # "card/cash"
    return " or "


_SENTENCE_BREAK = re.compile(r"(?m)[.!?;:>()\[\]{}\"|\n•*–—]+|\s-\s|^\s*-\s|\b[QA]:")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'.-]*[A-Za-z]|[A-Za-z]")
_ABBREV_DOT = re.compile(r"\b(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.",
                         re.IGNORECASE)


def spoken_sentences(text: str, known: Callable[[str], bool]) -> Iterator[list[str]]:
    """Split ``text`` into sentences of dictionary words (``known(word)`` says which exist)."""
    text = text.replace("\u2019", "'").replace("&", " and ").replace("+", " plus ")
    text = _ABBREV_DOT.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], text)
    for pattern, fn in _RULES:
        text = pattern.sub(fn, text)
    for part in _SENTENCE_BREAK.split(text):
        sentence: list[str] = []
        for token in _TOKEN.findall(part):
            words = spoken_word(token, known)
            if words is None:  # unknown word: break the sentence here
                if sentence:
                    yield sentence
                sentence = []
            else:
                sentence.extend(words)
        if sentence:
            yield sentence


def spoken_word(token: str, known: Callable[[str], bool]) -> list[str] | None:
    """One written token as dictionary words, or None when it cannot be said."""
    word = token.lower().strip("'.-")
    if word in _ABBREVIATIONS:
        return _ABBREVIATIONS[word].split()
    if "-" in word or "." in word:  # "check-up" -> "check up", as the generic model has it
        parts = [p for p in re.split(r"[-.]", word) if p]
        spelled = [spoken_word(p, known) for p in parts]
        if all(s is not None for s in spelled):
            return [w for s in spelled if s is not None for w in s]
        return [word] if known(word) else None
    if known(word):
        return [word]
    if word.endswith("'s") and known(word[:-2]):
        return [word[:-2]]
    for old, new in (("ise", "ize"), ("isation", "ization"), ("our", "or"), ("tre", "ter")):
        if old in word and known(respelled := word.replace(old, new)):
            return [respelled]
    for i in range(3, len(word) - 2):  # compounds: "allcare" -> "all care"
        if known(word[:i]) and known(word[i:]):
            return [word[:i], word[i:]]
    if token.isupper() and 2 <= len(token) <= 5 and all(known(c) for c in word):
        return list(word)  # "MRI" -> "m r i"
    return None
