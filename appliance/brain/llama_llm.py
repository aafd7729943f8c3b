"""``LanguageModel`` on llama.cpp (llama-cpp-python), for GGUF chat models.

One ``Llama`` is loaded once and reused for every call. llama-cpp-python keeps the tokens
it last evaluated and, on the next generation, keeps the KV cache for the longest common
prefix and only evaluates the new suffix. So prompts are built static-part-first
(``brain.prompt``) and ``warm`` evaluates that part ahead of the first question: later
turns pay only for the retrieved facts, the history and the question.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from appliance.brain.llm import LlmError, Message

GGUF_MAGIC = b"GGUF"


def check_model_file(path: Path) -> None:
    """Fail with a message naming ``path`` before llama.cpp gives a vague one."""
    if not path.is_file():
        raise LlmError(f"LLM model file not found: {path} "
                       "(run `appliance models install`)")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise LlmError(f"LLM model file is not a GGUF file (corrupt?): {path} "
                       "(re-run `appliance models install`)")


class LlamaLanguageModel:
    """A loaded GGUF chat model; thread-safe (one generation at a time).

    ``temperature`` 0 (greedy) by default: a receptionist should repeat facts, not vary
    them, and replies are reproducible (tests, support).
    """

    def __init__(self, path: Path, *, n_ctx: int = 2048, n_threads: int = 2,
                 temperature: float = 0.0, seed: int = 0) -> None:
        path = Path(path)
        check_model_file(path)
        from llama_cpp import Llama  # heavy import (loads the shared library): only when used

        try:
            # verbose=False also silences llama.cpp's own stderr logging.
            # chat_format=None: the GGUF's embedded chat template is used.
            self._llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                                n_threads_batch=n_threads, seed=seed, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise LlmError(f"cannot load LLM model {path}: {exc}") from exc
        self.path = path
        self.n_ctx = n_ctx
        self.temperature = temperature
        # llama.cpp contexts are not thread-safe; held for a whole generation.
        self._lock = threading.Lock()
        self._current: threading.Event | None = None

    @property
    def chat_format(self) -> str | None:
        return self._llama.chat_format

    def cancel(self) -> None:
        """Stop the generation in flight (if any) at its next token."""
        current = self._current
        if current is not None:
            current.set()

    def stream(self, messages: Sequence[Message], max_tokens: int = 128,
               stop: Sequence[str] | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        # The lock is taken at the first next() and held until the generator finishes or is
        # closed; a plain Lock (not RLock) so an async caller may advance it from
        # different worker threads (asyncio.to_thread(next, gen, None) per piece).
        event = cancel if cancel is not None else threading.Event()
        # Wait for the model in short steps: a reply cancelled while queued behind other
        # calls' generations gives up at once instead of holding its thread (and its call).
        while not self._lock.acquire(timeout=0.05):
            if event.is_set():
                return
        try:
            self._current = event
            try:
                if event.is_set():
                    return
                chunks = self._completion(messages, max_tokens, stop)
                try:
                    for chunk in chunks:
                        if event.is_set():
                            break
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            yield piece
                except ValueError as exc:  # raised lazily, e.g. prompt longer than n_ctx
                    raise LlmError(f"LLM {self.path.name}: {exc}") from exc
                finally:
                    # Closing llama-cpp's generator stops it: no token after this one.
                    chunks.close()
            finally:
                self._current = None
        finally:
            self._lock.release()

    def warm(self, prefix_messages: Sequence[Message]) -> None:
        # One generated token is the cheapest public way to evaluate (and keep) the prefix.
        for _ in self.stream(prefix_messages, max_tokens=1):
            pass

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _completion(self, messages: Sequence[Message], max_tokens: int,
                    stop: Sequence[str] | None) -> Any:
        return self._llama.create_chat_completion(
            messages=[m.as_dict() for m in messages],  # type: ignore[misc]
            max_tokens=max_tokens, stop=list(stop) if stop else None,
            temperature=self.temperature, stream=True)


def load(path: Path, *, n_threads: int = 2, n_ctx: int = 2048) -> LlamaLanguageModel:
    return LlamaLanguageModel(path, n_threads=n_threads, n_ctx=n_ctx)
