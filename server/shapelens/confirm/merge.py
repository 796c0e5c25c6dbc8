"""Fold torch's confirmation into a :class:`FileAnalysis`.

Pure (no torch, no LSP): the CLI (``--check/--shapes --confirm``) calls
:func:`confirm_results`; the language server calls :func:`confirm_analysis` on a worker thread
and hands the pair it returns to its ``merge_confirmation``.

What is confirmed: models whose inputs the user stated or the code shows -- ``[[tool.shapelens.
entries]]`` in pyproject.toml, call sites (``net(torch.randn(1, 3, 28, 28))``) and annotated /
commented / documented forward parameters. Models the static engine fed *guessed* symbolic
inputs are not sent: a wrong guess would turn into a false "torch raised".

What it produces:

- ``FileAnalysis.confirmed`` = ``{"shapes": {"<line>": {"<name>": [[dims], ...]}}, "calls":
  {...}, "entries": [...], "status": "ok" | "timed_out" | ..., "torch": "2.13.0"}`` (hover marks
  shapes torch agreed with);
- findings: ``SL120`` (torch raised, at the line, in ShapeLens's words) unless a static error on
  that line already says it -- then that finding is marked ``confirmed``; ``SL204`` where torch's
  concrete shape differs from the engine's concrete shape for the same name and line; ``SL302``
  (information) when the worker could not answer (time limit, crash, torch missing).
"""

from __future__ import annotations

import ast
import os
from typing import Any, Iterable

from shapelens.findings import Finding, Severity
from shapelens.values import Span, TensorV

from .client import ConfirmClient, ConfirmOutcome, EntryResult
from .loader import _Filter
from .messages import format_shape, restate

__all__ = ["model_entries", "confirm_analysis", "build_confirmation", "apply_confirmation",
           "confirm_results"]

# Entry kinds whose inputs are known rather than guessed.
_TRUSTED_KINDS = ("call", "entry", "annotation", "comment", "docstring")
_DTYPES = {"float32", "float16", "bfloat16", "float64", "int64", "int32", "bool",
           "float", "half", "double", "long", "int"}


# ------------------------------------------------------------------------------------------
# Entries
# ------------------------------------------------------------------------------------------
def model_entries(fa: Any, config_entries: Iterable[Any] | None = None) -> list[dict]:
    """Worker entries for one analysed file: config entries first, then trusted model runs."""
    out: list[dict] = []
    seen_classes: set[str] = set()
    for e in config_entries or ():
        call = getattr(e, "call", None)
        if not call:
            continue
        cls = _callee_name(call)
        dtypes = list(getattr(e, "dtypes", None) or [])
        out.append({"class": cls or call, "ctor": call, "inputs": [list(s) for s in e.inputs],
                    "dtypes": dtypes or ["float32"] * len(e.inputs), "kind": "entry"})
        if cls:
            seen_classes.add(cls)
    tree = getattr(getattr(fa, "parsed", None), "tree", None)
    lines = getattr(getattr(fa, "parsed", None), "lines", None) or []
    for m in getattr(fa, "models", ()) or ():
        if m.entry not in _TRUSTED_KINDS or m.entry == "entry" or m.class_name in seen_classes:
            continue
        inputs = _input_shapes(m.inputs)
        if inputs is None:
            continue
        ctor = None
        if isinstance(tree, ast.Module):
            ctor = _ctor_of_run(tree, lines, getattr(m, "module", None), fa.path, m.class_name)
            # Another call's constructor would pair its sizes with this instance's inputs.
            if ctor is None and not _built_by_a_call(tree, getattr(m, "module", None), fa.path):
                ctor = _find_ctor(tree, lines, m.class_name)
        if ctor is None:
            continue
        out.append({"class": m.class_name, "ctor": ctor, "inputs": inputs[0], "dtypes": inputs[1],
                    "kind": m.entry})
        seen_classes.add(m.class_name)
    return out


def _callee_name(call: str) -> str | None:
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute):
            return f.attr
    return None


def _input_shapes(values: Iterable[Any]) -> tuple[list[list], list[str]] | None:
    shapes: list[list] = []
    dtypes: list[str] = []
    for v in values:
        if not isinstance(v, TensorV) or v.shape is None:
            return None
        dims: list = []
        for d in v.shape:
            val = d.value
            if val is not None:
                dims.append(int(val))
            elif d.has_unknown():
                return None  # "?" cannot be fed to torch
            else:
                dims.append(str(d))  # a symbol (or expression): the worker uses symbol_values
        shapes.append(dims)
        dt = v.dtype or "float32"
        if dt not in _DTYPES:
            return None
        dtypes.append(dt)
    return (shapes, dtypes) if shapes else None


def _ctor_of_run(tree: ast.Module, lines: list[str], model: Any, path: str,
                 class_name: str | None = None) -> str | None:
    """The constructor call that built the very instance whose forward ran (its inputs belong
    to that instance: `DoubleConv(1, 16)` and `DoubleConv(16, 32)` take different inputs)."""
    span = getattr(model, "def_span", None)
    if span is None or getattr(model, "def_path", None) != path:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == span.line and node.end_lineno == span.end_line:
            seg = ast.get_source_segment("\n".join(lines), node)
            if seg is None or not isinstance(node.func, ast.Name):
                continue
            if class_name is not None and node.func.id != class_name:
                continue  # another call on the same line: `g, d = Generator(), Discriminator()`
            filt = _Filter(lines)
            filt.block(tree.body, top_level=True)
            if all(filt.is_const(a) for a in node.args) and all(filt.is_const(k.value) for k in node.keywords):
                return " ".join(seg.split())
    return None


def _built_by_a_call(tree: ast.Module, model: Any, path: str) -> bool:
    span = getattr(model, "def_span", None)
    if span is None or getattr(model, "def_path", None) != path:
        return False
    return any(isinstance(n, ast.Call) and n.lineno == span.line and n.end_lineno == span.end_line for n in ast.walk(tree))


def _find_ctor(tree: ast.Module, lines: list[str], class_name: str) -> str | None:
    """How the file builds ``class_name``: the first call with constant arguments, or ``C()``
    when ``__init__`` needs no arguments."""
    filt = _Filter(lines)
    filt.block(tree.body, top_level=True)  # learns the names the safe module will define
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else None
        if name != class_name:
            continue
        if all(filt.is_const(a) for a in node.args) and all(filt.is_const(k.value) for k in node.keywords):
            seg = ast.get_source_segment("\n".join(lines), node)
            if seg:
                return " ".join(seg.split())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            init = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if init is None:
                return f"{class_name}()"
            a = init.args
            required = len(a.posonlyargs) + len(a.args) - 1 - len(a.defaults)
            kw_required = sum(1 for d in a.kw_defaults if d is None)
            if required <= 0 and kw_required == 0:
                return f"{class_name}()"
    return None


# ------------------------------------------------------------------------------------------
# Running and merging
# ------------------------------------------------------------------------------------------
def confirm_analysis(client: ConfirmClient, fa: Any, source: str, root: str | None = None,
                     config_entries: Iterable[Any] | None = None, cpu_check: bool = True,
                     symbol_values: dict | None = None) -> tuple[dict, list[Finding]] | None:
    """Run the file's models through torch; ``(confirmed, new_findings)`` or None when there
    is nothing to confirm or the request was cancelled. Blocks the calling thread."""
    entries = model_entries(fa, config_entries)
    if not entries:
        return None
    wire = [{k: v for k, v in e.items() if k != "kind"} for e in entries]
    outcome = client.confirm(fa.path, source, root, wire, cpu_check=cpu_check,
                             symbol_values=symbol_values)
    if outcome.cancelled:
        return None
    return build_confirmation(fa, outcome, entries, torch_version=client.torch_version)


def build_confirmation(fa: Any, outcome: ConfirmOutcome, entries: list[dict],
                       torch_version: str | None = None) -> tuple[dict, list[Finding]]:
    """The ``confirmed`` table and the findings for one outcome (``fa`` is not modified,
    except that static findings torch agrees with get ``confirmed = True``)."""
    status = ("timed_out" if outcome.timed_out else "crashed" if outcome.crashed
              else "unavailable" if outcome.unavailable else "cancelled" if outcome.cancelled else "ok")
    shapes: dict[str, dict[str, list[list[int]]]] = {}
    calls: dict[str, list[list[int]]] = {}
    summary: list[dict] = []
    findings: list[Finding] = []
    for entry, res in zip(entries, outcome.entries):
        for line, names in res.shapes.items():
            per = shapes.setdefault(str(line), {})
            for name, seen in names.items():
                lst = per.setdefault(name, [])
                for s in seen:
                    if list(s) not in lst:
                        lst.append(list(s))
        for line, seen in res.calls.items():
            lst = calls.setdefault(str(line), [])
            for s in seen:
                if list(s) not in lst:
                    lst.append(list(s))
        message = restate(res.error) if res.error else None
        summary.append({"class": res.class_name, "ctor": entry.get("ctor"), "kind": entry.get("kind"),
                        "ok": res.ok, "device": res.device, "seconds": res.seconds,
                        "output": [list(s) for s in res.output] if res.output is not None else None,
                        "error": message, "line": res.error.line if res.error else None})
        if res.error is not None:
            findings.extend(_error_findings(fa, res, entry, message or res.error.message))
    if not outcome.ok and not outcome.cancelled:
        findings.append(_finding(fa, "SL302", Severity.INFORMATION, _class_line(fa, entries),
                                 f"torch could not confirm this file: {outcome.reason or status}"))
    findings.extend(_disagreements(fa, shapes))
    confirmed = {"shapes": shapes, "calls": calls, "entries": summary, "status": status,
                 "torch": torch_version, "seconds": round(outcome.seconds, 4)}
    return confirmed, _unsuppressed(fa, findings)


def apply_confirmation(fa: Any, confirmed: dict, findings: list[Finding]) -> None:
    """Store the confirmation on ``fa`` and add the findings it does not have yet."""
    fa.confirmed = confirmed
    known = {f.key() for f in fa.findings}
    fa.findings.extend(f for f in findings if f.key() not in known)
    fa.findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))


def confirm_results(results: list[Any], python: str | None = None, timeout: float = 10.0,
                    memory_mb: int = 4096, cpu_check: bool = True,
                    symbol_values: dict | None = None, config: str | None = None,
                    client: ConfirmClient | None = None) -> list[dict]:
    """CLI helper: confirm every analysed file in place (one worker for all of them);
    returns the ``confirmed`` tables of the files that had something to confirm."""
    from shapelens.config import find_pyproject, load_config

    own = client is None
    client = client or ConfirmClient(python=python, timeout=timeout, memory_mb=memory_mb)
    done: list[dict] = []
    try:
        for fa in results:
            pp = config or find_pyproject(fa.path)
            cfg = load_config(pp)
            root = os.path.dirname(pp) if pp else None
            try:
                with open(fa.path, encoding="utf-8", errors="replace") as fh:
                    source = fh.read()
            except OSError:
                continue
            got = confirm_analysis(client, fa, source, root, cfg.entries_for(fa.path),
                                   cpu_check=cpu_check, symbol_values=symbol_values)
            if got is not None:
                apply_confirmation(fa, *got)
                done.append(got[0])
    finally:
        if own:
            client.close()
    return done


# ------------------------------------------------------------------------------------------
# Findings
# ------------------------------------------------------------------------------------------
def _line_span(fa: Any, line: int) -> Span:
    lines = getattr(getattr(fa, "parsed", None), "lines", None) or []
    if not 1 <= line <= len(lines):
        return Span(max(line, 1), 0, max(line, 1), 0)
    text = lines[line - 1].rstrip("\r\n")
    start = len(text) - len(text.lstrip())
    return Span(line, start, line, max(len(text), start))


def _class_line(fa: Any, entries: list[dict]) -> int:
    names = {e.get("class") for e in entries}
    for m in getattr(fa, "models", ()) or ():
        if m.class_name in names and m.span is not None:
            return m.span.line
    return 1


def _finding(fa: Any, code: str, severity: Severity, line: int, message: str, **data: Any) -> Finding:
    return Finding(code=code, message=message, path=fa.path, span=_line_span(fa, line),
                   severity=severity, confirmed=code == "SL120", data=dict(data))


def _error_findings(fa: Any, res: EntryResult, entry: dict, message: str) -> list[Finding]:
    err = res.error
    assert err is not None
    if err.line is None or err.phase in ("load", "inputs"):
        # Not a verdict on the model's shapes (an import missing in the worker's interpreter,
        # a bad entry): say it quietly.
        where = f" ({err.phase})" if err.phase else ""
        return [_finding(fa, "SL302", Severity.INFORMATION, err.line or _class_line(fa, [entry]),
                         f"torch could not run {res.class_name}{where}: {message}")]
    line = err.statement_line or err.line
    agreed = False
    for f in getattr(fa, "findings", ()):
        if f.severity == Severity.ERROR and f.span.line <= line <= f.span.end_line:
            f.confirmed = True  # the engine said it first; torch agrees
            agreed = True
    if agreed:
        return []
    where = "" if err.device != "cpu" else " (on CPU)"
    return [_finding(fa, "SL120", Severity.ERROR, line, f"torch raised{where}: {message}",
                     torch_type=err.type, torch_message=err.message, module=err.module,
                     module_type=err.module_type, phase=err.phase, device=err.device)]


def _disagreements(fa: Any, torch_shapes: dict[str, dict[str, list[list[int]]]]) -> list[Finding]:
    out: list[Finding] = []
    assigns = getattr(fa, "assigns", {}) or {}
    for line_key, names in torch_shapes.items():
        line = int(line_key)
        ours = assigns.get(line) or {}
        for name, theirs in names.items():
            vals = ours.get(name)
            if not vals:
                continue
            concrete = []
            for v in vals:
                if not isinstance(v, TensorV) or v.shape is None:
                    continue
                dims = [d.value for d in v.shape]
                if all(isinstance(d, int) for d in dims):
                    concrete.append(dims)
            if not concrete or any(c in theirs for c in concrete):
                continue
            ours_s = " | ".join(format_shape(c) for c in concrete)
            theirs_s = " | ".join(format_shape(t) for t in theirs)
            out.append(_finding(fa, "SL204", Severity.WARNING, line,
                                f"torch computes {name} as {theirs_s} here; ShapeLens inferred {ours_s}",
                                name=name, torch=theirs, inferred=concrete))
    return out


def _unsuppressed(fa: Any, findings: list[Finding]) -> list[Finding]:
    parsed = getattr(fa, "parsed", None)
    if parsed is None:
        return findings
    try:
        from shapelens.analysis.analyze import is_suppressed
    except ImportError:  # pragma: no cover
        return findings
    return [f for f in findings if not is_suppressed(parsed, f)]
