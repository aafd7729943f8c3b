"""One generation's vector index: a ChromaDB PersistentClient collection in a directory.

We always pass our own embeddings (query and add), and create the collection with
``embedding_function=None`` so chromadb never downloads or runs its default ONNX model;
telemetry is off. Scores are cosine similarities (the collection uses cosine distance).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from appliance.knowledge.model import Passage

COLLECTION = "knowledge"
# chromadb shares one "system" per path in a process, with an unlocked refcount: opening and
# closing from several threads (a call searching while an ingest runs) must be serialised.
_OPEN_CLOSE = threading.Lock()


@dataclass(frozen=True)
class StoredChunks:
    ids: list[str]
    texts: list[str]
    sources: list[str]
    vectors: np.ndarray  # (n, dim) float32


class ChromaIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        with _OPEN_CLOSE:
            self._client, self._col = self._open(path)

    @staticmethod
    def _open(path: Path) -> tuple[Any, Any]:
        import chromadb
        from chromadb.config import Settings

        # Any: close() exists on the runtime Client but not on the ClientAPI stub.
        client: Any = chromadb.PersistentClient(
            path=str(path), settings=Settings(anonymized_telemetry=False))
        collection = client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        return client, collection

    def count(self) -> int:
        return int(self._col.count())

    def add(self, ids: list[str], texts: list[str], sources: list[str],
            vectors: np.ndarray) -> None:
        batch = max(1, int(self._client.get_max_batch_size()))
        for start in range(0, len(ids), batch):
            end = start + batch
            self._col.add(
                ids=ids[start:end],
                embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                documents=texts[start:end],
                metadatas=[{"source": s} for s in sources[start:end]],
            )

    def all(self) -> StoredChunks:
        got = self._col.get(include=["documents", "metadatas", "embeddings"])
        metas = got["metadatas"] or []
        embeddings = got["embeddings"]
        vectors = (np.asarray(embeddings, dtype=np.float32) if embeddings is not None
                   and len(embeddings) else np.zeros((0, 0), dtype=np.float32))
        return StoredChunks(
            ids=list(got["ids"]),
            texts=[d or "" for d in (got["documents"] or [])],
            sources=[str(m["source"]) if m else "" for m in metas],
            vectors=vectors,
        )

    def query(self, vector: np.ndarray, k: int) -> list[Passage]:
        n = min(k, self.count())
        if n <= 0:
            return []
        got = self._col.query(query_embeddings=np.asarray([vector], dtype=np.float32),
                              n_results=n, include=["documents", "metadatas", "distances"])
        docs = (got["documents"] or [[]])[0]
        metas = (got["metadatas"] or [[]])[0]
        dists = (got["distances"] or [[]])[0]
        return [Passage(text=d or "", source=str(m["source"]) if m else "",
                        score=round(1.0 - float(dist), 4))
                for d, m, dist in zip(docs, metas, dists)]

    def close(self) -> None:
        # Releases chromadb's per-path shared system so the directory can be renamed/deleted.
        with _OPEN_CLOSE:
            self._client.close()
