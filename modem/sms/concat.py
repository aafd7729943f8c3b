"""Reassembly of concatenated SMS parts (UDH IEI 0x00 / 0x08) into whole messages.

Parts arrive in any order, may repeat, and some never arrive; the number of messages
waiting for parts is bounded, the oldest giving way (handed to `on_evict` as a partial
message so its text is not silently lost).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from modem.sms.pdu import SmsDeliver, join_surrogates

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    total: int
    parts: dict[int, SmsDeliver] = field(default_factory=dict)

    def join(self) -> SmsDeliver:
        ordered = [self.parts[seq] for seq in sorted(self.parts)]
        first = self.parts.get(1, ordered[0])
        text = join_surrogates("".join(part.text for part in ordered))
        return replace(first, text=text, concat=None)


class Reassembler:
    """Feed every SmsDeliver to `add`; it returns a message once all of its parts are in.

    Parts belong together when sender and concatenation reference match; a part whose
    total differs from the pending one starts a new message (the reference was reused).
    """

    def __init__(
        self,
        max_pending: int = 16,
        on_evict: Callable[[SmsDeliver], None] | None = None,
    ) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self.max_pending = max_pending
        self._on_evict = on_evict
        self._pending: dict[tuple[str, int], _Pending] = {}

    @property
    def pending(self) -> int:
        """Messages still waiting for parts."""
        return len(self._pending)

    def add(self, part: SmsDeliver) -> SmsDeliver | None:
        if part.concat is None:
            return part
        reference, total, seq = part.concat
        if total == 1:
            return replace(part, text=join_surrogates(part.text), concat=None)
        key = (part.sender, reference)
        pending = self._pending.get(key)
        if pending is not None and pending.total != total:
            log.warning("SMS from %s reused reference %d: dropping the old parts", *key)
            self._evict(key)
            pending = None
        if pending is None:
            while len(self._pending) >= self.max_pending:
                oldest = next(iter(self._pending))
                log.warning("too many partial SMS: giving up on %s ref %d", *oldest)
                self._evict(oldest)
            pending = self._pending[key] = _Pending(total)
        pending.parts[seq] = part
        if len(pending.parts) < total:
            return None
        del self._pending[key]
        return pending.join()

    def flush(self) -> list[SmsDeliver]:
        """Every incomplete message as far as it arrived (missing parts left out); clears."""
        partial = [pending.join() for pending in self._pending.values()]
        self._pending.clear()
        return partial

    def _evict(self, key: tuple[str, int]) -> None:
        pending = self._pending.pop(key)
        if self._on_evict is not None:
            self._on_evict(pending.join())
