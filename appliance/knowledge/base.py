"""The office's knowledge base: ingest files, list/remove them, search passages.

Layout under ``root`` (normally ``<home>/kb``)::

    current -> gen-<id>       symlink to the live generation (swapped atomically)
    gen-<id>/chroma/          the vector index (ChromaDB)
    gen-<id>/documents.json   name, kind, chunks, added_at per document
    gen-<id>/sources/         copies of the ingested files (re-indexing never needs originals)
    sources -> current/sources
    .lock                     serialises writers (flock); readers never take it

Every change builds a complete new generation in ``.tmp-<id>`` next to the live one, then
renames it and swaps ``current`` with ``os.replace`` (atomic on POSIX). A failure or
interruption before the swap leaves the previous generation live and searchable; leftovers of
a killed writer are swept by the next writer.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from appliance.brain.embed import Embedder
from appliance.knowledge import loaders
from appliance.knowledge.chunking import chunk_document
from appliance.knowledge.model import (
    MAX_FILE_BYTES,
    Chunk,
    DocumentInfo,
    IngestReport,
    Passage,
    RejectedFile,
)
from appliance.knowledge.store import ChromaIndex

Progress = Callable[[str], None]
_Staged = tuple[DocumentInfo, Path, list[Chunk], np.ndarray]


class KnowledgeError(Exception):
    """The knowledge base cannot do what was asked (e.g. unknown document name)."""


class KnowledgeBase:
    def __init__(self, root: Path, embedder: Embedder | None = None,
                 max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._embedder = embedder
        self._reader: ChromaIndex | None = None
        self._reader_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # loaded lazily: list/remove/clear do not need the model
            from appliance.brain.embed import load

            self._embedder = load()
        return self._embedder

    # ---- reading -------------------------------------------------------------------------

    def current_dir(self) -> Path | None:
        link = self.root / "current"
        try:
            target = self.root / os.readlink(link)
        except OSError:
            return None
        return target if target.is_dir() else None

    def list(self) -> list[DocumentInfo]:
        gen = self.current_dir()
        return _read_documents(gen) if gen is not None else []

    def search(self, query: str, k: int = 3) -> builtins.list[Passage]:
        if not query.strip() or k <= 0:
            return []
        vector = self.embedder.embed([query])[0]
        for attempt in range(3):
            index = self._open_reader()
            if index is None:
                return []
            try:
                passages = index.query(vector, k)
            except Exception:
                if attempt == 2:
                    raise
                passages = None
            # A writer (maybe in another process) may have swapped generations and deleted
            # this one while we read it; then the answer is suspect: ask the new one.
            if self.current_dir() == index.path.parent and passages is not None:
                return passages
            self._close_reader()
        return passages or []

    def texts(self) -> builtins.list[str]:
        """Every chunk's text in the live generation (no order), e.g. to train the recognizer."""
        for attempt in range(3):
            index = self._open_reader()
            if index is None:
                return []
            try:
                texts = index.all().texts
            except Exception:
                if attempt == 2:
                    raise
                texts = None
            if self.current_dir() == index.path.parent and texts is not None:
                return texts  # else a writer swapped generations meanwhile (see search)
            self._close_reader()
        return texts or []

    def _open_reader(self) -> ChromaIndex | None:
        with self._reader_lock:
            gen = self.current_dir()
            if gen is None:
                return None
            if self._reader is None or self._reader.path != gen / "chroma":
                self._close_reader_locked()
                self._reader = ChromaIndex(gen / "chroma")
            return self._reader

    def _close_reader(self) -> None:
        with self._reader_lock:
            self._close_reader_locked()

    def _close_reader_locked(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._close_reader()

    # ---- writing -------------------------------------------------------------------------

    def add(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        """Ingest files; rejected files are reported, accepted ones are kept."""
        report = IngestReport()
        staged: list[_Staged] = []
        seen: set[str] = set()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for path in paths:
            try:
                if path.name in seen:
                    raise RejectedFile(path, f"another file named {path.name!r} is in this batch")
                doc = loaders.load(path, self.max_bytes)
                chunks = chunk_document(doc)
                vectors = self.embedder.embed([c.text for c in chunks])
            except RejectedFile as exc:
                report.rejected.append(exc)
                if progress:
                    progress(f"rejected {exc}")
                continue
            seen.add(path.name)
            info = DocumentInfo(doc.name, doc.kind, len(chunks), now)
            staged.append((info, path, chunks, vectors))
            if progress:
                progress(f"read {path} ({doc.kind}, {len(chunks)} chunks)")
        if not staged:
            return report
        names = {info.name for info, _, _, _ in staged}
        report.replaced = sorted(names & {d.name for d in self.list()})
        with self._rebuild(drop=names) as (gen, docs, index):
            for info, path, chunks, vectors in staged:
                shutil.copyfile(path, gen / "sources" / info.name)
                ids = [f"{info.name}#{i}" for i in range(len(chunks))]
                index.add(ids, [c.text for c in chunks], [c.source for c in chunks], vectors)
                docs[info.name] = info
                report.accepted.append(info)
        if progress:
            progress(f"indexed {len(staged)} file(s)")
        return report

    def remove(self, name: str) -> None:
        if name not in {d.name for d in self.list()}:
            raise KnowledgeError(f"no document named {name!r} in the knowledge base")
        with self._rebuild(drop={name}):
            pass

    def clear(self) -> None:
        with self._rebuild(drop=None):
            pass

    @contextmanager
    def _rebuild(
        self, drop: set[str] | None,
    ) -> Iterator[tuple[Path, dict[str, DocumentInfo], ChromaIndex]]:
        """Copy the live generation minus ``drop`` (None: everything) into a new one, let the
        caller add to it, then swap it in. Any exception discards the new generation."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._writer_lock():
            old = self.current_dir()
            self._sweep(keep=old)
            gen_id = uuid.uuid4().hex[:12]
            tmp = self.root / f".tmp-{gen_id}"
            (tmp / "sources").mkdir(parents=True)
            try:
                docs: dict[str, DocumentInfo] = {}
                index = ChromaIndex(tmp / "chroma")
                try:
                    if old is not None and drop is not None:
                        docs = {d.name: d for d in _read_documents(old) if d.name not in drop}
                        _copy_generation(old, tmp, index, set(docs))
                    yield tmp, docs, index
                finally:
                    index.close()
                _write_documents(tmp, list(docs.values()))
                final = self.root / f"gen-{gen_id}"
                os.rename(tmp, final)
                _point(self.root / "current", final.name)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if not (self.root / "sources").is_symlink():
                _point(self.root / "sources", "current/sources")
            self._close_reader()
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _sweep(self, keep: Path | None) -> None:
        """Remove temp and superseded generations a killed writer left behind."""
        for entry in self.root.iterdir():
            stale = entry.name.startswith(".tmp-") or (
                entry.name.startswith("gen-") and (keep is None or entry.name != keep.name))
            if stale and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def _copy_generation(old: Path, new: Path, index: ChromaIndex, names: set[str]) -> None:
    """Carry kept documents over: stored vectors (no re-embedding) and source copies."""
    src = ChromaIndex(old / "chroma")
    try:
        stored = src.all()
    finally:
        src.close()
    keep = [i for i, s in enumerate(stored.sources) if s in names]
    if keep:
        index.add([stored.ids[i] for i in keep], [stored.texts[i] for i in keep],
                  [stored.sources[i] for i in keep], stored.vectors[keep])
    for name in names:
        source = old / "sources" / name
        if source.is_file():
            try:
                os.link(source, new / "sources" / name)  # same filesystem: no copy needed
            except OSError:
                shutil.copyfile(source, new / "sources" / name)


def _point(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _read_documents(gen: Path) -> list[DocumentInfo]:
    try:
        raw = json.loads((gen / "documents.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [DocumentInfo(**d) for d in raw]


def _write_documents(gen: Path, docs: list[DocumentInfo]) -> None:
    ordered = sorted(docs, key=lambda d: d.name)
    (gen / "documents.json").write_text(
        json.dumps([asdict(d) for d in ordered], indent=2) + "\n", encoding="utf-8")
