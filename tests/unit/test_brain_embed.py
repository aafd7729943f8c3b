import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.brain.bert import BertConfig, BertEncoder
from appliance.brain.embed import Embedder, EmbedError, default_model_dir, load

GOLDEN = Path(__file__).parents[1] / "data" / "embeddings" / "golden.json"


def _model_dir() -> Path:
    try:
        return default_model_dir()
    except EmbedError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield load(_model_dir())


def test_matches_reference_golden(embedder: Embedder) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    expected = np.array(golden["vectors"], dtype=np.float32)
    got = embedder.embed(golden["sentences"])
    assert got.shape == expected.shape == (8, 384)
    cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() > 0.9999, cosines
    assert np.abs(got - expected).max() < 1e-4


def test_shape_dtype_and_unit_norm(embedder: Embedder) -> None:
    assert embedder.dim == 384
    vectors = embedder.embed(["Hello.", "Do you take walk-ins on Saturdays?"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_batching_keeps_order_and_values(embedder: Embedder) -> None:
    # Mixed lengths over several batches: results come back in input order, and padding
    # inside a batch does not change any text's vector.
    texts = [("appointment " * (i % 7 + 1)) + f"number {i}" for i in range(40)]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-5


def test_long_text_is_truncated_not_rejected(embedder: Embedder) -> None:
    long = "Our office policy on cancellations is explained here. " * 200  # >> 256 tokens
    head = embedder.embed([long, long + " Extra words past the limit change nothing."])
    assert np.abs(head[0] - head[1]).max() < 1e-6


def test_opening_hours_query_ranks_hours_passage_first(embedder: Embedder) -> None:
    passages = [
        "Parking is free in the lot behind the building.",
        "Our office hours are Monday to Friday, 9 am to 5 pm; closed on weekends.",
        "A teeth cleaning costs 85 dollars and a check-up costs 60 dollars.",
        "We accept most dental insurance plans and all major credit cards.",
    ]
    query = embedder.embed(["when are you open"])[0]
    scores = embedder.embed(passages) @ query
    assert int(np.argmax(scores)) == 1, scores
    assert scores[1] - np.delete(scores, 1).max() > 0.1, scores


def test_missing_model_dir_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(EmbedError, match=str(missing)):
        load(missing)


def test_missing_model_file_names_path(tmp_path: Path) -> None:
    source = _model_dir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(source / name, tmp_path / name)
    with pytest.raises(EmbedError, match=str(tmp_path / "model.safetensors")):
        load(tmp_path)


def _tiny_encoder() -> BertEncoder:
    # Random weights in the checkpoint's layout: exercises the forward pass without the model.
    cfg = BertConfig(hidden_size=8, num_layers=2, num_heads=2, layer_norm_eps=1e-12,
                     max_positions=16)
    rng = np.random.default_rng(0)
    shapes = {
        "embeddings.word_embeddings.weight": (20, 8),
        "embeddings.position_embeddings.weight": (16, 8),
        "embeddings.token_type_embeddings.weight": (2, 8),
        "embeddings.LayerNorm.weight": (8,),
        "embeddings.LayerNorm.bias": (8,),
    }
    for i in range(cfg.num_layers):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            shapes[p + f"attention.self.{name}.weight"] = (8, 8)
            shapes[p + f"attention.self.{name}.bias"] = (8,)
        shapes |= {
            p + "attention.output.dense.weight": (8, 8),
            p + "attention.output.dense.bias": (8,),
            p + "attention.output.LayerNorm.weight": (8,),
            p + "attention.output.LayerNorm.bias": (8,),
            p + "intermediate.dense.weight": (32, 8),
            p + "intermediate.dense.bias": (32,),
            p + "output.dense.weight": (8, 32),
            p + "output.dense.bias": (8,),
            p + "output.LayerNorm.weight": (8,),
            p + "output.LayerNorm.bias": (8,),
        }
    tensors = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    return BertEncoder(cfg, tensors)


def test_forward_ignores_padding() -> None:
    encoder = _tiny_encoder()
    ids = np.array([[1, 5, 7, 2, 0, 0], [1, 3, 4, 9, 11, 2]], dtype=np.int64)
    mask = (np.arange(6)[None, :] < np.array([[4], [6]])).astype(np.float32)
    batched = encoder.forward(ids, mask)
    alone = encoder.forward(ids[:1, :4], mask[:1, :4])
    assert batched.dtype == np.float32 and batched.shape == (2, 6, 8)
    assert np.abs(batched[0, :4] - alone[0]).max() < 1e-5
    with pytest.raises(ValueError, match="17 tokens"):
        encoder.forward(np.zeros((1, 17), dtype=np.int64), np.ones((1, 17), dtype=np.float32))
