"""``appliance kb add|list|remove|clear|search``: manage the office's knowledge base.

Exit codes: 0 ok, 1 runtime failure (model missing, index error), 2 bad input (a rejected
file - the accepted ones are still kept - or an unknown document name).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appliance.brain.embed import EmbedError
from appliance.home import Home
from appliance.knowledge import MAX_FILE_BYTES, KnowledgeBase, KnowledgeError, kb_dir


def register(sub: Any) -> None:
    p = sub.add_parser("kb", help="manage the knowledge base the receptionist answers from")
    ksub = p.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    add = ksub.add_parser("add", help="add (or replace, by file name) Markdown, text, PDF or "
                                      "FAQ CSV (question,answer) files")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--max-mb", type=float, default=MAX_FILE_BYTES / 1024 / 1024,
                     help="reject files larger than this (default: %(default)g MB)")
    add.set_defaults(handler=cmd_add)
    ksub.add_parser("list", help="documents: name, kind, chunks, added").set_defaults(
        handler=cmd_list)
    rm = ksub.add_parser("remove", help="remove one document by name")
    rm.add_argument("name", metavar="NAME", help="see `appliance kb list`")
    rm.set_defaults(handler=cmd_remove)
    ksub.add_parser("clear", help="remove every document").set_defaults(handler=cmd_clear)
    se = ksub.add_parser("search", help="show the passages a question retrieves")
    se.add_argument("query", metavar="QUERY")
    se.add_argument("-k", type=int, default=3, help="passages to show (default: %(default)s)")
    se.set_defaults(handler=cmd_search)


def open_kb(home: Home, max_bytes: int = MAX_FILE_BYTES) -> KnowledgeBase:
    """Seam for tests: they replace this to inject a fake embedder."""
    return KnowledgeBase(kb_dir(home), max_bytes=max_bytes)


def _err(message: str) -> None:
    print(f"appliance kb: {message}", file=sys.stderr)


def cmd_add(args: argparse.Namespace, home: Home) -> int:
    kb = open_kb(home, max_bytes=int(args.max_mb * 1024 * 1024))
    try:
        report = kb.add(args.files, progress=print)
    except EmbedError as exc:
        _err(str(exc))
        return 1
    finally:
        kb.close()
    for info in report.accepted:
        verb = "replaced" if info.name in report.replaced else "added"
        print(f"{verb} {info.name} ({info.kind}, {info.chunks} chunks)")
    for rejected in report.rejected:
        _err(f"rejected {rejected}")
    if report.rejected:
        _err(f"{len(report.rejected)} file(s) rejected; {len(report.accepted)} added")
        return 2
    return 0


def cmd_list(args: argparse.Namespace, home: Home) -> int:
    docs = open_kb(home).list()
    if not docs:
        print("knowledge base is empty (add files with `appliance kb add FILE...`)")
        return 0
    width = max(len(d.name) for d in docs)
    for d in docs:
        print(f"{d.name:<{width}}  {d.kind:<8}  {d.chunks:>4} chunks  added {d.added_at}")
    return 0


def cmd_remove(args: argparse.Namespace, home: Home) -> int:
    try:
        open_kb(home).remove(args.name)
    except KnowledgeError as exc:
        _err(str(exc))
        return 2
    print(f"removed {args.name}")
    return 0


def cmd_clear(args: argparse.Namespace, home: Home) -> int:
    open_kb(home).clear()
    print("knowledge base cleared")
    return 0


def cmd_search(args: argparse.Namespace, home: Home) -> int:
    kb = open_kb(home)
    try:
        passages = kb.search(args.query, args.k)
    except EmbedError as exc:
        _err(str(exc))
        return 1
    finally:
        kb.close()
    if not passages:
        print("no passages (is the knowledge base empty?)")
    for i, p in enumerate(passages, start=1):
        print(f"{i}. [{p.score:.3f}] {p.source}\n   {p.text}")
    return 0
