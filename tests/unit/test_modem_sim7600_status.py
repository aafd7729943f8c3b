"""Decoding the SIM7600's status replies (formats from shared/notes/sim7600.md)."""

from __future__ import annotations

from modem.sim7600.status import (
    CallInfo,
    ModemStatus,
    best_registration,
    calls,
    operator,
    registration,
    signal_dbm,
    sim_state,
    sim_state_from_error,
)


def test_sim_states_from_cpin_and_cme_errors() -> None:
    assert sim_state("READY") == "ready"
    assert sim_state("SIM PIN") == "pin_required"
    assert sim_state("SIM PUK") == "puk_required"
    assert sim_state_from_error(None, "SIM busy") == "busy"
    assert sim_state_from_error(14, "14") == "busy"
    assert sim_state_from_error(None, "SIM not inserted") == "not_inserted"
    assert sim_state_from_error(10, "10") == "not_inserted"
    assert sim_state_from_error(None, "memory failure") == "error"


def test_registration_reply_and_urc_forms() -> None:
    assert registration('+CREG: 2,1,"1A2B","01C3D4E5",7') == "home"
    assert registration("+CREG: 0,5") == "roaming"
    assert registration('+CEREG: 1,"0001","01A2D001",7') == "home"  # URC form
    assert registration("+CREG: 2,0") == "not_registered"
    assert registration("+CREG: 2,2") == "searching"
    assert registration("+CREG: 2,3") == "denied"
    assert registration("+CREG: garbage") == "unknown"
    # Registered on LTE only (CSFB) still counts; searching beats not registered.
    assert best_registration("not_registered", "home") == "home"
    assert best_registration("searching", "not_registered") == "searching"
    assert best_registration("unknown", "unknown") == "unknown"


def test_operator_and_signal() -> None:
    assert operator('+COPS: 0,0,"Operator Name",7') == "Operator Name"
    assert operator('+COPS: 0,0,"Vodacom, SA",7') == "Vodacom, SA"
    assert operator("+COPS: 0") == ""
    assert signal_dbm("+CSQ: 22,0") == -69
    assert signal_dbm("+CSQ: 0,0") == -113
    assert signal_dbm("+CSQ: 31,99") == -51
    assert signal_dbm("+CSQ: 99,99") is None


def test_calls_from_clcc_reply() -> None:
    lines = [
        '+CLCC: 1,1,0,0,0,"+27821231234",145',
        '+CLCC: 2,1,5,0,0,"0215551234",129',
        "+CLCC: nonsense",
    ]
    assert calls(lines) == [
        CallInfo(1, "in", "active", "+27821231234"),
        CallInfo(2, "in", "waiting", "0215551234"),
    ]


def test_status_json_has_plain_fields() -> None:
    status = ModemStatus(connected=True, sim="ready", registration="home", operator="Op",
                         signal_dbm=-69, calls=[CallInfo(1, "in", "active", "+2782")])
    assert status.to_json() == {
        "connected": True, "sim": "ready", "registration": "home", "operator": "Op",
        "signal_dbm": -69, "calls": [{"id": 1, "direction": "in", "state": "active",
                                      "number": "+2782"}],
        "error": "", "model": "",
    }
