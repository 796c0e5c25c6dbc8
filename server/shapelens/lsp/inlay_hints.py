"""Inlay hints: `▸ (B, 16, 14, 14)` after each statement that binds a tensor name.

One hint per line (several names on it are joined), placed after the statement's code and before
any comment. `only_changed` hides a hint whose text equals the previous one for the same name;
`max_length` truncates with an ellipsis. Core positions; server.py converts them.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

from shapelens import render
from shapelens.analysis.analyze import FileAnalysis
from shapelens.settings import InlayHintsSettings
from shapelens.values import TensorV

PREFIX = "▸ "


@dataclass(frozen=True)
class Hint:
    line: int  # 1-based
    col: int  # code points
    label: str
    tooltip: str


def inlay_hints(fa: FileAnalysis, first_line: int, last_line: int, opts: InlayHintsSettings) -> list[Hint]:
    """Hints for lines first_line..last_line (1-based, inclusive)."""
    if not opts.enable:
        return []
    ends = statement_ends(fa)
    previous: dict[str, str] = {}
    out: list[Hint] = []
    for line in sorted(fa.assigns):
        names = [(n, vals) for n, vals in fa.assigns[line].items() if any(v.shape is not None for v in vals)]
        if not names:
            continue
        texts = {n: render.join_for_display([v for v in vals if isinstance(v, TensorV)]) for n, vals in names}
        changed = [n for n in texts if previous.get(n) != texts[n]]
        previous.update(texts)
        if opts.only_changed and not changed:
            continue
        if not first_line <= line <= last_line and not first_line <= ends.get(line, (line, 0))[0] <= last_line:
            continue
        shown = names if not opts.only_changed else [(n, v) for n, v in names if n in changed]
        if len(shown) == 1:
            label = PREFIX + texts[shown[0][0]]
        else:
            label = PREFIX + ", ".join(f"{n}: {texts[n]}" for n, _ in shown)
        tooltip = "\n".join(f"{n}: {render.derivation(vals[0])}" for n, vals in shown)
        end_line, end_col = ends.get(line, (line, len(fa.parsed.lines[line - 1]) if line <= len(fa.parsed.lines) else 0))
        out.append(Hint(end_line, end_col, truncate(label, opts.max_length), tooltip))
    return out


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def statement_ends(fa: FileAnalysis) -> dict[int, tuple[int, int]]:
    """For each line where a simple statement starts: where the last statement starting on it ends."""
    cached = getattr(fa, "_hint_ends", None)
    if cached is not None:
        return cached
    pf = fa.parsed
    ends: dict[int, tuple[int, int]] = {}
    for node in ast.walk(pf.tree):
        if isinstance(node, ast.stmt) and not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
                   ast.With, ast.AsyncWith, ast.Try)
        ):
            sp = pf.span(node)
            prev = ends.get(sp.line)
            if prev is None or (sp.end_line, sp.end_col) > prev:
                ends[sp.line] = (sp.end_line, sp.end_col)
    # A `def`/`for` header binds names too (parameters, loop targets): after the colon.
    for node in ast.walk(pf.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)) \
                and node.lineno not in ends and node.body:
            # The header's last line with code (comments and blank lines may sit before the body).
            for header_end in range(max(node.body[0].lineno - 1, node.lineno), node.lineno - 1, -1):
                text = pf.lines[header_end - 1] if header_end <= len(pf.lines) else ""
                if _code_end(text) > 0 or header_end == node.lineno:
                    ends[node.lineno] = (header_end, _code_end(text))
                    break
    try:
        fa._hint_ends = ends  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return ends


def _code_end(text: str) -> int:
    """End of the code on a line, before a trailing comment."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                return len(text[: tok.start[1]].rstrip())
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return len(text.rstrip())
