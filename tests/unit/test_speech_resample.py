import numpy as np
import pytest

from appliance.speech.resample import Resampler, resample


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 10000).astype(np.int16)


def peak_hz(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize(
    ("src", "dst"), [(8000, 16000), (16000, 8000), (22050, 8000), (22050, 16000), (8000, 22050)]
)
def test_resample_length_dtype_and_pitch(src: int, dst: int) -> None:
    out = resample(tone(1000, src), src, dst)
    assert out.dtype == np.int16
    assert len(out) == dst  # one second in, one second out
    assert peak_hz(out, dst) == pytest.approx(1000, abs=2)


def test_same_rate_is_a_noop() -> None:
    audio = tone(440, 8000)
    assert resample(audio, 8000, 8000) is audio


def test_empty_input() -> None:
    out = resample(np.zeros(0, dtype=np.int16), 8000, 16000)
    assert out.dtype == np.int16 and len(out) == 0


def test_rejects_non_int16() -> None:
    with pytest.raises(ValueError, match="expected mono int16 audio"):
        resample(np.zeros(10, dtype=np.float32), 8000, 16000)


def test_stream_matches_one_shot() -> None:
    audio = tone(700, 8000, 2.0)
    stream = Resampler(8000, 16000)
    # 20 ms RTP-sized chunks
    parts = [stream.process(audio[i : i + 160]) for i in range(0, len(audio), 160)]
    out = np.concatenate([*parts, stream.flush()])
    assert out.dtype == np.int16
    assert abs(len(out) - 32000) <= 2
    one_shot = resample(audio, 8000, 16000)
    n = min(len(out), len(one_shot))
    # Same filter, so the streamed signal is the one-shot signal (no clicks at chunk edges).
    assert np.max(np.abs(out[:n].astype(int) - one_shot[:n].astype(int))) <= 2


def test_stream_is_reusable_after_flush() -> None:
    stream = Resampler(16000, 8000)
    for _ in range(2):
        out = np.concatenate([stream.process(tone(500, 16000)), stream.flush()])
        assert abs(len(out) - 8000) <= 2


def test_stream_same_rate_passes_through() -> None:
    stream = Resampler(8000, 8000)
    chunk = tone(500, 8000, 0.02)
    assert stream.process(chunk) is chunk
    assert len(stream.flush()) == 0
