"""Word-level text tools for grounding checks: tokens, crude stems, number words, kinds of facts.

Deliberately simple and fast (microseconds per sentence): they run on every question and on
every reply clause before it is spoken. Number words become digits so "thirty" in a question
matches "30" in the facts, and "twenty five dollars" in a reply is checked like "25 dollars".
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_NUMBER_WORDS = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[\s-]+(?P<unit>" + "|".join(
        u for u in _UNITS if _UNITS[u] < 10 and u != "zero") + r"))?|(?P<single>"
    + "|".join(sorted(_UNITS, key=len, reverse=True)) + r"))(?:\s+hundred\b)?\b",
    re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Function words and phone filler: they carry no fact, so they need no coverage.
STOPWORDS = frozenset("""
a about above after again against all also am an and any anyone anything are as at be been
before being below between both but by can could did do does doing done down during each
either else ever every few for from further get gets getting go goes going got had has have
having he her here hers him his how i if in into is it its itself just let like me might
mine more most much must my myself need needs no nor not now of off often on once one only
or other our ours out over own per please possible really same she should so some someone
something somewhere still such than that the their theirs them then there these they this
those through to too under until up upon us very want wanted was we were what whatever when
where whether which while who whom whose why will with would yes you your yours yourself hi
hello hey thanks thank okay ok well um uh oh yeah sure wondering wonder know tell ask asking
question calling call guys kind sort maybe actually possibly able happen happens happened
nearby around anywhere usually last next another there's i'm i'd i'll you're we're it's
that's what's don't doesn't can't isn't daughter son wife husband mother father mom dad
friend partner family grandson granddaughter boyfriend girlfriend
""".split())  # noqa: SIM905 - a word list reads better as text

# Question words answered by a kind of fact rather than by the same word: "when are you
# open" is covered by any clock time or weekday in the facts, "how much" by any amount.
TIME_WORDS = frozenset({"time", "times", "hour", "hours", "open", "opening", "close",
                        "closing", "closed", "late", "early", "when", "day", "days", "week",
                        "weeks", "weekday", "weekdays", "weekend", "weekends", "morning",
                        "mornings", "afternoon", "afternoons", "evening", "evenings"})
AMOUNT_WORDS = frozenset({"cost", "costs", "price", "prices", "fee", "fees", "charge",
                          "charges", "expensive", "cheap", "rate", "rates", "pay", "paying"})
PLACE_WORDS = frozenset({"where", "located", "location", "address", "find", "directions"})
DURATION_WORDS = frozenset({"long", "length", "duration"})
AGE_WORDS = frozenset({"old", "age", "ages", "young", "aged"})

_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_TIME_FACT = re.compile(
    rf"\b\d{{1,2}}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock)|\bnoon\b|\bmidnight\b|\b{_WEEKDAY}\b",
    re.IGNORECASE)
_AMOUNT_FACT = re.compile(
    r"[$€£]\s*\d|\b\d+(?:[.,]\d+)?\s*(?:dollars?|euros?|pounds?|cents?|percent|%|usd|eur|gbp)"
    r"|\bfree\b", re.IGNORECASE)
_PLACE_FACT = re.compile(
    r"\b\d+[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:street|st|lane|road|rd|avenue|ave|drive|way|"
    r"square|place|boulevard|blvd|court|parkway)\b", re.IGNORECASE)
_DURATION_FACT = re.compile(r"\b\d+\s*(?:minutes?|mins?|hours?)\b", re.IGNORECASE)
_AGE_FACT = re.compile(r"\bages?\b|\baged\b|\byears? old\b", re.IGNORECASE)


def numbers_as_digits(text: str) -> str:
    """Replace spelled-out numbers up to 99 with digits ("twenty five" -> "25")."""
    def repl(m: re.Match[str]) -> str:
        if m.group("single"):
            value = _UNITS[m.group("single").lower()]
        else:
            value = _TENS[m.group("tens").lower()]
            if m.group("unit"):
                value += _UNITS[m.group("unit").lower()]
        if m.group(0).lower().endswith("hundred"):
            value *= 100
        return str(value)
    return _NUMBER_WORDS.sub(repl, text)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, number words as digits, "children's" -> "children"."""
    text = numbers_as_digits(text.replace("\u2019", "'")).lower()
    return [t.split("'")[0] if t.endswith("'s") else t for t in _TOKEN.findall(text)]


_SUFFIXES = ("ings", "ing", "ment", "ed", "es", "s")
_IRREGULAR = {"paid": "pay", "children": "child", "kids": "kid", "taught": "teach",
              "held": "hold", "met": "meet", "people": "person", "men": "man", "women": "woman"}


def stem(word: str) -> str:
    """A crude stem so inflections match: lessons/lesson, rented/rent, parking/park."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "shipping" -> "shipp" -> "ship"
    return word


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (no stopwords), in order, unique."""
    seen: dict[str, None] = {}
    for t in tokens(text):
        if t not in STOPWORDS and (len(t) > 1 or t.isdigit()):
            seen.setdefault(t, None)
    return list(seen)


def fact_kinds(text: str) -> set[str]:
    """Which generic question words the facts in ``text`` can answer."""
    kinds: set[str] = set()
    if _TIME_FACT.search(text):
        kinds.add("time")
    if _AMOUNT_FACT.search(text):
        kinds.add("amount")
    if _PLACE_FACT.search(text):
        kinds.add("place")
    if _DURATION_FACT.search(text):
        kinds.add("duration")
    if _AGE_FACT.search(text):
        kinds.add("age")
    return kinds


def generic_kind(word: str) -> str | None:
    """The kind of fact that answers a generic question word, else None."""
    for kind, words in (("time", TIME_WORDS), ("amount", AMOUNT_WORDS), ("place", PLACE_WORDS),
                        ("duration", DURATION_WORDS), ("age", AGE_WORDS)):
        if word in words:
            return kind
    return None
