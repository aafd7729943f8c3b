"""How the test caller turns received audio into words.

PocketSphinx is sensitive to how much silence surrounds an utterance (its cepstral mean
normalisation sees it), so received audio is cut to its sounding part and given the
same 0.3 s of padding each time: repeatable transcripts for the same speech.
"""

from __future__ import annotations

import numpy as np

from appliance.speech.stt import SpeechToText

PAD_S = 0.3
SOUND_LEVEL = 200  # |sample| above this counts as sound (int16)


def trim_and_pad(audio: np.ndarray, rate: int) -> np.ndarray:
    sounding = np.flatnonzero(np.abs(audio.astype(np.int32)) > SOUND_LEVEL)
    if sounding.size == 0:
        return np.zeros(0, dtype=np.int16)
    pad = np.zeros(int(PAD_S * rate), dtype=np.int16)
    core = audio[sounding[0]: sounding[-1] + 1].astype(np.int16)
    return np.concatenate([pad, core, pad])


def transcribe_heard(stt: SpeechToText, audio: np.ndarray, rate: int) -> str:
    """Words in ``audio`` (int16 at ``rate``); "" when nothing sounded."""
    clip = trim_and_pad(audio, rate)
    return stt.transcribe(clip, rate) if clip.size else ""
