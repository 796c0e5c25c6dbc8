"""Quick fixes for the findings in a range: the core's own fixes, those of shapelens.fixes, and
"Ignore SLxxx on this line" for every finding. Built from the stored analysis (no re-analysis)."""

from __future__ import annotations

from lsprotocol import types

from shapelens.analysis.analyze import FileAnalysis
from shapelens.findings import Finding, Fix
from shapelens.fixes import fixes_for
from shapelens.lsp.convert import Converter
from shapelens.lsp.diagnostics import SOURCE
from shapelens.values import Span


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)


def _edits_belong_here(fa: FileAnalysis, f: Finding, fix: Fix) -> bool:
    """A core fix edits a layer's arguments; make sure that layer is defined in this file."""
    places = [f.span] + [r.span for r in f.related if r.path == fa.path]
    return all(any(_inside(e.span, p) for p in places) for e in fix.edits)


def _matching_diagnostic(conv: Converter, f: Finding, index: int, diags: list[types.Diagnostic]) -> types.Diagnostic | None:
    rng = conv.range(f.span)
    for d in diags:
        if d.source != SOURCE or d.code != f.code:
            continue
        if isinstance(d.data, dict) and d.data.get("index") == index:
            return d
        if d.range == rng:
            return d
    return None


def code_actions(fa: FileAnalysis, conv: Converter, uri: str, first_line: int, last_line: int,
                 context: types.CodeActionContext | None) -> list[types.CodeAction]:
    only = list(context.only) if context is not None and context.only else None
    if only is not None and not any(k == types.CodeActionKind.QuickFix or types.CodeActionKind.QuickFix.startswith(k) for k in only):
        return []
    diags = list(context.diagnostics) if context is not None else []
    out: list[types.CodeAction] = []
    for index, f in enumerate(fa.findings):
        if f.span.end_line < first_line or f.span.line > last_line:
            continue
        diag = _matching_diagnostic(conv, f, index, diags)
        own = {id(x) for x in f.fixes}
        for fix in fixes_for(f, fa.parsed):
            if id(fix) in own and not _edits_belong_here(fa, f, fix):
                continue
            edits = [types.TextEdit(range=conv.range(e.span), new_text=e.new_text) for e in fix.edits]
            out.append(types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag] if diag is not None else None,
                is_preferred=fix.preferred or None,
                edit=types.WorkspaceEdit(changes={uri: edits}),
            ))
    return out
