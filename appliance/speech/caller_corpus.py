"""What callers say to a receptionist, whatever the business: a few hundred generic sentences.

The recognizer's language model learns the office's facts from its knowledge base, which is
written as statements ("We are open Monday to Friday..."); callers ask questions, greet,
spell out what they want and say goodbye. These sentences teach the model those shapes.
They are generated from templates: ``{day}`` etc. expand to every listed filler, and
``(a|b)`` to each alternative. Lower case, numbers as words, dictionary spellings only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

FILLERS: dict[str, tuple[str, ...]] = {
    "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "the weekend", "weekends", "saturdays", "sundays", "today", "tomorrow",
            "public holidays", "christmas"),
    "when": ("today", "tomorrow", "this week", "next week", "on saturday", "on monday",
             "in the morning", "in the afternoon", "in the evening", "this afternoon"),
    "thing": ("an appointment", "a consultation", "a lesson", "a visit", "a session",
              "a first visit", "a trial", "a cleaning", "a check up", "an exam", "a class"),
    "pay": ("card", "cash", "credit card", "debit card", "a bank transfer", "insurance",
            "my insurance", "paypal", "a check", "apple pay"),
    "person": ("a person", "someone", "a real person", "a human", "the manager",
               "the doctor", "the owner", "a staff member", "the teacher", "reception"),
    "where": ("located", "based", "situated"),
}

TEMPLATES = """
hello
hi
hi there
good morning
good afternoon
good evening
hello is this (the office|the practice|the school|reception)
hi i have a question
i have a (quick|short) question
i would like some information
i'm calling about (an appointment|my appointment|the prices|your opening hours)
can you help me
yes
yes please
no
no thanks
no thank you
that's all
that's it
thank you
thanks
thanks a lot
thank you very much
okay
okay thanks
great thank you
perfect thank you
goodbye
bye
bye bye
have a nice day
sorry
sorry what
sorry can you repeat that
can you say that again
i didn't (understand|catch that)
could you speak slower please
what time do you open (on|) {day}
what time do you close (on|) {day}
when do you open (on|) {day}
when do you close (on|) {day}
are you open (on|) {day}
are you open {when}
are you closed (on|) {day}
what are your opening hours (on|) {day}
what are your opening hours
what are your hours
what are your office hours
what are your hours (on|) {day}
how late are you open
how late are you open (on|) {day}
how early do you open
until what time are you open
what are the prices
what are your prices
how much does it cost
how much is it
how much do you charge
how much does {thing} cost
how much is {thing}
what does {thing} cost
what is the price (of|for) {thing}
is {thing} free
is the first (visit|lesson|consultation) free
do you offer {thing}
can i (book|make|get|schedule) {thing}
i would like to (book|make|schedule|cancel|change|move) {thing}
i'd like to (book|make|schedule|cancel|change|move) {thing}
i need to (cancel|change|move|reschedule) my appointment
can i cancel my appointment
how do i cancel (an|my) appointment
what happens if i (cancel|miss my appointment|am late)
is there a (cancellation fee|fee for cancelling)
do you accept {pay}
can i pay (by|with) {pay}
can i pay (by|with) {pay} (at the reception|at the front desk|after the visit)
how can i pay
what payment methods do you accept
do you take {pay}
do you accept new (patients|students|customers|clients)
are you taking new (patients|students|customers|clients)
do i need an appointment
how long does {thing} take
how long is {thing}
how long do i have to wait
where are you {where}
where is your (office|practice|school|shop|address)
what is your address
what's your address
how do i get there
how do i find you
is there parking
is there (parking|a car park|free parking) nearby
where can i park
can i park (there|nearby|in front)
is the building wheelchair accessible
do you have a lift
is there a bus stop nearby
which bus goes there
can i talk to {person}
can i speak to {person}
i'd like to speak to {person}
i want to talk to {person}
i would like to talk to {person}
put me through to {person}
can you put me through to {person}
is {person} available
i'd like to leave a message
i would like to leave a message
can i leave a message
please take a message
can you take a message
can someone call me back
please call me back
my name is
my number is
my phone number is
who is the (doctor|teacher|owner|manager)
who (works|teaches) there
what services do you offer
what do you offer
do you (treat|teach|take) children
do you have (a discount|discounts) (for|) (children|students|families|seniors)
is there a discount
do you do (emergencies|home visits|online appointments)
what should i do in an emergency
i have an emergency
it's urgent
do you have (a website|an email address)
what is your (phone number|email address|website)
how old do (children|kids) have to be
is there (an age limit|a minimum age)
what do i need to bring
do i need to bring anything
what is your cancellation policy
what is (the|your) (price|policy|address) (for|of) (that|this)
how much (is|does) (that|this) cost
""".strip().splitlines()

_SLOT = re.compile(r"\{(\w+)\}|\(([^()]*)\)")


def expand(template: str) -> Iterator[str]:
    """Every sentence a template stands for, with single spaces."""
    parts = _SLOT.split(template)
    # split() yields text, slot name, alternatives, text, ...
    choices: list[tuple[str, ...]] = []
    for i in range(0, len(parts), 3):
        choices.append((parts[i],))
        if i + 1 < len(parts):
            name, alternatives = parts[i + 1], parts[i + 2]
            choices.append(FILLERS[name] if name else tuple(alternatives.split("|")))
    for combo in itertools.product(*choices):
        yield " ".join("".join(combo).split())


def sentences() -> list[str]:
    return [s for t in TEMPLATES for s in expand(t)]
