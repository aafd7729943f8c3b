"""Speak every question of this set into audio/<id>.wav: 8 kHz mono 16-bit, caller voice.

The caller voice is espeak-ng (``appliance.speech.espeak.EspeakTts``), never the bot's Piper
voice, and the audio is telephone band, as a caller's question reaches the recognizer.
Run from the repository root after editing questions.toml:

    .venv/bin/python tests/data/eval/harbor-music/make_audio.py
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from appliance.speech.espeak import EspeakTts
from appliance.speech.resample import resample
from appliance.speech.wavio import write_wav

HERE = Path(__file__).parent
RATE = 8000


def main() -> int:
    questions = tomllib.loads((HERE / "questions.toml").read_text())["question"]
    tts = EspeakTts()
    out = HERE / "audio"
    out.mkdir(exist_ok=True)
    for q in questions:
        audio = resample(tts.synthesize_all(q["text"]), tts.sample_rate, RATE)
        write_wav(out / f"{q['id']}.wav", audio, RATE)
        print(f"{q['id']}.wav  {len(audio) / RATE:.1f} s  {q['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
