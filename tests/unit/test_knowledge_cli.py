import argparse
from pathlib import Path

import pytest

from appliance.cli import kb_cmd
from appliance.home import Home
from appliance.knowledge import MAX_FILE_BYTES, KnowledgeBase, kb_dir
from tests.unit.test_knowledge_support import HashEmbedder

DATA = Path(__file__).parents[1] / "data" / "kb"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    home = Home(tmp_path / "home")

    def fake_open(h: Home, max_bytes: int = MAX_FILE_BYTES) -> KnowledgeBase:
        return KnowledgeBase(kb_dir(h), HashEmbedder(), max_bytes=max_bytes)

    monkeypatch.setattr(kb_cmd, "open_kb", fake_open)
    parser = argparse.ArgumentParser(prog="appliance")
    kb_cmd.register(parser.add_subparsers(dest="command", required=True))

    def invoke(*argv: str) -> tuple[int, str, str]:
        args = parser.parse_args(list(argv))
        code = args.handler(args, home)
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_add_list_search_remove_clear(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("kb", "add", str(DATA / "clinic.md"), str(DATA / "faq.csv"))
    assert code == 0 and err == ""
    assert "read " + str(DATA / "clinic.md") in out and "added faq.csv (faq, 3 chunks)" in out
    code, out, _ = run("kb", "list")
    assert code == 0 and "clinic.md" in out and "faq" in out and "3 chunks" in out
    code, out, _ = run("kb", "search", "cancel appointment late", "-k", "2")
    assert code == 0 and out.startswith("1. [") and "faq.csv" in out and "2. [" in out
    assert "3. [" not in out
    code, out, _ = run("kb", "remove", "faq.csv")
    assert code == 0 and "removed faq.csv" in out
    code, _, err = run("kb", "remove", "faq.csv")
    assert code == 2 and "no document named 'faq.csv'" in err
    code, out, _ = run("kb", "clear")
    assert code == 0
    code, out, _ = run("kb", "list")
    assert "empty" in out
    code, out, _ = run("kb", "search", "parking")
    assert code == 0 and "no passages" in out


def test_add_with_rejections_exits_2_and_keeps_good(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.md"
    empty.write_text("")
    big = tmp_path / "big.txt"
    big.write_text("word " * 400_000)  # 2 MB
    code, out, err = run("kb", "add", str(empty), str(DATA / "team.txt"), str(big),
                         "--max-mb", "1")
    assert code == 2
    assert f"rejected {empty}: file is empty" in err
    assert f"rejected {big}: file too large" in err
    assert "2 file(s) rejected; 1 added" in err
    code, out, _ = run("kb", "list")
    assert "team.txt" in out and "empty.md" not in out
