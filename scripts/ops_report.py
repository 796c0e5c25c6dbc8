#!/usr/bin/env python3
"""Report on the shape-rule registry: how many torch names have a rule (by family), how much of
torch.nn's layer zoo is covered, and which property tests prove each name.

Usage:
    python scripts/ops_report.py                # print the summary and the missing layers
    python scripts/ops_report.py --write-docs   # regenerate docs/ops.md
    python scripts/ops_report.py --check        # exit 1 if docs/ops.md is out of date

A dev script: it imports torch (to list torch.nn's layers); the server never does.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from shapelens.ops import REGISTRY  # noqa: E402

DOC = ROOT / "docs" / "ops.md"
TESTS = ROOT / "tests" / "ops"

#: torch.nn classes that hold other modules rather than compute on tensors: no shape rule of
#: their own is expected (their children's rules run).
CONTAINERS = ("Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container")

#: Operators the tests spell as symbols rather than by their dunder name.
_DUNDER_SYMBOLS = {
    "__add__": "+", "__radd__": "+", "__iadd__": "+=", "__sub__": "-", "__rsub__": "-", "__isub__": "-=",
    "__mul__": "*", "__rmul__": "*", "__imul__": "*=", "__truediv__": "/", "__rtruediv__": "/", "__itruediv__": "/=",
    "__floordiv__": "//", "__rfloordiv__": "//", "__ifloordiv__": "//=", "__mod__": "%", "__rmod__": "%",
    "__imod__": "%=", "__pow__": "**", "__rpow__": "**", "__ipow__": "**=", "__matmul__": "@", "__rmatmul__": "@",
    "__and__": "&", "__rand__": "&", "__iand__": "&=", "__or__": "|", "__ror__": "|", "__ior__": "|=",
    "__xor__": "^", "__rxor__": "^", "__ixor__": "^=", "__lshift__": "<<", "__rlshift__": "<<", "__ilshift__": "<<=",
    "__rshift__": ">>", "__rrshift__": ">>", "__irshift__": ">>=", "__eq__": "==", "__ne__": "!=", "__lt__": "<",
    "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__neg__": "-", "__invert__": "~", "__getitem__": "[",
}


def nn_layer_classes() -> list[str]:
    """Public torch.nn classes that subclass nn.Module, containers excluded."""
    import torch.nn as nn

    out = []
    for name in dir(nn):
        if name.startswith("_") or name in CONTAINERS:
            continue
        obj = getattr(nn, name)
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            out.append(name)
    return sorted(out)


def layer_coverage() -> tuple[list[str], list[str]]:
    classes = nn_layer_classes()
    covered = [c for c in classes if REGISTRY.layer(f"torch.nn.{c}") is not None]
    missing = [c for c in classes if c not in covered]
    return covered, missing


def _test_texts() -> dict[str, tuple[str, set[str]]]:
    """The string literals of each op test file, joined and as a set: the snippets the harness
    runs in torch and in the engine live there (f-string pieces included), and tests that draw
    op names from lists hold them as whole literals."""
    out = {}
    for p in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        lits = [n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]
        out[p.name] = ("\n".join(lits), {w for lit in lits for w in lit.split()})
    return out


def proving_tests(name: str, texts: dict[str, tuple[str, set[str]]]) -> list[str]:
    """The op test files whose snippets use the name: spelled out, called by its short form
    (`x.view(`, `torch.cat(`, `nn.Conv2d(`, `rearrange(`), read as an attribute (`x.T`), or
    written as the operator a dunder stands for (`a + b`, `x[0]`)."""
    short = name.rsplit(".", 1)[-1]
    pats = [re.escape(name)]
    if short.startswith("__"):
        pats.append(re.escape(short))
        if short in _DUNDER_SYMBOLS:
            sym = re.escape(_DUNDER_SYMBOLS[short])
            pats.append(r"\w\[" if short == "__getitem__" else rf"[\w)\]] {sym} [\w(]")
    else:
        pats.append(rf"\.{re.escape(short)}(?![\w])")
        pats.append(rf"(?<![\w.]){re.escape(short)}\(")
    rx = re.compile("|".join(pats))
    words = {w for w in (short, _DUNDER_SYMBOLS.get(short, short)) if len(w) > 1 or not w.isalpha()}  # not dim names
    if short.endswith("_") and not short.startswith("__"):
        words.add(short[:-1])  # in-place forms are drawn as the base name plus "_"
    return [f for f, (text, lits) in texts.items() if rx.search(text) or words & lits]


def collect() -> dict:
    names = REGISTRY.all_names()
    texts = _test_texts()
    rows = [(n, kind, fam, proving_tests(n, texts)) for n, kind, fam in names]
    by_family: dict[str, Counter] = {}
    for _, kind, fam, _ in rows:
        by_family.setdefault(fam, Counter())[kind] += 1
    covered, missing = layer_coverage()
    return {"rows": rows, "by_family": by_family, "covered": covered, "missing": missing}


def summary(data: dict) -> str:
    rows = data["rows"]
    n_fun = sum(1 for r in rows if r[1] == "function")
    n_lay = sum(1 for r in rows if r[1] == "layer")
    proven = sum(1 for r in rows if r[3])
    total = len(data["covered"]) + len(data["missing"])
    lines = [f"{len(rows)} registered names: {n_fun} functions, {n_lay} layers; {proven} proven by property tests", ""]
    lines.append(f"{'family':<16} {'functions':>9} {'layers':>7}")
    for fam in sorted(data["by_family"]):
        c = data["by_family"][fam]
        lines.append(f"{fam:<16} {c['function']:>9} {c['layer']:>7}")
    pct = 100.0 * len(data["covered"]) / total if total else 0.0
    lines += ["", f"torch.nn layer classes with a layer rule: {len(data['covered'])} of {total} ({pct:.1f}%)",
              f"(containers not counted: {', '.join(CONTAINERS)})"]
    if data["missing"]:
        lines.append("missing: " + ", ".join(data["missing"]))
    return "\n".join(lines)


def render_docs(data: dict) -> str:
    rows = data["rows"]
    total = len(data["covered"]) + len(data["missing"])
    pct = 100.0 * len(data["covered"]) / total if total else 0.0
    out = [
        "# Supported ops",
        "",
        "<!-- Generated by `python scripts/ops_report.py --write-docs`; do not edit by hand. -->",
        "",
        "Every torch name ShapeLens has a shape rule for, the op family (the file under",
        "`server/shapelens/ops/`) that holds the rule, and the property tests under `tests/ops/` that",
        "prove it against torch (found by the name, its short form, or the operator it spells).",
        "",
        "Views keep torch's strides (`TensorV.meta[\"strides\"]`) whenever every size is a known number:",
        "transpose/permute/expand/slicing/narrow/unfold/diagonal are views, elementwise results and copies",
        "follow TensorIterator's layout rules, so `view()` is an error exactly where torch's stride check",
        "fails; with symbolic sizes a `view()` of a non-contiguous tensor stays a warning (SL203).",
        "",
        "## Summary",
        "",
        f"{len(rows)} registered names: {sum(1 for r in rows if r[1] == 'function')} functions and "
        f"{sum(1 for r in rows if r[1] == 'layer')} layers; {sum(1 for r in rows if r[3])} of them named in a property test.",
        "",
        "| family | functions | layers |",
        "|---|---:|---:|",
    ]
    for fam in sorted(data["by_family"]):
        c = data["by_family"][fam]
        out.append(f"| {fam} | {c['function']} | {c['layer']} |")
    out += [
        "",
        "## torch.nn layers",
        "",
        f"{len(data['covered'])} of {total} public `torch.nn` layer classes ({pct:.1f}%) have a layer rule "
        f"(containers not counted: {', '.join(f'`{c}`' for c in CONTAINERS)}).",
        "",
        "Without a rule: " + (", ".join(f"`{m}`" for m in data["missing"]) or "none") + ".",
        "",
        "## Names",
        "",
        "| name | family | kind | proven by |",
        "|---|---|---|---|",
    ]
    for name, kind, fam, tests in rows:
        out.append(f"| `{name}` | {fam} | {kind} | {', '.join(tests) if tests else '—'} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-docs", action="store_true", help="regenerate docs/ops.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/ops.md is out of date")
    args = ap.parse_args(argv)
    data = collect()
    if args.write_docs:
        DOC.write_text(render_docs(data), encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
        return 0
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != render_docs(data):
            print("docs/ops.md is out of date: run python scripts/ops_report.py --write-docs", file=sys.stderr)
            return 1
        return 0
    print(summary(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
