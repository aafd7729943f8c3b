"""Typed ARI events: the few the appliance acts on, everything else as ``AriEvent``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    exten: str
    context: str
    variables: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Channel:
        caller = data.get("caller") or {}
        dialplan = data.get("dialplan") or {}
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            caller_number=str(caller.get("number", "")),
            caller_name=str(caller.get("name", "")),
            exten=str(dialplan.get("exten", "")),
            context=str(dialplan.get("context", "")),
            variables={str(k): str(v) for k, v in (data.get("channelvars") or {}).items()},
        )


@dataclass(frozen=True)
class AriEvent:
    type: str
    application: str
    timestamp: str
    raw: dict[str, Any]

    @property
    def channel_id(self) -> str | None:
        """The channel this event is about, if any (used to route it to its call)."""
        chan = self.raw.get("channel")
        return str(chan["id"]) if isinstance(chan, dict) and "id" in chan else None


@dataclass(frozen=True)
class StasisStart(AriEvent):
    channel: Channel
    args: list[str]


@dataclass(frozen=True)
class StasisEnd(AriEvent):
    channel: Channel


@dataclass(frozen=True)
class ChannelDestroyed(AriEvent):
    channel: Channel
    cause: int
    cause_txt: str


@dataclass(frozen=True)
class ChannelDtmfReceived(AriEvent):
    channel: Channel
    digit: str


def parse_event(data: dict[str, Any]) -> AriEvent:
    """Build the typed event for one ARI JSON message; unknown types stay generic."""
    base: dict[str, Any] = {
        "type": str(data.get("type", "")),
        "application": str(data.get("application", "")),
        "timestamp": str(data.get("timestamp", "")),
        "raw": data,
    }
    kind = base["type"]
    chan = data.get("channel")
    if isinstance(chan, dict) and "id" in chan:
        channel = Channel.from_json(chan)
        if kind == "StasisStart":
            return StasisStart(**base, channel=channel,
                               args=[str(a) for a in data.get("args", [])])
        if kind == "StasisEnd":
            return StasisEnd(**base, channel=channel)
        if kind == "ChannelDestroyed":
            return ChannelDestroyed(**base, channel=channel, cause=int(data.get("cause", 0)),
                                    cause_txt=str(data.get("cause_txt", "")))
        if kind == "ChannelDtmfReceived":
            return ChannelDtmfReceived(**base, channel=channel, digit=str(data.get("digit", "")))
    return AriEvent(**base)
