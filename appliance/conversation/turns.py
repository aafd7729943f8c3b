"""Turn-taking from per-frame VAD decisions: when the caller starts and stops talking.

``TurnDetector`` is pure and synchronous: feed it one VAD decision per frame with the
frame's start time (seconds on any monotonic clock, e.g. call-relative), get back typed
events. No I/O and no clock of its own, so the conversation engine can run it inside a
listener's ``feed`` and tests can drive it with synthetic sequences.

Rules (defaults in ``TurnConfig``):

* Start: a candidate start opens once ``start_frames`` of the last ``start_window``
  frames are speech (it dates from the first speech frame of that window). It is
  confirmed as ``SpeechStarted`` once at least ``min_speech_ms`` of speech frames have
  accumulated, so clicks and blips shorter than ``min_speech_ms`` are never reported.
  ``start_window`` silent frames in a row drop the candidate. ``SpeechStarted.at`` is
  the candidate's first speech frame; the event itself arrives ~``min_speech_ms``
  later (the barge-in reaction time, 120 ms by default).
* End: after ``end_hangover_ms`` without speech, ``SpeechEnded`` is emitted; its ``at``
  is the end of the last speech frame (so detection time = ``at`` + hangover) and
  ``duration`` runs from ``SpeechStarted.at``. Pauses shorter than the hangover stay
  inside the turn.
* Echo guard: ``bot_started_speaking(at)`` opens a window of ``echo_guard_ms`` in which
  speech frames cannot start a turn (the bot's own audio leaking back before an echo
  canceller or the line settles). A turn already in progress is not affected, and speech
  that continues past the window starts a turn normally.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SpeechStarted:
    at: float  # start of the first speech frame, seconds


@dataclass(frozen=True)
class SpeechEnded:
    at: float  # end of the last speech frame, seconds
    duration: float  # at - SpeechStarted.at, seconds


TurnEvent = SpeechStarted | SpeechEnded


@dataclass(frozen=True)
class TurnConfig:
    frame_ms: int = 20
    start_frames: int = 3  # speech frames needed ...
    start_window: int = 5  # ... among this many latest frames
    min_speech_ms: int = 120  # speech frames (summed) before a start is reported
    end_hangover_ms: int = 700  # silence that ends a turn
    echo_guard_ms: int = 300  # after the bot starts speaking, no new turn starts

    def __post_init__(self) -> None:
        if self.frame_ms <= 0:
            raise ValueError("frame_ms must be positive")
        if not 1 <= self.start_frames <= self.start_window:
            raise ValueError("need 1 <= start_frames <= start_window")
        if self.min_speech_ms < 0 or self.end_hangover_ms < 0 or self.echo_guard_ms < 0:
            raise ValueError("durations must not be negative")


class TurnDetector:
    """One caller's turn state; see the module docstring for the rules."""

    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self._frame_s = self.config.frame_ms / 1000
        self._recent: deque[tuple[bool, float]] = deque(maxlen=self.config.start_window)
        self._guard_until = float("-inf")
        self.reset()

    @property
    def in_speech(self) -> bool:
        """True between ``SpeechStarted`` and ``SpeechEnded``."""
        return self._started_at is not None

    def reset(self) -> None:
        """Forget any turn in progress (keeps the echo guard)."""
        self._recent.clear()
        self._candidate_at: float | None = None  # first frame of a start being confirmed
        self._voiced_s = 0.0  # speech accumulated by the candidate
        self._silent_frames = 0  # consecutive non-speech frames
        self._started_at: float | None = None
        self._last_speech_end = 0.0

    def bot_started_speaking(self, at: float, guard_ms: int | None = None) -> None:
        """The bot's audio starts playing at ``at``: ignore new speech for the guard window."""
        ms = self.config.echo_guard_ms if guard_ms is None else guard_ms
        self._guard_until = at + ms / 1000
        if self._started_at is None:
            # Whatever was building up may be the start of the echo itself.
            self._drop_candidate()

    def feed(self, speech: bool, at: float) -> list[TurnEvent]:
        """One frame's VAD decision; ``at`` is the frame's start time in seconds."""
        if self._started_at is None:
            return self._feed_idle(speech, at)
        return self._feed_speaking(speech, at)

    def finish(self, at: float) -> list[TurnEvent]:
        """The audio stops (hang-up): close a turn in progress without waiting for the hangover."""
        if self._started_at is None:
            self._drop_candidate()
            return []
        return [self._end()]

    def _feed_idle(self, speech: bool, at: float) -> list[TurnEvent]:
        if speech and at < self._guard_until:
            speech = False  # echo of the bot's own voice, most likely
        self._recent.append((speech, at))
        if not speech:
            self._silent_frames += 1
            if self._silent_frames >= self.config.start_window:
                self._drop_candidate()  # a blip: the whole window went silent
            return []
        self._silent_frames = 0
        self._last_speech_end = at + self._frame_s
        if self._candidate_at is None:
            # Scattered speech frames (below start_frames per window) accumulate nothing,
            # so noise ticks cannot pre-date a later real start.
            voiced = [t for s, t in self._recent if s]
            if len(voiced) < self.config.start_frames:
                return []
            self._candidate_at = voiced[0]
            self._voiced_s = len(voiced) * self._frame_s
        else:
            self._voiced_s += self._frame_s
        # Small epsilon: summed float frame lengths must not miss an exact minimum.
        if self._voiced_s * 1000 >= self.config.min_speech_ms - 1e-6:
            self._started_at = self._candidate_at
            self._drop_candidate()
            return [SpeechStarted(self._started_at)]
        return []

    def _feed_speaking(self, speech: bool, at: float) -> list[TurnEvent]:
        if speech:
            self._last_speech_end = at + self._frame_s
            return []
        silence_s = at + self._frame_s - self._last_speech_end
        if silence_s * 1000 >= self.config.end_hangover_ms - 1e-6:
            return [self._end()]
        return []

    def _end(self) -> SpeechEnded:
        assert self._started_at is not None
        event = SpeechEnded(self._last_speech_end, self._last_speech_end - self._started_at)
        self._started_at = None
        self._drop_candidate()
        return event

    def _drop_candidate(self) -> None:
        self._recent.clear()
        self._candidate_at = None
        self._voiced_s = 0.0
        self._silent_frames = 0
