import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.speech.wavio import decode_wav_bytes, read_wav, write_wav


def test_round_trip(tmp_path: Path) -> None:
    audio = (np.sin(np.arange(8000) / 5) * 20000).astype(np.int16)
    path = tmp_path / "a.wav"
    write_wav(path, audio, 8000)
    back, rate = read_wav(path)
    assert rate == 8000
    assert back.dtype == np.int16
    np.testing.assert_array_equal(back, audio)


def test_write_is_atomic_and_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    write_wav(path, np.ones(100, dtype=np.int16), 16000)
    write_wav(path, np.full(50, 7, dtype=np.int16), 22050)
    back, rate = read_wav(path)
    assert rate == 22050 and list(back) == [7] * 50
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no temp files left


def test_write_rejects_non_int16(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected mono int16 audio"):
        write_wav(tmp_path / "a.wav", np.zeros(10), 8000)


def write_raw(path: Path, frames: bytes, channels: int, width: int, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    stereo = np.array([[100, 300], [-32768, -32768], [32767, 32767]], dtype="<i2")
    path = tmp_path / "s.wav"
    write_raw(path, stereo.tobytes(), channels=2, width=2)
    audio, rate = read_wav(path)
    assert rate == 8000
    assert audio.dtype == np.int16
    assert list(audio) == [200, -32768, 32767]  # averaged without overflow


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    with pytest.raises(ValueError) as e:
        read_wav(path)
    assert str(e.value) == f"file not found: {path}"


def test_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "y.txt"
    path.write_text("hello, this is plainly not audio")
    with pytest.raises(ValueError) as e:
        read_wav(path)
    assert str(e.value) == f"not a WAV file: {path}"


def test_empty_file_is_not_a_wav(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a WAV file: "):
        read_wav(path)


def test_8_bit_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    write_raw(path, bytes(range(100)), channels=1, width=1)
    with pytest.raises(ValueError) as e:
        read_wav(path)
    assert str(e.value) == f"unsupported WAV: 8-bit samples in {path}"


def test_three_channels_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    write_raw(path, bytes(60), channels=3, width=2)
    with pytest.raises(ValueError) as e:
        read_wav(path)
    assert str(e.value) == f"unsupported WAV: 3 channels in {path}"


def test_float_wav_rejected(tmp_path: Path) -> None:
    path = tmp_path / "f.wav"
    write_raw(path, bytes(40), channels=1, width=2)
    data = bytearray(path.read_bytes())
    data[20:22] = (3).to_bytes(2, "little")  # WAVE_FORMAT_IEEE_FLOAT
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as e:
        read_wav(path)
    assert str(e.value) == f"unsupported WAV: unknown format: 3 in {path}"


def test_truncated_header_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported WAV: .* in clip"):
        decode_wav_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ", "clip")


def test_streaming_header_with_placeholder_length() -> None:
    # `espeak-ng --stdout` cannot seek back, so its header claims ~2^31 bytes.
    header = (
        b"RIFF\x24\xf0\xff\x7fWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
        b"\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\xf0\xff\x7f"
    )
    audio, rate = decode_wav_bytes(header + np.arange(5, dtype="<i2").tobytes(), "stdout")
    assert rate == 22050
    assert list(audio) == [0, 1, 2, 3, 4]
