"""What a conversation is given: the call to talk through, the shared engines, its settings,
and the events it reacts to besides the caller's voice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from appliance.conversation.ear import EarEvent
from appliance.conversation.reply import AnswerSource, Player
from appliance.conversation.turns import TurnConfig
from appliance.records.store import CallStore
from appliance.speech.phrases import PhraseCache
from appliance.speech.stt import SpeechToText
from appliance.speech.tts import TextToSpeech
from appliance.speech.vad import Vad


class CallPort(Player, Protocol):
    """What the conversation may do to its call (implemented by ``CallSession``)."""

    @property
    def playing(self) -> bool: ...

    async def drain(self) -> None: ...

    async def transfer(self) -> bool:
        """Ring the configured staff; True once one answered (the call is theirs now)."""
        ...

    async def hangup(self) -> None: ...


@dataclass
class Engines:
    """Shared by all calls (loaded once by the supervisor)."""

    stt: SpeechToText | None
    tts: TextToSpeech
    phrases: PhraseCache
    answerer: AnswerSource | None  # None: the LLM could not be loaded (apologise, hand off)
    vad_factory: Callable[[int], Vad]
    store: CallStore
    recordings_dir: Path
    # Told (caller number, transcript) when a message has been saved: texts the staff.
    on_message: Callable[[str, str], None] | None = None


@dataclass(frozen=True)
class Settings:
    turns: TurnConfig = field(default_factory=TurnConfig)
    pause_ms: int = 150
    reprompt_s: float = 8.0
    max_reprompts: int = 2
    hold_on_s: float = 2.5  # no reply audio yet after this: say "one moment" (no dead air)
    message_max_s: float = 90.0
    message_end_silence_s: float = 2.5
    message_start_wait_s: float = 8.0


@dataclass(frozen=True)
class Dtmf:
    digit: str


Event = EarEvent | Dtmf
