"""Commands the client may execute: `shapelens.modelSummary [uri, {line, character}]`."""

from __future__ import annotations

from shapelens import render
from shapelens.analysis.analyze import FileAnalysis

MODEL_SUMMARY = "shapelens.modelSummary"


def model_summary_markdown(fa: FileAnalysis, line: int | None) -> str | None:
    """The summary table of the model whose class covers `line` (1-based), or of every model of
    the file when no line is given; None when there is no model there (the client then says so)."""
    models = [m for m in fa.models if m.span is not None]
    if line is None:
        return "\n\n".join(render.model_table_markdown(m) for m in models) or None
    chosen = [m for m in models if m.span.line <= line <= m.span.end_line]
    if not chosen:
        return None
    # The innermost class (a nested one starts later).
    return render.model_table_markdown(max(chosen, key=lambda m: m.span.line))
