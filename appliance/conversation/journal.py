"""What a conversation leaves in the call record: transcript lines and per-turn records.

Writes go to SQLite in order from one task, off the event loop; ``close()`` writes whatever
is still queued, so nothing said in the last second of a call is lost. Stage times arrive
as ``time.monotonic()`` values and are stored as epoch seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from appliance.conversation.ear import Utterance
from appliance.conversation.reply import Reply
from appliance.records.store import CallStore, TurnRecord

log = logging.getLogger(__name__)


class Journal:
    def __init__(self, store: CallStore, call_id: str) -> None:
        self.store = store
        self.call_id = call_id
        self.wall = time.time() - time.monotonic()  # monotonic -> epoch
        self._turns = 0
        self._writes: asyncio.Queue[Callable[[], object] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._writer(), name="records")

    def epoch(self, mono: float | None) -> float | None:
        return None if mono is None else mono + self.wall

    def transcript(self, speaker: str, text: str) -> None:
        if text:
            call_id, at, store = self.call_id, time.time(), self.store
            self._writes.put_nowait(lambda: store.add_transcript(call_id, at, speaker, text))

    def new_turn(self, u: Utterance) -> TurnRecord:
        turn = TurnRecord(self.call_id, self._turns, u.text, "", "",
                          speech_start=self.epoch(u.speech_start),
                          speech_end=self.epoch(u.speech_end),
                          stt_final=self.epoch(u.stt_final))
        self._turns += 1
        return turn

    def flow_turn(self, u: Utterance, said: str, route: str) -> None:
        """A turn the call flow answered itself (goodbye, handoff, message, ...)."""
        turn = self.new_turn(u)
        turn.reply, turn.route, turn.reply_end = said, route, time.time()
        self.transcript("bot", said)
        self.save(turn)

    def reply_turn(self, turn: TurnRecord, reply: Reply) -> None:
        """A turn the answerer replied to (possibly cut short by a barge-in)."""
        turn.reply = reply.text
        turn.route = reply.trace.route or ("error" if reply.error else "")
        turn.passages = list(reply.trace.passages)
        turn.retrieval_done = self.epoch(reply.trace.retrieval_done)
        turn.first_token = self.epoch(reply.trace.first_token)
        turn.first_clause = self.epoch(reply.times.first_clause)
        turn.first_tts_audio = self.epoch(reply.times.first_tts_audio)
        turn.first_rtp_sent = self.epoch(reply.times.first_rtp_sent)
        turn.reply_end = time.time()
        self.transcript("bot", reply.text)
        self.save(turn)

    def save(self, turn: TurnRecord) -> None:
        self._writes.put_nowait(lambda: self.store.add_turn(turn))

    async def close(self) -> None:
        self._writes.put_nowait(None)  # write everything queued, then end
        await self._task

    async def _writer(self) -> None:
        while (write := await self._writes.get()) is not None:
            try:
                await asyncio.to_thread(write)
            except Exception:
                log.exception("call %s: cannot write a record", self.call_id)
