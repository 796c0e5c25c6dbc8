"""The single entry of the analysis core: `analyze(path, source) -> FileAnalysis`.

Runs the file's top level abstractly (so every call site feeds its model real shapes), then
runs each nn.Module class nobody called with entries from pyproject.toml or with symbolic
inputs, and gathers what was seen in this file into plain data for the CLI and the server.
"""

from __future__ import annotations

import ast
import os
import re
import time
from dataclasses import dataclass

from shapelens import findings as codes
from shapelens.analysis.entries import InputSpec, forward_specs, make_tensor
from shapelens.analysis.interpreter import BudgetExhausted, Frame, Interpreter
from shapelens.analysis.project import Project
from shapelens.analysis.recorder import CallFact, Constraint, Recorder
from shapelens.analysis.source import ParsedFile, parse_source
from shapelens.dims import Dim, eq, example_solution, fmt_shape
from shapelens.findings import Finding, Severity, suppressed_codes
from shapelens.ops.registry import Layer
from shapelens.values import (
    UNKNOWN, ClassV, Const, FunctionV, ModuleV, ObjectV, Span, TensorV, TupleV, Value, is_module_value,
)


@dataclass
class LayerRow:
    name: str
    description: str
    kind: str
    params: int | None
    outputs: list[TensorV]
    span: Span | None
    path: str | None
    module: Value | None = None  # the layer itself (hover shows its weights and what it saw)


@dataclass
class ModelSummary:
    class_name: str
    span: Span | None
    inputs: tuple[Value, ...]
    output: Value
    entry: str
    layers: list[LayerRow]
    total_params: int | None
    module: Value | None = None  # the model object that ran (hover walks its submodules)

    def signature(self) -> str:
        ins = ", ".join(describe_value(v) for v in self.inputs)
        return f"{ins} → {describe_value(self.output)}"


@dataclass
class FileAnalysis:
    path: str
    parsed: ParsedFile
    findings: list[Finding]
    assigns: dict[int, dict[str, list[TensorV]]]
    calls: dict[int, list[CallFact]]
    models: list[ModelSummary]
    constraints: list[Constraint]
    seconds: float
    complete: bool = True  # False when the step budget ran out
    confirmed: dict | None = None  # filled by the torch confirmation
    # With analyze(..., all_files=True): shapes bound in every file the run went through.
    all_assigns: dict[tuple[str, int], dict[str, list[TensorV]]] | None = None

    def shapes_json(self) -> dict:
        lines: dict[str, dict[str, list]] = {}
        for line in sorted(self.assigns):
            entry = {name: shape_json(join_shapes(vals)) for name, vals in self.assigns[line].items()}
            lines[str(line)] = entry
        out: dict = {"lines": lines}
        if self.confirmed is not None:
            out["confirmed"] = self.confirmed
        out["models"] = [
            {"class": m.class_name, "line": m.span.line if m.span else None, "entry": m.entry,
             "inputs": [shape_json(v.shape) if isinstance(v, TensorV) else None for v in m.inputs],
             "output": shape_json(m.output.shape) if isinstance(m.output, TensorV) else None,
             "params": m.total_params}
            for m in self.models
        ]
        return out

    def line_facts(self, line: int) -> list[tuple[str, TensorV]]:
        """Tensor names bound on a line, then intermediate call results on it."""
        out: list[tuple[str, TensorV]] = []
        for name, vals in self.assigns.get(line, {}).items():
            out.append((name, join_shapes_value(vals)))
        return out


def first_tensor(v: Value) -> TensorV | None:
    if isinstance(v, TensorV):
        return v
    if isinstance(v, TupleV):
        for i in v.items:
            t = first_tensor(i)
            if t is not None:
                return t
    return None


def describe_value(v: Value) -> str:
    if isinstance(v, TensorV):
        return fmt_shape(v.shape)
    if isinstance(v, TupleV):
        return "(" + ", ".join(describe_value(i) for i in v.items) + ")"
    return "unknown"


def join_shapes(vals: list[TensorV]) -> tuple[Dim, ...] | None:
    return join_shapes_value(vals).shape


def join_shapes_value(vals: list[TensorV]) -> TensorV:
    first = vals[0]
    for v in vals[1:]:
        if v.shape is None or first.shape is None or len(v.shape) != len(first.shape):
            return TensorV(None, first.dtype)
        if any(eq(a, b) is not True for a, b in zip(v.shape, first.shape)):
            dims = tuple(a if eq(a, b) is True else Dim.unknown("varies between calls") for a, b in zip(first.shape, v.shape))
            first = TensorV(dims, first.dtype)
    return first


def shape_json(shape) -> list | None:
    if shape is None:
        return None
    out = []
    for d in shape:
        out.append(d.value if d.value is not None else ("?" if d.has_unknown() else str(d)))
    return out


def default_project(path: str) -> Project:
    root = find_root(path)
    return Project(roots=[root] if root else [])


def find_root(path: str) -> str | None:
    d = os.path.dirname(os.path.abspath(path))
    while True:
        if any(os.path.exists(os.path.join(d, m)) for m in ("pyproject.toml", ".git", "setup.py")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return os.path.dirname(os.path.abspath(path))
        d = parent


def analyze(path: str, source: str, project: Project | None = None, entries: list | None = None,
            budget: int | None = None, all_files: bool = False, uncalled: bool = True) -> FileAnalysis:
    """Analyse one file. `entries` are model entries (from pyproject.toml) for this file.
    `all_files` also keeps the shapes bound in the other files the run followed calls into;
    `uncalled=False` skips the symbolic runs of classes and functions no call reached."""
    started = time.perf_counter()
    path = os.path.abspath(path) if not path.startswith("<") else path
    project = project or default_project(path)
    with project.lock:
        project.overlay[path] = source
        pf = parse_source(source, path)
        project.set_parsed(pf)
        project.forget_namespaces()
        rec = Recorder()
        interp = Interpreter(project, rec) if budget is None else Interpreter(project, rec, budget)
        interp.main_path = path
        project.interp = interp
        namespace: dict[str, Value] = {}
        complete = True
        try:
            interp.exec_module(pf, namespace)
            for entry in entries or []:
                run_entry(interp, pf, namespace, entry)
            if uncalled:
                run_workspace_callers(interp, pf, namespace)
                run_uncalled_models(interp, pf, namespace)
                run_uncalled_functions(interp, pf, namespace)
        except (BudgetExhausted, RecursionError):
            complete = False
        except Exception:  # never let one file take a run down; what was seen so far stands
            complete = False
        finally:
            project.interp = None
        result = collect(path, pf, rec, time.perf_counter() - started, complete)
        if all_files:
            result.all_assigns = dict(rec.assigns)
    return result


def run_entry(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value], entry) -> None:
    """A `[[tool.shapelens.entries]]` model: build it from `call`, feed it `inputs`."""
    try:
        expr = ast.parse(entry.call, mode="eval").body
    except SyntaxError:
        return
    frame = Frame(dict(namespace), namespace, pf, "<entry>")
    model = interp.eval(expr, frame)
    if not is_module_value(model):
        return
    symbols: dict[str, Dim] = {}
    from shapelens.analysis.entries import InputSpec

    tensors = tuple(
        make_tensor(interp, InputSpec(tuple(shape), dtype, "entry"), symbols)
        for shape, dtype in zip(entry.inputs, entry.dtypes or ["float32"] * len(entry.inputs))
    )
    node = expr if isinstance(expr, ast.AST) else ast.Constant(0)
    interp.call_module(model, tensors, {}, frame, node)
    if interp.rec.runs:
        interp.rec.runs[-1].entry = "entry"


def run_workspace_callers(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value]) -> None:
    """Models of this file nobody here calls, called by another file of the workspace (a
    training script, a test): run that file's top level as `__main__` and its argument-less
    functions that name the model, so the model sees the shapes it is really fed."""
    project = interp.project
    called = {r.class_name for r in interp.rec.runs if r.path == pf.path}
    names = [n.name for n in pf.tree.body if isinstance(n, ast.ClassDef) and n.name not in called
             and isinstance(namespace.get(n.name), ClassV) and namespace[n.name].is_module]
    if not names or not project.roots:
        return
    project._namespaces.setdefault(pf.path, namespace)  # their imports of this file see these classes
    files = project.caller_files(pf.path, names)
    for i, f in enumerate(files):
        other = project.parsed(f)
        if other is None:
            continue
        ns: dict[str, Value] = {"__name__": Const("__main__")}
        project._namespaces.setdefault(f, ns)
        share = 2 * (len(files) - i) + 1
        capped(interp, lambda: interp.exec_module(other, ns), share)
        mention = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
        for node in other.tree.body:
            fn = ns.get(node.name) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if isinstance(fn, FunctionV) and not fn.node.args.args and not fn.node.args.posonlyargs and \
                    mention.search(other.segment(node)):
                frame = Frame(dict(ns), ns, other, "<root>")
                capped(interp, lambda: interp.call_function(fn, (), {}, frame, node), share)


def run_uncalled_models(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value]) -> None:
    """Classes of this file that no call reached: build with defaults, feed symbolic inputs."""
    # Models that other models of this file use run last: they are usually reached through
    # their parent's run with real constructor arguments, and need no guessed run of their own.
    class_nodes = [n for n in pf.tree.body if isinstance(n, ast.ClassDef)]
    used_by_others = {
        name.id
        for n in class_nodes
        for name in ast.walk(n)
        if isinstance(name, ast.Name) and name.id != n.name
    }
    ordered = [n for n in class_nodes if n.name not in used_by_others] + [n for n in class_nodes if n.name in used_by_others]
    for node in ordered:
        called = {(r.path, r.class_name) for r in interp.rec.runs}
        cls = namespace.get(node.name)
        if not isinstance(cls, ClassV) or not cls.is_module or (pf.path, cls.name) in called:
            continue
        # A base class whose subclass ran was followed through the subclass, with the sizes
        # the subclass gives it; a guessed run of the (often abstract) base would only blur that.
        if any(
            isinstance(sub, ClassV) and sub is not cls and cls in sub.mro() and (pf.path, sub.name) in called
            for sub in namespace.values()
        ):
            continue
        if not isinstance(cls.lookup("forward"), FunctionV):
            continue
        capped(interp, lambda: run_symbolic_model(interp, pf, namespace, cls, node), 2)


def capped(interp: Interpreter, run, share: int = 1) -> None:
    """Run one guessed (uncalled) model or function with at most SUB_RUN_BUDGET steps and a
    `share` of what is left, so a costly one (a model builder) cannot use up the budget of the
    whole file; when it runs out, only that run stops."""
    remaining = interp.budget
    cap = min(SUB_RUN_BUDGET, remaining // (max(share, 1) + 1))
    interp.budget = cap
    try:
        run()
    except BudgetExhausted:
        pass  # this guessed run stops here; what it saw so far stands
    finally:
        interp.budget = remaining - (cap - max(interp.budget, 0))


SUB_RUN_BUDGET = 100_000


def run_symbolic_model(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value], cls: ClassV, node: ast.ClassDef) -> None:
    """One class nobody called: built with its defaults, fed what its signature says.

    When an input's rank is only a guess (its first layer, a Linear or an Embedding, takes any
    rank), a failure may belong to the guess: the run is tried again one rank higher, and only
    a failure both ranks share is an error."""
    spec_probe = build_symbolic_model(interp, pf, namespace, cls, node)
    if spec_probe is None:
        return
    _, _, specs = spec_probe
    if not any(s.guessed_rank for s in specs.values()):
        run_symbolic_once(interp, pf, namespace, cls, node, spec_probe, 0, False)
        return
    snap = snapshot(interp)
    if run_symbolic_once(interp, pf, namespace, cls, node, spec_probe, 0, True):
        return
    restore(interp, snap)
    if run_symbolic_once(interp, pf, namespace, cls, node, build_symbolic_model(interp, pf, namespace, cls, node), 1, True):
        return
    restore(interp, snap)  # both ranks fail the same way: that is not the guess
    run_symbolic_once(interp, pf, namespace, cls, node, build_symbolic_model(interp, pf, namespace, cls, node), 0, False)


def build_symbolic_model(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value], cls: ClassV, node: ast.ClassDef):
    frame = Frame(dict(namespace), namespace, pf, f"<symbolic {cls.name}>")
    obj = interp.instantiate(cls, (), {}, frame, node)
    if not isinstance(obj, ObjectV):
        return None
    obj.def_span, obj.def_path = pf.span(node), pf.path
    params, specs = forward_specs(interp, obj, pf.lines)
    if not params:
        return None
    return obj, params, specs


def run_symbolic_once(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value], cls: ClassV, node: ast.ClassDef,
                      built, extra_rank: int, guessing: bool) -> bool:
    """Run the built model once; False when it failed somewhere only the guessed rank explains."""
    if built is None:
        return True
    obj, params, specs = built
    frame = Frame(dict(namespace), namespace, pf, f"<symbolic {cls.name}>")
    symbols: dict[str, Dim] = {}
    args = []
    entry_kind = "symbolic"
    for p in params:
        spec = specs.get(p)
        if spec is None:
            args.append(TensorV(None, "float32"))
            continue
        if spec.source in ("annotation", "comment", "docstring"):
            entry_kind = spec.source
        if extra_rank and spec.guessed_rank and spec.shape:
            spec = InputSpec(spec.shape[:1] + ("S",) + spec.shape[1:], spec.dtype, spec.source, True)
        args.append(make_tensor(interp, spec, symbols))
    fwd = cls.lookup("forward")
    # Optional forward parameters keep their defaults (`mask=None`).
    n_required = len(params) - len(fwd.node.args.defaults) if isinstance(fwd, FunctionV) else len(params)
    args = args[: max(n_required, sum(1 for p in params if p in specs))]
    before = set(interp.rec.findings)
    interp.guessing = guessing
    try:
        interp.call_module(obj, tuple(args), {}, frame, node)
    finally:
        interp.guessing = False
    for r in reversed(interp.rec.runs):
        if r.module is obj:
            r.entry = entry_kind
            break
    return not any(interp.rec.findings[k].data.get("guessed_input") for k in set(interp.rec.findings) - before)


def snapshot(interp: Interpreter) -> tuple:
    rec = interp.rec
    return ({k: {n: list(v) for n, v in d.items()} for k, d in rec.assigns.items()},
            {k: list(v) for k, v in rec.calls.items()}, dict(rec.findings), list(rec.constraints), list(rec.runs),
            set(rec.unknown_names), dict(interp.solved), dict(interp.symbols))


def restore(interp: Interpreter, snap: tuple) -> None:
    """Back to `snap` (copied again, so the snapshot can be restored more than once)."""
    rec = interp.rec
    rec.assigns = {k: {n: list(v) for n, v in d.items()} for k, d in snap[0].items()}
    rec.calls = {k: list(v) for k, v in snap[1].items()}
    rec.findings, rec.constraints, rec.runs, rec.unknown_names = dict(snap[2]), list(snap[3]), list(snap[4]), set(snap[5])
    interp.solved, interp.symbols = dict(snap[6]), dict(snap[7])


def run_uncalled_functions(interp: Interpreter, pf: ParsedFile, namespace: dict[str, Value]) -> None:
    """Module-level functions nobody called (a `main`, a test) still show their shapes."""
    todo = [n for n in pf.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for i, node in enumerate(todo):
        fn = namespace.get(node.name)
        if isinstance(fn, FunctionV) and not fn.node.args.args and not fn.node.args.posonlyargs:
            if not any((pf.path, ln) in interp.rec.assigns for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
                frame = Frame(dict(namespace), namespace, pf, "<root>")
                capped(interp, lambda: interp.call_function(fn, (), {}, frame, node), len(todo) - i)


def collect(path: str, pf: ParsedFile, rec: Recorder, seconds: float, complete: bool) -> FileAnalysis:
    findings = [f for f in rec.findings.values() if f.path == path and not is_suppressed(pf, f)]
    for line, col, msg in pf.syntax_errors[:1]:
        findings.append(Finding(codes.SYNTAX.code, f"Syntax error: {msg}; shapes around it may be missing", path,
                                Span(line, col, line, col + 1), Severity.INFORMATION))
    findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
    assigns = {line: names for (p, line), names in rec.assigns.items() if p == path}
    calls = {line: facts for (p, line), facts in rec.calls.items() if p == path}
    constraints = [c for c in rec.constraints if c.path == path]
    models = summarize_models(path, rec)
    return FileAnalysis(path, pf, findings, assigns, calls, models, constraints, seconds, complete)


def is_suppressed(pf: ParsedFile, f: Finding) -> bool:
    """A `# shapelens: ignore[CODE]` (or `# noqa: CODE`) comment on any line of the finding."""
    for line in range(f.span.line, f.span.end_line + 1):
        if 1 <= line <= len(pf.lines):
            codes_ = suppressed_codes(pf.lines[line - 1])
            if codes_ is not None and (not codes_ or f.code in codes_):
                return True
    return False


def summarize_models(path: str, rec: Recorder) -> list[ModelSummary]:
    out: list[ModelSummary] = []
    seen: set[str] = set()
    # Prefer a concrete call's run over symbolic ones for the same class.
    runs = sorted((r for r in rec.runs if r.path == path), key=lambda r: 0 if r.entry == "call" else 1)
    for r in runs:
        if r.class_name in seen:
            continue
        seen.add(r.class_name)
        layers = layer_rows(r.module)
        total = 0
        for row in layers:
            if row.params is None:
                total = None  # type: ignore[assignment]
                break
            total += row.params
        out.append(ModelSummary(r.class_name, r.span, r.inputs, r.output, r.entry, layers, total, r.module))
    return out


def layer_rows(m: Value, prefix: str = "") -> list[LayerRow]:
    """Leaf layers of a model, in definition order, with parameter counts."""
    rows: list[LayerRow] = []
    if isinstance(m, ObjectV):
        items = [(k, v) for k, v in m.attrs.items() if is_module_value(v) and k != "__layer__"]
        own = m.attrs.get("__layer__")
        if isinstance(own, ModuleV):
            rows.extend(layer_rows(own, prefix.rstrip(".") or m.cls.name))
        for k, v in m.attrs.items():
            if isinstance(v, TensorV) and v.shape is not None and not k.startswith("_"):
                pass
    elif isinstance(m, ModuleV) and m.children is not None:
        items = list(m.children)
    elif isinstance(m, ModuleV):
        rule = m.rule
        params: int | None = 0
        if isinstance(rule, Layer):
            try:
                ps = rule.params(m)
            except Exception:
                ps = None
            if ps is None:
                params = None
            else:
                for shape in ps.values():
                    n = 1
                    for d in shape:
                        v = Dim.of(d).value
                        if v is None:
                            n = None  # type: ignore[assignment]
                            break
                        n *= v
                    if n is None:
                        params = None
                        break
                    params += n  # type: ignore[operator]
            try:
                desc = rule.describe(m)
            except Exception:
                desc = m.short
        else:
            desc = m.short
            params = None
        outs = [first_tensor(o) for _, o in m.seen if first_tensor(o) is not None]
        return [LayerRow(prefix or m.label(), desc, m.short, params, outs, m.def_span, m.def_path, m)]
    else:
        return rows
    for k, v in items:
        rows.extend(layer_rows(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}"))
    return rows


def constraint_hint(constraints: list[Constraint]) -> list[str]:
    """Readable needs of symbolic inputs, with an example size when one is easy to find."""
    out = []
    for c in constraints:
        lhs, rhs = reduced(c.lhs, c.rhs)
        ex = example_solution([(c.lhs, c.rhs)])
        sample = ""
        if ex:
            sample = ", e.g. " + "×".join(str(v) for v in ex.values()) if len(set(ex.values())) == 1 and len(ex) > 1 else (
                ", e.g. " + ", ".join(f"{k}={v}" for k, v in ex.items()))
        out.append(f"needs {lhs} == {rhs}{sample} ({c.what})")
    return out


def reduced(lhs: Dim, rhs: Dim) -> tuple[Dim, Dim]:
    """`16*(H//4)*(W//4) == 3136` reads better as `(H//4)*(W//4) == 196`: divide out the
    common constant factor of both sides."""
    if rhs.value is None or len(lhs.terms) != 1 or lhs.value is not None:
        return lhs, rhs
    (_, coef), = lhs.terms
    if coef > 1 and rhs.value % coef == 0:
        q = lhs.exact_div(coef)
        if q is not None:
            return q, Dim.const(rhs.value // coef)
    return lhs, rhs


@dataclass
class SnippetResult:
    namespace: dict[str, Value]
    findings: list[Finding]

    def value(self, name: str) -> Value:
        return self.namespace.get(name, UNKNOWN)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]


SNIPPET_PRELUDE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport math\n"


def eval_snippet(code: str, inputs: dict[str, Value] | None = None, path: str = "<snippet>") -> SnippetResult:
    """Run a few statements over given abstract inputs (the op property tests' engine side).
    `torch`, `nn`, `F` and `math` are imported; `inputs` are bound before the code runs."""
    source = SNIPPET_PRELUDE + code
    project = Project(roots=[], use_jedi=False)
    project.overlay[path] = source
    pf = parse_source(source, path)
    project.set_parsed(pf)
    rec = Recorder()
    interp = Interpreter(project, rec)
    interp.main_path = path
    project.interp = interp
    namespace: dict[str, Value] = dict(inputs or {})
    interp.exec_module(pf, namespace)
    findings = sorted(rec.findings.values(), key=lambda f: (f.span.line, f.span.col))
    return SnippetResult(namespace, findings)
