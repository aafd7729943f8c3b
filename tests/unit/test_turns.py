import numpy as np
import pytest

from appliance.conversation.turns import (
    SpeechEnded,
    SpeechStarted,
    TurnConfig,
    TurnDetector,
    TurnEvent,
)

FRAME = 0.02


def run(
    det: TurnDetector, pattern: str, t0: float = 0.0, first_frame: int = 0
) -> list[tuple[int, TurnEvent]]:
    """Feed a pattern of frames ('S' speech, '_' silence); returns (frame index, event)."""
    out = []
    for i, ch in enumerate(pattern, start=first_frame):
        for event in det.feed(ch == "S", t0 + i * FRAME):
            out.append((i, event))
    return out


def S(ms: int) -> str:
    return "S" * (ms // 20)


def _(ms: int) -> str:
    return "_" * (ms // 20)


def test_silence_gives_nothing() -> None:
    det = TurnDetector()
    assert run(det, _(3000)) == []
    assert not det.in_speech


def test_one_turn_timestamps_and_reaction_times() -> None:
    det = TurnDetector()
    events = run(det, _(200) + S(1000) + _(1000))
    assert [type(e) for _i, e in events] == [SpeechStarted, SpeechEnded]
    (i_start, started), (i_end, ended) = events
    assert started.at == pytest.approx(0.2)
    # Reported at the end of the 6th speech frame (120 ms minimum): in time for barge-in.
    assert (i_start + 1) * FRAME - started.at == pytest.approx(0.12)
    assert isinstance(ended, SpeechEnded)
    assert ended.at == pytest.approx(1.2)
    assert ended.duration == pytest.approx(1.0)
    # ... and the end once 700 ms of silence have been heard.
    assert (i_end + 1) * FRAME - ended.at == pytest.approx(0.7)
    assert not det.in_speech


def test_absolute_timestamps() -> None:
    det = TurnDetector()
    events = run(det, S(500) + _(800), t0=12345.5)
    assert events[0][1] == SpeechStarted(pytest.approx(12345.5))
    assert events[1][1] == SpeechEnded(pytest.approx(12346.0), pytest.approx(0.5))


@pytest.mark.parametrize("blip_ms", [20, 60, 100])
def test_short_blips_are_ignored(blip_ms: int) -> None:
    det = TurnDetector()
    assert run(det, (_(300) + S(blip_ms)) * 10 + _(500)) == []


def test_blip_at_minimum_length_counts() -> None:
    events = run(TurnDetector(), _(100) + S(120) + _(1000))
    assert [type(e) for _i, e in events] == [SpeechStarted, SpeechEnded]
    assert events[1][1] == SpeechEnded(pytest.approx(0.22), pytest.approx(0.12))


def test_sparse_speech_frames_do_not_start_a_turn() -> None:
    # 2 of every 5 frames: below the 3-of-5 confirmation, however long it lasts.
    assert run(TurnDetector(), "S__S_" * 100) == []


def test_flickering_speech_starts_at_its_first_frame() -> None:
    events = run(TurnDetector(), _(100) + "S_" * 20 + _(1000))
    started = events[0][1]
    assert started == SpeechStarted(pytest.approx(0.1))
    assert events[0][0] == 5 + 10  # 6th speech frame, 3 of the last 5 frames


def test_pause_shorter_than_hangover_stays_in_the_turn() -> None:
    events = run(TurnDetector(), S(600) + _(600) + S(600) + _(1000))
    assert [e for _i, e in events] == [
        SpeechStarted(pytest.approx(0.0)),
        SpeechEnded(pytest.approx(1.8), pytest.approx(1.8)),
    ]


def test_pause_longer_than_hangover_splits_turns() -> None:
    events = run(TurnDetector(), S(600) + _(800) + S(600) + _(1000))
    assert [e for _i, e in events] == [
        SpeechStarted(pytest.approx(0.0)),
        SpeechEnded(pytest.approx(0.6), pytest.approx(0.6)),
        SpeechStarted(pytest.approx(1.4)),
        SpeechEnded(pytest.approx(2.0), pytest.approx(0.6)),
    ]


def test_configurable_rules() -> None:
    config = TurnConfig(start_frames=2, start_window=2, min_speech_ms=40, end_hangover_ms=200)
    events = run(TurnDetector(config), S(40) + _(200) + S(40) + _(180) + S(20) + _(200))
    assert [e for _i, e in events] == [
        SpeechStarted(pytest.approx(0.0)),
        SpeechEnded(pytest.approx(0.04), pytest.approx(0.04)),
        SpeechStarted(pytest.approx(0.24)),
        SpeechEnded(pytest.approx(0.48), pytest.approx(0.24)),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [{"start_frames": 6}, {"start_frames": 0}, {"frame_ms": 0}, {"end_hangover_ms": -1}],
)
def test_config_validation(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        TurnConfig(**kwargs)


def test_echo_guard_hides_echo_right_after_bot_starts() -> None:
    det = TurnDetector()  # 300 ms guard
    det.bot_started_speaking(1.0)
    # The bot's first syllable leaks back for 250 ms: not a caller turn.
    assert run(det, S(250) + _(1000), first_frame=50) == []


def test_speech_lasting_past_the_guard_starts_a_turn() -> None:
    det = TurnDetector()
    det.bot_started_speaking(1.0)
    events = run(det, S(800) + _(1000), first_frame=50)
    assert events[0][1] == SpeechStarted(pytest.approx(1.3))  # first frame after the guard
    assert (events[0][0] + 1) * FRAME == pytest.approx(1.42)  # + 120 ms minimum


def test_echo_guard_custom_length_and_expiry() -> None:
    det = TurnDetector()
    det.bot_started_speaking(0.0, guard_ms=100)
    events = run(det, _(100) + S(200) + _(800))
    assert events[0][1] == SpeechStarted(pytest.approx(0.1))


def test_echo_guard_drops_a_start_being_confirmed() -> None:
    det = TurnDetector()
    assert run(det, S(80)) == []  # not yet confirmed
    det.bot_started_speaking(0.08)
    assert run(det, S(200) + _(1000), first_frame=4) == []


def test_echo_guard_does_not_cut_a_turn_in_progress() -> None:
    det = TurnDetector()
    assert len(run(det, S(500))) == 1
    det.bot_started_speaking(0.5)
    events = run(det, S(500) + _(800), first_frame=25)
    assert [e for _i, e in events] == [SpeechEnded(pytest.approx(1.0), pytest.approx(1.0))]


def test_finish_closes_a_turn_in_progress() -> None:
    det = TurnDetector()
    run(det, S(400) + _(100))
    assert det.in_speech
    assert det.finish(0.5) == [SpeechEnded(pytest.approx(0.4), pytest.approx(0.4))]
    assert not det.in_speech
    assert det.finish(0.6) == []


def test_reset_forgets_the_turn() -> None:
    det = TurnDetector()
    run(det, S(400))
    det.reset()
    assert not det.in_speech
    assert run(det, _(1000), first_frame=20) == []


def test_events_are_typed_and_frozen() -> None:
    event = SpeechEnded(at=1.0, duration=0.5)
    with pytest.raises(AttributeError):
        event.at = 2.0  # type: ignore[misc]
    assert np.isclose(event.at - event.duration, 0.5)


def test_scattered_noise_does_not_predate_a_real_start() -> None:
    # Ticks 2-of-5 for 2 s never open a start, so the turn dates from the real speech.
    events = run(TurnDetector(), "S__S_" * 20 + S(300) + _(800))
    # (The last tick, 40 ms before, shares the confirming window, so it may lead.)
    assert events[0][1] == SpeechStarted(pytest.approx(2.0, abs=0.05))
