"""PocketSphinx STT backend with the en-us model bundled in the pocketsphinx wheel.

The model is 16 kHz wideband. Telephone audio is 8 kHz: pass ``rate=8000`` and it
is resampled here (the band above 4 kHz stays empty, which costs some accuracy on
fricatives, e.g. "office" is often heard as "off of").
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from appliance.speech.resample import Resampler, resample
from appliance.speech.stt import SpeechToText, SttError, SttStream, with_noise_floor

if TYPE_CHECKING:
    from pocketsphinx import Decoder

SAMPLE_RATE = 16000

# Synthetic speech (Piper, espeak-ng) and VoIP silence suppression produce exact
# digital silence, unlike the recordings the acoustic model was trained on, and
# that misleads PocketSphinx's noise and cepstral-mean estimates. Adding a faint
# noise floor measurably helps on 8 kHz round-tripped audio (15 sentences:
# Piper WER 18% -> 13.5%, espeak-ng Klatt 43% -> 32%) and is inaudible next to
# real line noise. The RNG is re-seeded per utterance so results are repeatable.
NOISE_FLOOR_DBFS = -60.0
_NOISE_SEED = 0

# Streaming decodes with a running cepstral mean (the whole utterance is not known
# yet), which starts from whatever the decoder last saw: the model's wideband
# default (WER 42-66% on 8 kHz speech), a silence-only utterance, or another
# caller, since decoders are pooled. Each stream therefore starts from this mean,
# measured over 30 telephony-band utterances (Piper joe and espeak-ng Klatt, 8 kHz
# round trip, noise floor on); with it streaming matches whole-buffer accuracy.
# It adapts to the real line within the utterance.
TELEPHONY_CMN = "56.90,13.79,-16.40,15.57,-10.03,-7.10,3.45,-15.27,3.12,-2.06,-2.50,5.47,-9.66"


class PocketSphinxStt(SpeechToText):
    """Decoders are created once and reused across utterances.

    A decoder handles one utterance at a time, so the engine keeps a small pool:
    the first decoder is built here, and another only when utterances overlap
    (concurrent calls). All methods are blocking and thread-safe.

    ``lm_path`` replaces the generic language model, e.g. with the office's own
    (``appliance.speech.domain_lm.build_for_kb``); the acoustic model and dictionary stay.
    """

    def __init__(self, noise_floor_dbfs: float | None = NOISE_FLOOR_DBFS,
                 lm_path: Path | None = None) -> None:
        self.sample_rate = SAMPLE_RATE
        self.noise_floor_dbfs = noise_floor_dbfs
        self.lm_path = lm_path
        self._lock = threading.Lock()
        self._generation = 0  # bumped by use_lm(); decoders of older ones are not pooled again
        self._born: dict[int, int] = {}
        self._idle: list[Decoder] = [self._new_decoder()]

    def use_lm(self, lm_path: Path | None) -> None:
        """Decode later utterances with this language model (ARPA or binary; None: the
        generic one). A decoder is loaded now, so a bad file raises SttError here and the
        old model stays; utterances already under way finish with the old model."""
        decoder = self._load(lm_path)
        with self._lock:
            self.lm_path = lm_path
            self._generation += 1
            self._born = {id(decoder): self._generation}
            self._idle = [decoder]

    def _new_decoder(self) -> Decoder:
        with self._lock:
            lm_path, generation = self.lm_path, self._generation
        decoder = self._load(lm_path)
        with self._lock:
            self._born[id(decoder)] = generation
        return decoder

    @staticmethod
    def _load(lm_path: Path | None) -> Decoder:
        # Imported here so `import appliance.speech` stays light.
        from pocketsphinx import Decoder

        if lm_path is not None and not lm_path.is_file():
            raise SttError(f"language model not found: {lm_path}")
        try:
            # Default config = bundled en-us acoustic model, LM and dictionary.
            # "ERROR" silences the per-utterance INFO chatter on stderr.
            if lm_path is None:
                return Decoder(loglevel="ERROR")
            return Decoder(lm=str(lm_path), loglevel="ERROR")
        except Exception as e:  # pocketsphinx raises bare RuntimeError/ValueError
            what = f"language model {lm_path}" if lm_path else "en-us model"
            raise SttError(f"cannot load the pocketsphinx {what}: {e}") from e

    def _acquire(self) -> Decoder:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._new_decoder()

    def _release(self, decoder: Decoder) -> None:
        with self._lock:
            if self._born.get(id(decoder)) == self._generation:
                self._idle.append(decoder)
            else:  # loaded before use_lm(): let it go
                self._born.pop(id(decoder), None)

    def condition(self, audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Add the noise floor to 16 kHz audio (see NOISE_FLOOR_DBFS)."""
        return with_noise_floor(audio, self.noise_floor_dbfs, rng)

    def transcribe(self, audio: np.ndarray, rate: int | None = None) -> str:
        """Transcribe one utterance of mono int16 audio at ``rate`` (default 16000)."""
        audio = resample(audio, rate or SAMPLE_RATE, SAMPLE_RATE)
        if len(audio) == 0:
            return ""
        audio = self.condition(audio, np.random.default_rng(_NOISE_SEED))
        decoder = self._acquire()
        try:
            decoder.start_utt()
            # full_utt: the whole utterance is known, so normalize over all of it
            # (batch CMN) instead of a running estimate.
            decoder.process_raw(audio.tobytes(), False, True)
            decoder.end_utt()
            return _hypothesis(decoder)
        except RuntimeError as e:
            raise SttError(f"pocketsphinx decoding failed: {e}") from e
        finally:
            self._release(decoder)

    def start(self, rate: int | None = None) -> PocketSphinxStream:
        return PocketSphinxStream(self, rate or SAMPLE_RATE)


class PocketSphinxStream(SttStream):
    """One streaming utterance; holds a pooled decoder until ``finish``/``close``."""

    def __init__(self, engine: PocketSphinxStt, rate: int) -> None:
        self._engine = engine
        self._resampler = Resampler(rate, SAMPLE_RATE)
        self._rng = np.random.default_rng(_NOISE_SEED)
        self._decoder: Decoder | None = engine._acquire()
        self._final = ""
        try:
            self._decoder.set_cmn(TELEPHONY_CMN)
            self._decoder.start_utt()
        except RuntimeError as e:
            self._decoder = None  # state unknown: do not return it to the pool
            raise SttError(f"pocketsphinx cannot start an utterance: {e}") from e

    def accept(self, chunk: np.ndarray) -> None:
        if self._decoder is None:
            raise SttError("audio after the end of the utterance")
        self._feed(self._resampler.process(chunk))

    def _feed(self, audio: np.ndarray) -> None:
        assert self._decoder is not None
        if len(audio) == 0:
            return
        try:
            # Live mode: the decoder searches as audio arrives, so partial() is current.
            self._decoder.process_raw(self._engine.condition(audio, self._rng).tobytes())
        except RuntimeError as e:
            self._abandon()
            raise SttError(f"pocketsphinx decoding failed: {e}") from e

    def partial(self) -> str:
        if self._decoder is None:
            return self._final
        return _hypothesis(self._decoder)

    def finish(self) -> str:
        if self._decoder is None:
            return self._final
        self._feed(self._resampler.flush())
        decoder = self._decoder
        try:
            decoder.end_utt()
            self._final = _hypothesis(decoder)
        except RuntimeError as e:
            self._abandon()
            raise SttError(f"pocketsphinx decoding failed: {e}") from e
        self._decoder = None
        self._engine._release(decoder)
        return self._final

    def close(self) -> None:
        if self._decoder is not None:
            self._abandon()

    def _abandon(self) -> None:
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            return
        try:
            decoder.end_utt()
        except RuntimeError:
            return  # a decoder in an unknown state is dropped, not pooled
        self._engine._release(decoder)


def _hypothesis(decoder: Decoder) -> str:
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""
