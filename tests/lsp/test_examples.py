"""Every example model through the server's pure features: hover anywhere, hints, lenses and
every quick fix (applied: valid Python, its finding gone) — no crash, no stale fix."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from shapelens.analysis.analyze import analyze
from shapelens.fixes import apply_edits, fixes_for
from shapelens.lsp.code_lens import code_lenses
from shapelens.lsp.commands import model_summary_markdown
from shapelens.lsp.hover import hover_markdown
from shapelens.lsp.inlay_hints import inlay_hints
from shapelens.settings import InlayHintsSettings

ROOT = Path(__file__).resolve().parents[2] / "examples"
FILES = sorted(ROOT.glob("*/*.py")) if ROOT.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_example_through_the_server_features(path):
    src = path.read_text()
    fa = analyze(str(path), src)
    for line, text in enumerate(src.split("\n"), 1):
        for col in sorted({0, len(text) - len(text.lstrip()), len(text) // 2, max(len(text) - 2, 0), len(text)}):
            hover_markdown(fa, line, col)
    hints = inlay_hints(fa, 1, 10**6, InlayHintsSettings())
    assert all(1 <= h.line <= len(src.split("\n")) for h in hints)
    for lens in code_lenses(fa):
        assert model_summary_markdown(fa, lens.line)
    for f in fa.findings:
        for fix in fixes_for(f, fa.parsed):
            fixed = apply_edits(src, fix.edits)
            ast.parse(fixed)
            after = analyze(str(path), fixed)
            count = lambda a: sum(x.code == f.code and x.message == f.message for x in a.findings)
            assert count(after) < count(fa), (fix.title, f.message)
