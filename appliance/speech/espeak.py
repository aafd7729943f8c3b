"""espeak-ng TTS backend: a robotic formant voice used as the simulated caller in test calls.

It sounds nothing like Piper's neural voice, so a test call's two sides are easy
to tell apart by ear. The defaults were chosen by measuring PocketSphinx on
telephony-band (8 kHz) audio over 15 receptionist-style sentences: the Klatt
variant at 160 wpm had the lowest word error rate (~32%, with the recognizer's
noise floor on) of the en-us voices, variants, speeds and pitches tried; plain
``en-us`` at 150 wpm was ~60-85%.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np

from appliance.speech.tts import TextToSpeech, TtsError
from appliance.speech.wavio import decode_wav_bytes

DEFAULT_VOICE = "en-us+klatt"
DEFAULT_SPEED = 160  # words per minute
SAMPLE_RATE = 22050  # what espeak-ng writes with --stdout
TIMEOUT_S = 30.0

# Split after sentence punctuation followed by whitespace, like Piper does, so
# both engines yield one chunk per sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


class EspeakTts(TextToSpeech):
    """Runs the ``espeak-ng`` CLI once per sentence (it starts in a few milliseconds)."""

    def __init__(self, voice: str = DEFAULT_VOICE, speed: int = DEFAULT_SPEED) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise TtsError("espeak-ng not found: install the Debian package espeak-ng")
        self._exe = exe
        self.voice = voice
        self.speed = speed
        self.sample_rate = SAMPLE_RATE
        self.voice_id = f"espeak-ng:{voice}:{speed}"

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        for sentence in split_sentences(text):
            yield self._speak(sentence)

    def _speak(self, sentence: str) -> np.ndarray:
        # Text goes through stdin so a sentence starting with "-" is never an option.
        cmd = [self._exe, "-v", self.voice, "-s", str(self.speed), "--stdout"]
        try:
            proc = subprocess.run(
                cmd, input=sentence.encode(), capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except FileNotFoundError:
            raise TtsError("espeak-ng not found: install the Debian package espeak-ng") from None
        except subprocess.TimeoutExpired:
            raise TtsError(f"espeak-ng timed out after {TIMEOUT_S:.0f}s") from None
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise TtsError(f"espeak-ng failed (exit {proc.returncode}): {err}")
        try:
            audio, rate = decode_wav_bytes(proc.stdout, "espeak-ng output")
        except ValueError as e:
            raise TtsError(str(e)) from None
        if rate != self.sample_rate:
            raise TtsError(f"espeak-ng wrote {rate} Hz audio, expected {self.sample_rate} Hz")
        return audio
