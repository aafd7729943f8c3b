"""The language-model interface the conversation engine talks to.

Engines live behind this small interface, one adapter per backend (``llama_llm`` for
llama.cpp). Inference is blocking and synchronous: async callers run ``stream`` in a thread
and pass a ``threading.Event`` to stop it between tokens when the caller barges in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


class LlmError(Exception):
    """The model cannot be used (missing/corrupt file, prompt too long); says why and where."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class LanguageModel(Protocol):
    def stream(self, messages: Sequence[Message], max_tokens: int = 128,
               stop: Sequence[str] | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Yield the reply in text pieces as they are generated.

        Stops early when ``cancel`` is set (checked between tokens) or when the generator
        is closed; either way no more tokens are computed.
        """
        ...

    def warm(self, prefix_messages: Sequence[Message]) -> None:
        """Pre-evaluate a prompt prefix so the next ``stream`` sharing it starts quickly."""
        ...
