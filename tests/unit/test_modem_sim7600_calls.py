"""CallTracker replays the captured call sequences from shared/notes/sim7600.md."""

from __future__ import annotations

from datetime import datetime

from modem.at.events import Event
from modem.at.urc import parse_urc
from modem.sim7600.calls import CallTracker
from modem.sim7600.events import CallBegun, CallEnded, CallEvent, CallMissed, CallWaitingIn


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracker(clock: Clock) -> CallTracker:
    return CallTracker(clock=clock, wallclock=lambda: datetime(2024, 5, 1, 14, 7))


def replay(t: CallTracker, clock: Clock, lines: list[str], step: float = 1.0) -> list[CallEvent]:
    """Feed the URC lines (replies like OK are not URCs and are skipped), step s apart."""
    out: list[CallEvent] = []
    for line in lines:
        event: Event | None = parse_urc(line)
        clock.now += step
        if event is not None:
            out.extend(t.feed(event))
    return out


def test_incoming_answered_then_far_end_hangs_up() -> None:
    clock = Clock()
    t = tracker(clock)
    begin = replay(t, clock, [
        "RING", '+CLIP: "+27821231234",145,,,,0', '+CLCC: 4,1,4,0,0,"+27821231234",145',
        "VOICE CALL: BEGIN", "OK", '+CLCC: 4,1,0,0,0,"+27821231234",145',
    ])
    assert begin == [CallBegun("+27821231234", "in")]
    assert t.active
    clock.now += 20
    end = replay(t, clock, [
        '+CLCC: 4,1,6,0,0,"+27821231234",145', "VOICE CALL: END: 000023", "NO CARRIER",
    ])
    # +CLCC stat 6 came first: the duration is the tracker's own count from BEGIN.
    assert end == [CallEnded("+27821231234", "in", 23)]
    assert not t.active


def test_voice_call_end_first_gives_the_modems_duration() -> None:
    clock = Clock()
    t = tracker(clock)
    replay(t, clock, ["RING", '+CLIP: "0821231234",129,,,,0', "VOICE CALL: BEGIN"])
    assert replay(t, clock, ["VOICE CALL: END: 000017", "NO CARRIER"]) == [
        CallEnded("0821231234", "in", 17)]


def test_outgoing_call_sequence() -> None:
    clock = Clock()
    t = tracker(clock)
    out = replay(t, clock, [
        '+CLCC: 3,0,2,0,0,"0215550000",129', "VOICE CALL: BEGIN",
        '+CLCC: 3,0,0,0,0,"0215550000",129', '+CLCC: 3,0,6,0,0,"0215550000",129',
        "VOICE CALL: END: 000003",
    ])
    assert out == [CallBegun("0215550000", "out"), CallEnded("0215550000", "out", 2)]


def test_outgoing_call_nobody_answers() -> None:
    clock = Clock()
    t = tracker(clock)
    assert replay(t, clock, ['+CLCC: 1,0,2,0,0,"0215550000",129',
                             '+CLCC: 1,0,3,0,0,"0215550000",129', "NO CARRIER"]) == [
        CallEnded("0215550000", "out", 0)]


def test_missed_call_reported_once() -> None:
    clock = Clock()
    t = tracker(clock)
    out = replay(t, clock, [
        "RING", '+CLCC: 4,1,4,0,0,"08020866256",129', "RING", "MISSED_CALL: 11:53AM 08020866256",
    ])
    assert out == [CallMissed("08020866256", "11:53AM")]
    assert not t.ringing


def test_ringing_that_stops_before_answer_is_missed_even_with_missed_call_after() -> None:
    clock = Clock()
    t = tracker(clock)
    out = replay(t, clock, [
        "RING", '+CLIP: "+2348020866256",145,,,,0', '+CLCC: 4,1,4,0,0,"+2348020866256",145',
        '+CLCC: 4,1,6,0,0,"+2348020866256",145', "MISSED_CALL: 11:53AM 08020866256",
    ])
    # One missed call, at the wall clock time, though the modem says it twice in two formats.
    assert out == [CallMissed("+2348020866256", "02:07PM")]


def test_ringing_without_any_end_urc_times_out_as_missed() -> None:
    clock = Clock()
    t = tracker(clock)
    replay(t, clock, ["RING", '+CLIP: "+27821231234",145,,,,0', "RING"])
    clock.now += 5
    assert t.tick() == []
    clock.now += 10
    assert t.tick() == [CallMissed("+27821231234", "02:07PM")]
    assert t.tick() == []


def test_call_waiting_while_active() -> None:
    clock = Clock()
    t = tracker(clock)
    replay(t, clock, ["RING", '+CLIP: "+27821231234",145,,,,0', "VOICE CALL: BEGIN",
                      '+CLCC: 1,1,0,0,0,"+27821231234",145'])
    out = replay(t, clock, [
        '+CCWA: "+27825550000",145,1', '+CLCC: 2,1,5,0,0,"+27825550000",145',
        '+CCWA: "+27825550000",145,1',
    ])
    assert out == [CallWaitingIn("+27825550000")]
    # Rejected (AT+CHLD=0): the waiting call disconnects, the first call stays up.
    out = replay(t, clock, ['+CLCC: 2,1,6,0,0,"+27825550000",145'])
    assert out == [CallMissed("+27825550000", "02:07PM")]
    assert t.active
    clock.now += 30
    out = replay(t, clock, ['+CLCC: 1,1,6,0,0,"+27821231234",145', "VOICE CALL: END: 000036"])
    assert out == [CallEnded("+27821231234", "in", 36)]


def test_second_call_after_first_ends_is_tracked_afresh() -> None:
    clock = Clock()
    t = tracker(clock)
    replay(t, clock, ["RING", '+CLIP: "111111111",129,,,,0', "VOICE CALL: BEGIN",
                      "VOICE CALL: END: 000005", "NO CARRIER"])
    out = replay(t, clock, ["RING", '+CLIP: "222222222",129,,,,0', "VOICE CALL: BEGIN"])
    assert out == [CallBegun("222222222", "in")]


def test_line_events_json() -> None:
    assert CallBegun("+2782", "in").to_json() == {
        "event": "call_begin", "number": "+2782", "direction": "in"}
    assert CallEnded("+2782", "in", 8).to_json()["duration_s"] == 8
    assert CallMissed("0802", "11:53AM").to_json() == {
        "event": "missed_call", "number": "0802", "time": "11:53AM"}
