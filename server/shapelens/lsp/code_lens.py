"""Code lenses over nn.Module classes: `(1, 3, 28, 28) → (1, 10) · 31,818 params`."""

from __future__ import annotations

from dataclasses import dataclass

from shapelens import render
from shapelens.analysis.analyze import FileAnalysis, ModelSummary

COMMAND = "shapelens.modelSummary"


@dataclass(frozen=True)
class Lens:
    line: int  # 1-based line of the class statement
    title: str
    model: ModelSummary


def lens_title(m: ModelSummary) -> str:
    return f"{m.signature()} · {render.fmt_count(m.total_params)} params"


def code_lenses(fa: FileAnalysis) -> list[Lens]:
    return [Lens(m.span.line, lens_title(m), m) for m in fa.models if m.span is not None]
