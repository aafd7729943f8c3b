"""Loading the shared engines once, at supervisor start.

A missing or broken STT or LLM does not stop the box from answering: the engine is left out,
the problem is reported (the log, ``supervisor.ready``, ``appliance up`` and ``status``) with
the path involved, and calls get an apology and a transfer or a message instead. Only the
TTS voice is required (lifecycle.prepare already refuses to start without it, since the
fallback message is made with it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import models
from appliance.brain.answerer import Answerer
from appliance.brain.llama_llm import LlamaLanguageModel
from appliance.brain.llm import LlmError
from appliance.brain.prompt import BusinessProfile
from appliance.config import Config
from appliance.conversation.lines import LINES
from appliance.home import Home
from appliance.knowledge import KnowledgeBase, kb_dir
from appliance.speech.domain_lm import build_for_kb
from appliance.speech.phrases import PhraseCache
from appliance.speech.pocketsphinx_stt import PocketSphinxStt
from appliance.speech.stt import SpeechToText
from appliance.speech.stt_factory import load_stt

log = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "ko": "Korean"}


@dataclass
class Loaded:
    stt: SpeechToText | None = None
    answerer: Answerer | None = None
    kb: KnowledgeBase | None = None
    problems: list[str] = field(default_factory=list)


def default_llm_path() -> Path:
    for m in models.load_chunked():
        if m.role == "llm" and m.default:
            return m.path()
    raise LlmError("the models manifest names no default LLM")


def office_lm_path(home: Home) -> Path:
    # Outside kb/gen-*: those directories go away whenever the knowledge base changes.
    return home.root / "speech" / "office.arpa"


def refresh_office_lm(stt: SpeechToText | None, kb: KnowledgeBase, cfg: Config,
                      home: Home) -> None:
    """Teach PocketSphinx the office's words (the KB's text): WER on questions about the
    KB drops from ~58% to ~23%. Blocking, about a second; calls keep using the old model
    meanwhile."""
    if not isinstance(stt, PocketSphinxStt):
        return  # Vosk models bring their own language model
    path = build_for_kb(kb, office_lm_path(home), extra=[cfg.business.name])
    stt.use_lm(path)


def load(cfg: Config, home: Home) -> Loaded:
    """Blocking (seconds): run it in a thread."""
    out = Loaded()
    t0 = time.monotonic()
    try:
        out.stt = load_stt(cfg.speech, models.default_models_dir(), cfg.business.language)
    except Exception as e:
        out.problems.append(f"speech recognition unavailable: {e}")
    out.kb = KnowledgeBase(kb_dir(home))
    try:
        refresh_office_lm(out.stt, out.kb, cfg, home)
    except Exception as e:  # the generic model still works: worse, but it works
        log.error("cannot build the office language model: %s", e)
    try:
        path = cfg.brain.llm_path or default_llm_path()
        llm = LlamaLanguageModel(path, n_threads=cfg.brain.threads)
    except LlmError as e:
        out.problems.append(str(e))
    else:
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


async def watch_kb(loaded: Loaded, cfg: Config, home: Home, every_s: float = 5.0) -> None:
    """Rebuild the office language model after `appliance kb add/remove/clear`."""
    if loaded.kb is None:
        return
    seen = loaded.kb.current_dir()
    while True:
        await asyncio.sleep(every_s)
        now = loaded.kb.current_dir()
        if now != seen:
            seen = now
            try:
                await asyncio.to_thread(refresh_office_lm, loaded.stt, loaded.kb, cfg, home)
                log.info("office language model rebuilt for the new knowledge base")
            except Exception as e:
                log.error("cannot rebuild the office language model: %s", e)


def warm_phrases(phrases: PhraseCache, greeting: str) -> None:
    """Every fixed line, so they play at once and survive a TTS failure mid-call."""
    phrases.warm([greeting, *LINES.all()])
