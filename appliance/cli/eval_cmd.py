"""``appliance eval [SET_DIR] [--json] [--text]``: score the answering brain on an evaluation set.

Builds the set's knowledge base in a temporary directory, loads the default STT (PocketSphinx
with the office language model built from that knowledge base, as the box does) and LLM,
asks every question (its 8 kHz recording, or its text with ``--text``) with an empty
history and scores the replies (``appliance.brain.evaluate``). Exit codes: 0 both targets
met, 1 a target missed or an engine failed, 2 bad input (missing or malformed set).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from appliance.brain import evaluate
from appliance.brain.evaluate import EvalError, EvalReport, EvalSet, QuestionResult
from appliance.home import Home

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval" / "harbor-music"


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="score answer quality on an evaluation set "
                                    "(spoken questions about a fictional business)")
    p.add_argument("set_dir", nargs="?", type=Path, default=DEFAULT_SET, metavar="SET_DIR",
                   help="directory with questions.toml, kb/ and audio/ "
                        "(default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress "
                                                       "goes to stderr)")
    p.add_argument("--text", action="store_true",
                   help="ask the written questions instead of transcribing the recordings")
    p.add_argument("--only", action="append", default=[], metavar="ID",
                   help="ask only this question (repeatable)")
    p.add_argument("--llm", type=Path, default=None, metavar="GGUF",
                   help="LLM model file (default: the installed default LLM)")
    p.set_defaults(handler=cmd_eval)


def _err(message: str) -> None:
    print(f"appliance eval: {message}", file=sys.stderr)


def cmd_eval(args: argparse.Namespace, home: Home) -> int:
    try:
        eval_set = evaluate.load_set(args.set_dir)
        eval_set = _only(eval_set, args.only)
    except EvalError as exc:
        _err(str(exc))
        return 2
    if not args.text:
        missing = [q.id for q in eval_set.questions if q.audio is None]
        if missing:
            _err(f"no recording for question {missing[0]!r}: expected "
                 f"{eval_set.root / 'audio' / (missing[0] + '.wav')} (or use --text)")
            return 2
    out = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="appliance-eval-") as tmp:
        try:
            report = _run(eval_set, args, Path(tmp), out)
        except EvalError as exc:
            _err(str(exc))
            return 2
        except Exception as exc:  # an engine failed to load or answer: say which and why
            _err(f"{type(exc).__name__}: {exc}")
            return 1
    if args.json:
        data = report.as_dict()
        data["input"] = "text" if args.text else "audio"
        data["set"] = str(eval_set.root)
        print(json.dumps(data, indent=2))
    else:
        _summary(report, out)
    return 0 if report.passed else 1


def _only(eval_set: EvalSet, ids: list[str]) -> EvalSet:
    if not ids:
        return eval_set
    known = {q.id for q in eval_set.questions}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise EvalError(f"no question {unknown[0]!r} in {eval_set.root / 'questions.toml'}")
    chosen = tuple(q for q in eval_set.questions if q.id in ids)
    return EvalSet(eval_set.root, eval_set.profile, chosen, eval_set.kb_files)


def _run(eval_set: EvalSet, args: argparse.Namespace, tmp: Path, out: Any) -> EvalReport:
    from appliance.brain.answerer import Answerer
    from appliance.brain.embed import load as load_embedder
    from appliance.brain.llama_llm import LlamaLanguageModel
    from appliance.conversation.loader import default_llm_path
    from appliance.knowledge import KnowledgeBase, loaders

    print(f"building the knowledge base of {eval_set.root} ...", file=out, flush=True)
    kb = KnowledgeBase(tmp / "kb", load_embedder())
    report = kb.add(list(eval_set.kb_files))
    if report.rejected:
        raise EvalError(f"knowledge base file rejected: {report.rejected[0]}")
    kb_text = " ".join(s.text for f in eval_set.kb_files for s in loaders.load(f).sections)
    stt = None
    if not args.text:
        from appliance.speech.domain_lm import build_for_kb
        from appliance.speech.pocketsphinx_stt import PocketSphinxStt

        # As the box runs it: PocketSphinx with the office's own language model (its KB).
        lm = build_for_kb(kb, tmp / "office.arpa", extra=[eval_set.profile.name])
        stt = PocketSphinxStt(lm_path=lm)
    llm = LlamaLanguageModel(args.llm or default_llm_path())
    answerer = Answerer(kb, llm, eval_set.profile)
    answerer.warm()
    print(f"asking {len(eval_set.questions)} questions "
          f"({'text' if args.text else 'spoken, 8 kHz'}) ...", file=out, flush=True)

    def progress(r: QuestionResult, i: int, n: int) -> None:
        kind = "outside" if r.question.outside else "answerable"
        ms = "-" if r.first_clause_s is None else f"{r.first_clause_s * 1000:.0f} ms"
        print(f"[{i:>2}/{n}] {'PASS' if r.passed else 'FAIL'} {r.question.id} ({kind}, "
              f"route {r.route}, first clause {ms})\n"
              f"        heard: {r.heard}\n        reply: {r.reply}\n        {r.verdict}"
              + (f" [{r.reason}]" if r.reason else ""), file=out, flush=True)

    try:
        return evaluate.run(eval_set, answerer, stt, kb_text, progress)
    finally:
        kb.close()


def _summary(report: EvalReport, out: Any) -> None:
    for label, (ok, n), target in (("answerable", report.answerable, evaluate.ANSWERABLE_TARGET),
                                   ("outside", report.outside, evaluate.OUTSIDE_TARGET)):
        rate = ok / n if n else 1.0
        verdict = "met" if rate >= target else "MISSED"
        print(f"{label + ':':<12}{ok}/{n} ({rate:.0%}), target {target:.0%}: {verdict}",
              file=out)
    by_route: dict[str, list[float]] = {}
    for r in report.results:
        if r.first_clause_s is not None:
            by_route.setdefault(r.route, []).append(r.first_clause_s * 1000)
    for route, times in sorted(by_route.items()):
        print(f"first clause, route {route}: median {statistics.median(times):.0f} ms, "
              f"max {max(times):.0f} ms ({len(times)} questions)", file=out)
    print(f"result: {'PASS' if report.passed else 'FAIL'}", file=out)
