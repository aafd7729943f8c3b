"""Read and write WAV files as mono int16 arrays, using only the stdlib ``wave`` module."""

from __future__ import annotations

import io
import os
import tempfile
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Return ``(audio, rate)`` for a 16-bit PCM WAV; stereo is downmixed to mono.

    Raises ``ValueError`` naming the file and the reason for anything else.
    """
    p = Path(path)
    try:
        f = p.open("rb")
    except FileNotFoundError:
        raise ValueError(f"file not found: {p}") from None
    except OSError as e:
        raise ValueError(f"cannot read {p}: {e.strerror or e}") from None
    with f:
        return decode_wav(f, str(p))


def decode_wav(f: BinaryIO, name: str) -> tuple[np.ndarray, int]:
    """Decode a WAV stream; ``name`` is only used in error messages."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
        raise ValueError(f"not a WAV file: {name}")
    f.seek(0)
    try:
        with wave.open(f, "rb") as w:
            return _read_frames(w, name)
    except (wave.Error, EOFError) as e:
        # A RIFF/WAVE file that `wave` rejects: compressed or float data, truncated header.
        reason = str(e) or "truncated header"
        raise ValueError(f"unsupported WAV: {reason} in {name}") from None


def _read_frames(w: wave.Wave_read, name: str) -> tuple[np.ndarray, int]:
    channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
    if width != 2:
        raise ValueError(f"unsupported WAV: {8 * width}-bit samples in {name}")
    if channels not in (1, 2):
        raise ValueError(f"unsupported WAV: {channels} channels in {name}")
    # Streaming writers (e.g. `espeak-ng --stdout`) put a huge placeholder frame
    # count in the header; readframes stops at the real end of the data.
    data = w.readframes(w.getnframes())
    usable = len(data) - len(data) % (2 * channels)
    audio = np.frombuffer(data[:usable], dtype="<i2").astype(np.int16)
    if channels == 2:
        # Average in int32 so loud in-phase channels cannot overflow.
        audio = (audio.reshape(-1, 2).astype(np.int32).sum(axis=1) // 2).astype(np.int16)
    return audio, rate


def decode_wav_bytes(data: bytes, name: str) -> tuple[np.ndarray, int]:
    return decode_wav(io.BytesIO(data), name)


def encode_wav(audio: np.ndarray, rate: int) -> bytes:
    if audio.dtype != np.int16 or audio.ndim != 1:
        raise ValueError(f"expected mono int16 audio, got {audio.dtype} with shape {audio.shape}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(audio.astype("<i2").tobytes())
    return buf.getvalue()


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, rate: int) -> None:
    """Write mono int16 audio; readers never see a half-written file."""
    atomic_write(Path(path), encode_wav(audio, rate))


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
