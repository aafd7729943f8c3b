"""Loading the shared engines once, at supervisor start.

A missing or broken STT or LLM does not stop the box from answering: the engine is left out,
the problem is reported (the log, ``supervisor.ready``, ``appliance up`` and ``status``) with
the path involved, and calls get an apology and a transfer or a message instead. Only the
TTS voice is required (lifecycle.prepare already refuses to start without it, since the
fallback message is made with it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import models
from appliance.brain.llama_llm import LlamaLanguageModel
from appliance.brain.llm import LlmError
from appliance.brain.prompt import BusinessProfile
from appliance.config import Config
from appliance.conversation.lines import LINES
from appliance.home import Home
from appliance.knowledge import KnowledgeBase, kb_dir
from appliance.speech.phrases import PhraseCache
from appliance.speech.stt import SpeechToText

log = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "ko": "Korean"}


@dataclass
class Loaded:
    stt: SpeechToText | None = None
    answerer: object | None = None  # appliance.brain.answerer.Answerer
    kb: KnowledgeBase | None = None
    problems: list[str] = field(default_factory=list)


def default_llm_path() -> Path:
    for m in models.load_chunked():
        if m.role == "llm" and m.default:
            return m.path()
    raise LlmError("the models manifest names no default LLM")


def load_stt(cfg: Config) -> SpeechToText:
    try:
        from appliance.speech.stt_factory import load_stt as factory
    except ImportError:  # no engine choice available: the embedded default
        from appliance.speech.pocketsphinx_stt import PocketSphinxStt

        return PocketSphinxStt()
    return factory(cfg.speech, models.default_models_dir(), cfg.business.language)


def load(cfg: Config, home: Home) -> Loaded:
    """Blocking (seconds): run it in a thread."""
    out = Loaded()
    t0 = time.monotonic()
    try:
        out.stt = load_stt(cfg)
    except Exception as e:
        out.problems.append(f"speech recognition unavailable: {e}")
    try:
        path = cfg.brain.llm_path or default_llm_path()
        llm = LlamaLanguageModel(path, n_threads=cfg.brain.threads)
    except LlmError as e:
        out.problems.append(str(e))
    else:
        from appliance.brain.answerer import Answerer

        out.kb = KnowledgeBase(kb_dir(home))
        profile = BusinessProfile(cfg.business.name, cfg.brain.description,
                                  LANGUAGES.get(cfg.business.language, "English"))
        answerer = Answerer(out.kb, llm, profile)
        try:
            answerer.warm()
            out.answerer = answerer
        except Exception as e:
            out.problems.append(f"the LLM {path} failed to answer a warm-up prompt: {e}")
    for problem in out.problems:
        log.error("%s", problem)
    log.info("engines loaded in %.1f s", time.monotonic() - t0)
    return out


def warm_phrases(phrases: PhraseCache, greeting: str) -> None:
    """Every fixed line, so they play at once and survive a TTS failure mid-call."""
    phrases.warm([greeting, *LINES.all()])
