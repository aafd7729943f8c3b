"""The model manifest and its check: which model files the box needs and where they are.

Registry-package models resolve inside the installed package; a missing file is reported
with its full path so a technician knows exactly what is broken.
"""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.toml")


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


def load_manifest(path: Path = MANIFEST) -> list[Model]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Model(name=m["name"], role=m["role"], default=bool(m.get("default", False)),
                  package=m["package"], module=m["module"], files=tuple(m["files"]))
            for m in data.get("model", [])]


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
