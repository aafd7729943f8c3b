"""Assemble a chunked model from its part packages into a models directory, and check it.

The parts are streamed in order into a temp file next to the target while hashing (never
the whole model in memory); only a file with the manifest's SHA-256 is renamed to
``<name>.gguf``, so an interrupted or failed run never leaves a half file under that name.
A ``<name>.gguf.sha256`` stamp (``sha256sum`` format) written on success makes later
checks cheap: size + stamp instead of re-hashing hundreds of MB.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from models import ChunkedModel, ModelError, Part, model_lock

Resolver = Callable[[Part], Path]  # raises ModelError if the part's package is missing
Progress = Callable[[str], None]

CHUNK = 1 << 20  # 1 MiB copy buffer


def resolve_part(part: Part) -> Path:
    """Where the installed package ``part.module`` keeps ``part.file``."""
    spec = importlib.util.find_spec(part.module)
    if spec is None or spec.origin is None:
        raise ModelError(f"part package {part.package!r} is not installed "
                         f"(pip install {part.requirement})")
    return Path(spec.origin).parent / part.file


def stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stamp_ok(model: ChunkedModel, target: Path) -> bool:
    """Cheap check: right size and a stamp, no older than the file, naming the right hash."""
    stamp = stamp_path(target)
    try:
        st, sst = target.stat(), stamp.stat()
        recorded = stamp.read_text(encoding="ascii").split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError):
        return False
    return (st.st_size == model.size and sst.st_mtime_ns >= st.st_mtime_ns
            and recorded == model.sha256)


def _write_stamp(model: ChunkedModel, target: Path) -> None:
    stamp = stamp_path(target)
    tmp = stamp.with_name(f".{stamp.name}.tmp")
    tmp.write_text(f"{model.sha256}  {target.name}\n", encoding="ascii")
    os.replace(tmp, stamp)


def installed(model: ChunkedModel, models_dir: Path) -> bool:
    """True if ``<name>.gguf`` is there with the right size and a matching stamp (no hashing)."""
    return _stamp_ok(model, model.path(models_dir))


def check(model: ChunkedModel, models_dir: Path, *, full: bool = False) -> Path:
    """Return the model's path; raise ModelError naming it if missing or corrupt.

    Without ``full`` a valid stamp is trusted; otherwise (or with no valid stamp) the file is
    re-hashed and, if right, the stamp rewritten.
    """
    target = model.path(models_dir)
    if not target.exists():
        raise ModelError(f"model {model.name}: file not found: {target} "
                         f"(run: appliance models install {model.name})")
    size = target.stat().st_size
    if size != model.size:
        raise ModelError(f"model {model.name}: corrupt file {target}: {size} bytes, "
                         f"expected {model.size}")
    if full or not _stamp_ok(model, target):
        actual = sha256_file(target)
        if actual != model.sha256:
            raise ModelError(f"model {model.name}: corrupt file {target}: sha256 {actual}, "
                             f"expected {model.sha256}")
        with contextlib.suppress(OSError):  # a read-only dir still verifies
            _write_stamp(model, target)
    return target


def assemble(model: ChunkedModel, models_dir: Path, *, resolve: Resolver = resolve_part,
             progress: Progress | None = None, chunk: int = CHUNK) -> Path:
    """Join the model's parts into ``models_dir/<name>.gguf``; return that path.

    Idempotent: an existing file with a valid stamp is accepted as is; one with the right
    size but no stamp is re-hashed and accepted if right (else rebuilt).
    """
    say = progress or (lambda _line: None)
    target = model.path(models_dir)

    # Resolve every part before writing anything: missing packages fail fast, all named.
    sources: list[Path] = []
    missing: list[Part] = []
    for part in model.parts:
        try:
            src = resolve(part)
        except ModelError:
            missing.append(part)
            continue
        if not src.is_file():
            raise ModelError(f"model {model.name}: part file not found: {src} (reinstall: "
                             f"pip install --force-reinstall {part.requirement})")
        sources.append(src)
    if len(missing) == 1:
        raise ModelError(f"model {model.name}: part package {missing[0].package!r} is not "
                         f"installed (pip install {missing[0].requirement})")
    if missing:
        raise ModelError(f"model {model.name}: {len(missing)} part packages are not installed: "
                         f"{', '.join(p.package for p in missing)} "
                         f"(pip install {' '.join(p.requirement for p in missing)})")

    with model_lock(models_dir, model.name):
        if _stamp_ok(model, target):
            say(f"{model.name}: already installed: {target}")
            return target
        if target.is_file() and target.stat().st_size == model.size:
            say(f"{model.name}: checking existing {target}")
            if sha256_file(target) == model.sha256:
                _write_stamp(model, target)
                say(f"{model.name}: sha256 ok: {target}")
                return target
            say(f"{model.name}: existing file is corrupt, rebuilding")
        for stale in models_dir.iterdir():  # temp files left by a killed run
            if stale.name.startswith(f".{model.name}.tmp-") and stale.name.endswith(".part"):
                stale.unlink(missing_ok=True)
        _copy(model, sources, models_dir, target, say, chunk)
    return target


def _copy(model: ChunkedModel, sources: list[Path], models_dir: Path, target: Path,
          say: Progress, chunk: int) -> None:
    total = sum(p.stat().st_size for p in sources)
    if total != model.size:
        raise ModelError(f"model {model.name}: parts add up to {total} bytes, expected "
                         f"{model.size} (wrong part package versions?)")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{model.name}.tmp-", suffix=".part",
                                        dir=models_dir)
    except OSError as e:
        raise ModelError(f"model {model.name}: cannot write to {models_dir}: "
                         f"{e.strerror or e}") from None
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out:
            for i, (part, src) in enumerate(zip(model.parts, sources), 1):
                with src.open("rb") as f:
                    while buf := f.read(chunk):
                        digest.update(buf)
                        out.write(buf)
                        done += len(buf)
                say(f"{model.name}: part {i}/{len(sources)} {part.package}: "
                    f"{done}/{total} bytes ({done * 100 // max(total, 1)}%)")
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != model.sha256:
            raise ModelError(f"model {model.name}: sha256 mismatch after assembling "
                             f"{len(sources)} parts: expected {model.sha256}, got {actual}")
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"model {model.name}: assembling {target} failed: {e} "
                         f"(needs {model.size} bytes free in {models_dir})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(model, target)
    say(f"{model.name}: sha256 ok: {target}")
