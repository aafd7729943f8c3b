"""A BERT encoder forward pass in numpy, so the appliance embeds text without PyTorch.

Matches Hugging Face ``BertModel`` in eval mode (no dropout) for the weights' layout used by
sentence-transformers checkpoints such as all-MiniLM-L6-v2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Hugging Face's extended attention mask adds the dtype's minimum to padded keys; any large
# negative gives exp() == 0 in float32, and a finite one avoids inf - inf = nan.
_MASKED = np.float32(-1e9)


@dataclass(frozen=True)
class BertConfig:
    hidden_size: int
    num_layers: int
    num_heads: int
    layer_norm_eps: float
    max_positions: int


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no vectorised erf and the
    # exact-erf GELU is what BERT's "gelu" means (the tanh form differs by ~1e-3).
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))).astype(np.float32)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * w + b


class BertEncoder:
    """Holds the weights (transposed once for ``x @ W``) and runs the encoder."""

    def __init__(self, config: BertConfig, tensors: dict[str, np.ndarray]) -> None:
        self.config = config
        self._t = {k: v for k, v in tensors.items() if v.dtype == np.float32}
        # Linear weights are stored (out, in); transpose once, not on every call.
        for name, value in list(self._t.items()):
            if name.endswith("dense.weight") or name.endswith(
                ("query.weight", "key.weight", "value.weight")
            ):
                self._t[name] = np.ascontiguousarray(value.T)
        # Fuse Q, K and V into one matmul per layer: fewer, larger GEMMs are faster.
        for i in range(config.num_layers):
            p = f"encoder.layer.{i}.attention.self."
            self._t[p + "qkv.weight"] = np.ascontiguousarray(
                np.concatenate([self._t[p + n + ".weight"] for n in ("query", "key", "value")], 1)
            )
            self._t[p + "qkv.bias"] = np.concatenate(
                [self._t[p + n + ".bias"] for n in ("query", "key", "value")]
            )
            for n in ("query", "key", "value"):  # fused copies replace them: free the memory
                del self._t[p + n + ".weight"], self._t[p + n + ".bias"]

    def _w(self, name: str) -> np.ndarray:
        return self._t[name]

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Token states (batch, seq, hidden) float32 for int ids and a 0/1 mask."""
        cfg = self.config
        batch, seq = input_ids.shape
        if seq > cfg.max_positions:
            raise ValueError(f"sequence of {seq} tokens exceeds {cfg.max_positions} positions")
        x = (
            self._w("embeddings.word_embeddings.weight")[input_ids]
            + self._w("embeddings.position_embeddings.weight")[:seq][None, :, :]
            # Single-segment input: token type 0 everywhere.
            + self._w("embeddings.token_type_embeddings.weight")[0]
        )
        x = _layer_norm(x, self._w("embeddings.LayerNorm.weight"),
                        self._w("embeddings.LayerNorm.bias"), cfg.layer_norm_eps)

        heads = cfg.num_heads
        head_dim = cfg.hidden_size // heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        bias = np.where(attention_mask[:, None, None, :] > 0, np.float32(0), _MASKED)
        # Token states stay 2-D (batch * seq, hidden) so each linear layer is one large GEMM.
        x = x.reshape(batch * seq, cfg.hidden_size)
        for i in range(cfg.num_layers):
            p = f"encoder.layer.{i}."
            qkv = x @ self._w(p + "attention.self.qkv.weight")
            qkv += self._w(p + "attention.self.qkv.bias")
            # Contiguous (3, batch, heads, seq, head_dim): numpy only hands stacked matmuls
            # to BLAS for contiguous operands; strided views fall back to a slow loop.
            qkv = np.ascontiguousarray(
                qkv.reshape(batch, seq, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            )
            q, k, v = qkv[0], qkv[1], qkv[2]
            q *= scale
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * seq, cfg.hidden_size)
            attn = ctx @ self._w(p + "attention.output.dense.weight")
            attn += self._w(p + "attention.output.dense.bias")
            attn += x
            x = _layer_norm(attn, self._w(p + "attention.output.LayerNorm.weight"),
                            self._w(p + "attention.output.LayerNorm.bias"), cfg.layer_norm_eps)
            hidden = x @ self._w(p + "intermediate.dense.weight")
            hidden += self._w(p + "intermediate.dense.bias")
            out = _gelu(hidden) @ self._w(p + "output.dense.weight")
            out += self._w(p + "output.dense.bias")
            out += x
            x = _layer_norm(out, self._w(p + "output.LayerNorm.weight"),
                            self._w(p + "output.LayerNorm.bias"), cfg.layer_norm_eps)
        x = x.reshape(batch, seq, cfg.hidden_size)
        return x.astype(np.float32, copy=False)
