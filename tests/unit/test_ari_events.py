from appliance.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelDtmfReceived,
    StasisStart,
    parse_event,
)

CHANNEL = {"id": "1700.1", "name": "PJSIP/201-0001", "state": "Ring",
           "caller": {"name": "Alice", "number": "201"},
           "dialplan": {"context": "receptionist", "exten": "s", "priority": 3},
           "channelvars": {"APPLIANCE_TAG": "abc"}}


def test_stasis_start_is_typed():
    ev = parse_event({"type": "StasisStart", "application": "appliance", "args": ["inbound"],
                      "timestamp": "t", "channel": CHANNEL})
    assert isinstance(ev, StasisStart)
    assert ev.channel.caller_number == "201" and ev.args == ["inbound"]
    assert ev.channel.variables == {"APPLIANCE_TAG": "abc"}
    assert ev.channel_id == "1700.1"


def test_destroyed_and_dtmf():
    d = parse_event({"type": "ChannelDestroyed", "cause": 16, "cause_txt": "Normal Clearing",
                     "channel": CHANNEL})
    assert isinstance(d, ChannelDestroyed) and d.cause == 16
    t = parse_event({"type": "ChannelDtmfReceived", "digit": "0", "channel": CHANNEL})
    assert isinstance(t, ChannelDtmfReceived) and t.digit == "0"


def test_unknown_events_stay_generic():
    ev = parse_event({"type": "BridgeCreated", "bridge": {"id": "b"}})
    assert type(ev) is AriEvent and ev.channel_id is None
