"""What an analysis run observes: shapes bound per line, intermediate call results, findings,
constraints on symbolic sizes, and one record per model forward that ran."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapelens.dims import Dim
from shapelens.findings import Finding
from shapelens.values import Span, TensorV, Value


@dataclass
class CallFact:
    span: Span
    label: str  # e.g. "conv1", "relu", "view"
    value: TensorV
    module: Value | None = None  # the layer called, if any


@dataclass
class Constraint:
    lhs: Dim
    rhs: Dim
    path: str
    span: Span
    what: str  # e.g. "fc1 in_features"


@dataclass
class ModelRun:
    """One run of an nn.Module's forward: which class, fed what, giving what."""

    class_name: str
    path: str
    span: Span | None  # the class definition
    inputs: tuple[Value, ...]
    output: Value
    module: Value  # the ObjectV / ModuleV that ran
    entry: str = "call"  # "call", "symbolic", "entry", "annotation", ...


@dataclass
class Recorder:
    assigns: dict[tuple[str, int], dict[str, list[TensorV]]] = field(default_factory=dict)
    calls: dict[tuple[str, int], list[CallFact]] = field(default_factory=dict)
    findings: dict[tuple, Finding] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    runs: list[ModelRun] = field(default_factory=list)
    unknown_names: set[tuple[str, str]] = field(default_factory=set)  # (path, name) already reported

    def assign(self, path: str, line: int, name: str, value: TensorV) -> None:
        per_line = self.assigns.setdefault((path, line), {})
        seen = per_line.setdefault(name, [])
        if not any(v is value for v in seen):
            seen.append(value)

    def call(self, path: str, span: Span, label: str, value: TensorV, module: Value | None) -> None:
        facts = self.calls.setdefault((path, span.line), [])
        facts.append(CallFact(span, label, value, module))

    def finding(self, f: Finding) -> None:
        key = f.key()
        if key not in self.findings:
            self.findings[key] = f
