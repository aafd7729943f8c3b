"""Vosk (Kaldi) STT backend: a model directory from the models store.

Typical Vosk models are 16 kHz; telephone audio (``rate=8000``) is resampled here.
Endpointing (how much trailing silence ends an utterance) is read by Vosk from the
model's ``conf/model.conf``; ``appliance models install`` writes phone-tuned rules
into the store's copy (``models.vosk``), because the PyPI vosk 0.3.45 has no
``SetEndpointerDelays``.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from appliance.speech.resample import Resampler, resample
from appliance.speech.stt import SpeechToText, SttError, SttStream, with_noise_floor

if TYPE_CHECKING:
    from vosk import KaldiRecognizer, Model

DEFAULT_SAMPLE_RATE = 16000
_RATE_OPTION = re.compile(r"^\s*--sample-frequency\s*=\s*([0-9.]+)", re.MULTILINE)

# Vosk's endpointer counts trailing silence the decoder takes for silence phones,
# and exact digital silence (synthetic speech, VoIP silence suppression) often is
# not that. A faint noise floor, added at the line's rate before upsampling so it
# stays in the line's band like real line noise, made endpointing dependable:
# 12 espeak-ng Korean sentences over 8 kHz, 6 times each, then 5 s of silence:
# without it 7 of 72 never endpointed and 6 took over 2 s; with it 1 never did and
# the rest came within 1.4 s. Accuracy was about the same. The RNG is re-seeded
# per utterance, as in the PocketSphinx adapter.
NOISE_FLOOR_DBFS = -60.0
_NOISE_SEED = 0

# Each recognizer composes its decoding graph lazily, so its first utterance costs
# about 1.3 s extra CPU on the Korean model; one second of low noise at load halves
# that, and the rest fades over the first real utterance.
_WARM_SECONDS = 1.0


def model_sample_rate(model_dir: Path) -> int:
    """The rate the model was trained at: ``--sample-frequency`` in conf/mfcc.conf, else 16 kHz."""
    try:
        text = (model_dir / "conf" / "mfcc.conf").read_text(encoding="utf-8")
    except OSError:
        return DEFAULT_SAMPLE_RATE
    m = _RATE_OPTION.search(text)
    return int(float(m.group(1))) if m else DEFAULT_SAMPLE_RATE


def add_noise_floor(audio: np.ndarray, dbfs: float | None, rng: np.random.Generator) -> np.ndarray:
    if audio.dtype != np.int16 or audio.ndim != 1:
        raise ValueError(f"expected mono int16 audio, got {audio.dtype} with shape {audio.shape}")
    return with_noise_floor(audio, dbfs, rng)


class VoskStt(SpeechToText):
    """A Vosk model loaded once; recognizers are pooled, warmed and reused.

    A recognizer decodes one utterance at a time: one is created and warmed here,
    another only when utterances overlap (concurrent calls). All methods are
    blocking and thread-safe.
    """

    def __init__(self, model_dir: Path, noise_floor_dbfs: float | None = NOISE_FLOOR_DBFS) -> None:
        self.model_dir = model_dir
        self.noise_floor_dbfs = noise_floor_dbfs
        if not model_dir.is_dir():
            raise SttError(f"Vosk model directory not found: {model_dir}")
        if not (model_dir / "am" / "final.mdl").is_file():
            raise SttError(f"not a Vosk model directory (no am/final.mdl): {model_dir}")
        # Imported here so `import appliance.speech` stays light (vosk pulls in requests).
        import vosk

        vosk.SetLogLevel(-1)  # Kaldi's INFO lines would flood the supervisor's log
        self.sample_rate = model_sample_rate(model_dir)
        try:
            self._model: Model = vosk.Model(str(model_dir))
        except Exception as e:  # vosk raises a bare Exception("Failed to create a model")
            raise SttError(f"cannot load the Vosk model {model_dir}: {e}") from e
        self._lock = threading.Lock()
        self._idle: list[KaldiRecognizer] = [self._new_recognizer()]

    def _new_recognizer(self) -> KaldiRecognizer:
        import vosk

        try:
            rec = vosk.KaldiRecognizer(self._model, self.sample_rate)
            warm = np.random.default_rng(_NOISE_SEED).standard_normal(
                int(self.sample_rate * _WARM_SECONDS)) * 300
            rec.AcceptWaveform(warm.astype(np.int16).tobytes())
            _recycle(rec)
        except Exception as e:
            raise SttError(f"cannot create a Vosk recognizer for {self.model_dir}: {e}") from e
        return rec

    def _acquire(self) -> KaldiRecognizer:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._new_recognizer()

    def _release(self, rec: KaldiRecognizer) -> None:
        with self._lock:
            self._idle.append(rec)

    def transcribe(self, audio: np.ndarray, rate: int | None = None) -> str:
        """Transcribe one utterance of mono int16 audio at ``rate`` (default: the model's)."""
        if len(audio) == 0:
            return ""
        audio = add_noise_floor(audio, self.noise_floor_dbfs, np.random.default_rng(_NOISE_SEED))
        audio = resample(audio, rate or self.sample_rate, self.sample_rate)
        rec = self._acquire()
        try:
            rec.AcceptWaveform(audio.tobytes())  # one call: one segment, whatever it returns
            return _text(rec.FinalResult(), "text")
        except Exception as e:
            raise SttError(f"Vosk decoding failed: {e}") from e
        finally:
            _recycle(rec)
            self._release(rec)

    def start(self, rate: int | None = None) -> VoskStream:
        return VoskStream(self, rate or self.sample_rate)


class VoskStream(SttStream):
    """One streaming utterance; holds a pooled recognizer until ``finish``/``close``.

    When Vosk's endpointer fires mid-stream it closes a segment (``Result``) and goes
    on decoding the audio after it as a new one; the transcript joins the segments.
    """

    def __init__(self, engine: VoskStt, rate: int) -> None:
        self._engine = engine
        self._resampler = Resampler(rate, engine.sample_rate)
        self._rng = np.random.default_rng(_NOISE_SEED)
        self._rec: KaldiRecognizer | None = engine._acquire()
        self._segments: list[str] = []
        self._endpointed = False
        self._final = ""

    def accept(self, chunk: np.ndarray) -> None:
        if self._rec is None:
            raise SttError("audio after the end of the utterance")
        chunk = add_noise_floor(chunk, self._engine.noise_floor_dbfs, self._rng)
        self._feed(self._resampler.process(chunk))

    def _feed(self, audio: np.ndarray) -> None:
        assert self._rec is not None
        if len(audio) == 0:
            return
        try:
            if self._rec.AcceptWaveform(audio.tobytes()):
                segment = _text(self._rec.Result(), "text")
                if segment:
                    self._segments.append(segment)
                # An endpoint after silence alone (rule 1, no speech yet) ends nothing.
                self._endpointed = self._endpointed or bool(self._segments)
        except Exception as e:
            self.close()
            raise SttError(f"Vosk decoding failed: {e}") from e

    def endpointed(self) -> bool:
        return self._endpointed

    def partial(self) -> str:
        if self._rec is None:
            return self._final
        try:
            current = _text(self._rec.PartialResult(), "partial")
        except Exception as e:
            raise SttError(f"Vosk decoding failed: {e}") from e
        return " ".join([*self._segments, current] if current else self._segments)

    def finish(self) -> str:
        if self._rec is None:
            return self._final
        self._feed(self._resampler.flush())
        rec = self._rec
        try:
            last = _text(rec.FinalResult(), "text")
        except Exception as e:
            self.close()
            raise SttError(f"Vosk decoding failed: {e}") from e
        self._final = " ".join([*self._segments, last] if last else self._segments)
        self._rec = None
        _recycle(rec)
        self._engine._release(rec)
        return self._final

    def close(self) -> None:
        rec, self._rec = self._rec, None
        if rec is None:
            return
        try:
            _recycle(rec)
        except Exception:
            return  # a recognizer in an unknown state is dropped, not pooled
        self._engine._release(rec)


def _recycle(rec: KaldiRecognizer) -> None:
    """Make a recognizer ready for the next utterance, keeping its warmed graph cache.

    ``Reset()`` alone keeps the feature pipeline, so audio of an abandoned utterance
    that was not decoded yet leaked into the next one (measured: its words came out
    first). ``FinalResult()`` drains it and makes the next utterance start a fresh
    pipeline; after a finished utterance it is a no-op.
    """
    rec.FinalResult()
    rec.Reset()


def _text(result_json: str, key: str) -> str:
    value = json.loads(result_json).get(key, "")
    return value.strip() if isinstance(value, str) else ""
