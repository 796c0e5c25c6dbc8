"""Hover: Markdown from the last analysis, never a new one.

What the cursor is on decides what is shown:
- a `class X(nn.Module)` line: the model summary table;
- a layer attribute (`self.fc1`, also on its definition line): description, parameters, weight
  shapes and the shapes it saw (a container or user submodule: its layers);
- a tensor name: its shape and how it was derived from the input;
- anything else on a line: the shapes bound there and the results of the calls on it;
- a `# shapelens: ignore[SL101]` comment: what its codes mean.
Symbolic constraints of the line and torch's confirmation (when present) are added below.

Positions here are core positions (1-based line, code-point column); server.py converts.
"""

from __future__ import annotations

import ast

from shapelens import render
from shapelens.analysis.analyze import FileAnalysis, constraint_hint, layer_rows
from shapelens.dims import fmt_shape
from shapelens.findings import SUPPRESS_RE, code_info
from shapelens.ops.registry import Layer
from shapelens.values import ModuleV, ObjectV, Span, TensorV, Value, is_module_value


def hover_markdown(fa: FileAnalysis, line: int, col: int) -> str | None:
    pf = fa.parsed
    if not 1 <= line <= len(pf.lines):
        return None
    codes_doc = suppression_section(pf.lines[line - 1], col)
    if codes_doc:
        return "\n".join(codes_doc)
    node = node_at(fa, line, col)
    parts: list[str] | None = None
    cls = class_header_at(fa, line)
    if cls is not None:
        parts = model_section(fa, cls)
    if parts is None and isinstance(node, ast.Attribute):
        m = layer_for_attribute(fa, node)
        parts = layer_section(m) if m is not None else name_section(fa, node, node.attr)
    if parts is None and isinstance(node, ast.Name):
        parts = name_section(fa, node, node.id)
    if parts is None:
        parts = line_section(fa, line)
    if not parts:
        return None
    extra = constraints_section(fa, line)
    if extra:
        parts += ["", *extra]
    return "\n".join(parts).strip() or None


# --------------------------------------------------------------------------- finding the node


class _Index:
    """The syntax facts hover needs, gathered in one walk and kept with the analysis."""

    SIMPLE_EXCLUDED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
                       ast.While, ast.With, ast.AsyncWith, ast.Try)

    def __init__(self, tree: ast.Module):
        self.names: dict[int, list[ast.expr]] = {}  # Name/Attribute nodes by every line they cover
        self.classes: list[ast.ClassDef] = []
        self.scopes: list[ast.AST] = []  # functions and lambdas
        self.stmt_end: dict[int, int] = {}  # simple statement start line -> end line
        for node in ast.walk(tree):
            if isinstance(node, (ast.Name, ast.Attribute)):
                for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                    self.names.setdefault(ln, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.append(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self.scopes.append(node)
            if isinstance(node, ast.stmt) and not isinstance(node, self.SIMPLE_EXCLUDED):
                self.stmt_end.setdefault(node.lineno, node.end_lineno or node.lineno)


def index(fa: FileAnalysis) -> _Index:
    idx = getattr(fa, "_hover_index", None)
    if idx is None:
        idx = _Index(fa.parsed.tree)
        try:
            fa._hover_index = idx  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return idx


def _contains(sp: Span, line: int, col: int) -> bool:
    if (line, col) < (sp.line, sp.col) or (line, col) > (sp.end_line, sp.end_col):
        return False
    return True


def node_at(fa: FileAnalysis, line: int, col: int) -> ast.AST | None:
    """The innermost Name or Attribute under the cursor (an Attribute only on its attribute part)."""
    pf = fa.parsed
    best: ast.AST | None = None
    best_size = None
    for node in index(fa).names.get(line, []):
        sp = pf.span(node)
        if not _contains(sp, line, col):
            continue
        if isinstance(node, ast.Attribute):
            # Only the `.attr` part selects the attribute; `self` in `self.fc1` is a Name.
            inner = pf.span(node.value)
            if (line, col) <= (inner.end_line, inner.end_col) and (line, col) != (inner.end_line, inner.end_col):
                continue
        size = (sp.end_line - sp.line, sp.end_col - sp.col if sp.end_line == sp.line else 10**6)
        if best_size is None or size < best_size:
            best, best_size = node, size
    return best


def class_header_at(fa: FileAnalysis, line: int) -> ast.ClassDef | None:
    for node in index(fa).classes:
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        header_end = node.body[0].lineno - 1 if node.body else node.lineno
        if first <= line <= max(node.lineno, header_end) and (not node.body or line < node.body[0].lineno):
            return node
    return None


def enclosing(fa: FileAnalysis, line: int, kinds: tuple[type, ...]) -> ast.AST | None:
    found = None
    idx = index(fa)
    for node in (idx.classes if kinds == (ast.ClassDef,) else idx.scopes):
        if isinstance(node, kinds) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if found is None or node.lineno >= found.lineno:
                found = node
    return found


# --------------------------------------------------------------------------- models and layers


def model_section(fa: FileAnalysis, cls: ast.ClassDef) -> list[str] | None:
    for m in fa.models:
        if m.class_name == cls.name and (m.span is None or m.span.line in (cls.lineno, *[d.lineno for d in cls.decorator_list])):
            return [render.model_table_markdown(m)]
    return None


def all_layers(fa: FileAnalysis) -> list[Value]:
    """Every layer this file's analysis met: those called on some line, then those of the models."""
    cached = getattr(fa, "_hover_layers", None)
    if cached is not None:
        return cached
    out: list[Value] = []
    seen: set[int] = set()
    for facts in fa.calls.values():
        for c in facts:
            if c.module is not None and is_module_value(c.module) and id(c.module) not in seen:
                seen.add(id(c.module))
                out.append(c.module)
    def walk(m: Value, depth: int = 0) -> None:
        if depth > 20:
            return
        if id(m) not in seen:
            seen.add(id(m))
            out.append(m)
        kids: list = []
        if isinstance(m, ObjectV):
            kids = [v for k, v in m.attrs.items() if k != "__layer__" and is_module_value(v)]
            own = m.attrs.get("__layer__")
            if isinstance(own, ModuleV) and own.children is not None:
                kids += [v for _, v in own.children]
        elif isinstance(m, ModuleV) and m.children is not None:
            kids = [v for _, v in m.children]
        for k in kids:
            if is_module_value(k):
                walk(k, depth + 1)

    for model in fa.models:
        if model.module is not None:
            walk(model.module)
        for row in model.layers:
            if row.module is not None and id(row.module) not in seen:
                seen.add(id(row.module))
                out.append(row.module)
    try:
        fa._hover_layers = out  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return out


def _name_of(m: Value) -> str | None:
    if isinstance(m, ModuleV):
        return m.name
    if isinstance(m, ObjectV):
        return m.name
    return None


def layer_for_attribute(fa: FileAnalysis, node: ast.Attribute) -> Value | None:
    """The layer `self.<attr>` names, preferring one defined in the enclosing class."""
    attr = node.attr
    cls = enclosing(fa, node.lineno, (ast.ClassDef,))
    candidates = []
    for m in all_layers(fa):
        name = _name_of(m)
        if name is None or name.rsplit(".", 1)[-1] != attr:
            continue
        span = m.def_span
        inside = span is not None and cls is not None and m.def_path == fa.path and \
            cls.lineno <= span.line <= (cls.end_lineno or cls.lineno)
        candidates.append((0 if inside else 1, m))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    if cls is not None and candidates[0][0] == 1 and isinstance(node.value, ast.Name) and node.value.id == "self":
        return None  # a `self.x` of another class
    return candidates[0][1]


def layers_defined_on(fa: FileAnalysis, line: int) -> list[Value]:
    return [m for m in all_layers(fa) if m.def_span is not None and m.def_path == fa.path and m.def_span.line <= line <= m.def_span.end_line]


def layer_section(m: Value) -> list[str]:
    name = _name_of(m) or (m.short if isinstance(m, ModuleV) else m.describe())
    rows = layer_rows(m)
    if isinstance(m, ObjectV) or (isinstance(m, ModuleV) and m.children is not None):
        # A submodule or container: what it holds, like the model table.
        kind = m.cls.name if isinstance(m, ObjectV) else m.short
        total = None if any(r.params is None for r in rows) else sum(r.params or 0 for r in rows)
        out = [f"**{name}** · `{kind}` · {render.fmt_count(total)} params"]
        if rows:
            out += ["", "| Layer | Output shape | Param # |", "|---|---|---:|"]
            for r in rows:
                outs = render.join_for_display(r.outputs) if r.outputs else "—"
                out.append(f"| `{r.name}` {r.description} | `{outs}` | {render.fmt_count(r.params)} |")
        return out + _seen_lines(m.seen)
    assert isinstance(m, ModuleV)
    row = rows[0] if len(rows) == 1 else None
    desc = row.description if row else m.short
    params = f" · {render.fmt_count(row.params)} params" if row else ""
    out = [f"**{name}** · `{desc}`{params}"]
    if isinstance(m.rule, Layer):
        try:
            ps = m.rule.params(m)
        except Exception:  # a description is never worth a crash
            ps = None
        if ps:
            out += ["", " · ".join(f"{k} `{fmt_shape(tuple(v))}`" for k, v in ps.items())]
    return out + _seen_lines(m.seen)


def _seen_lines(seen: list[tuple[tuple[Value, ...], Value]]) -> list[str]:
    pairs: list[str] = []
    for ins, out in seen:
        text = f"`{', '.join(describe(i) for i in ins)}` → `{describe(out)}`"
        if text not in pairs:
            pairs.append(text)
    if not pairs:
        return []
    shown = pairs[:4] + ([f"… {len(pairs) - 4} more"] if len(pairs) > 4 else [])
    return ["", "Seen: " + "; ".join(shown)]


def describe(v: Value) -> str:
    if isinstance(v, TensorV):
        return fmt_shape(v.shape)
    return v.describe()


# --------------------------------------------------------------------------- names


def binding(fa: FileAnalysis, node: ast.expr, name: str) -> tuple[int, list[TensorV]] | None:
    """The line that bound the value `node` refers to, and the tensors bound there."""
    pf = fa.parsed
    start = pf.statement_start(node.lineno)
    if isinstance(getattr(node, "ctx", None), ast.Store):
        vals = fa.assigns.get(start, {}).get(name)
        return (start, vals) if vals else None
    scope = enclosing(fa, node.lineno, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
    first = scope.lineno if scope is not None else 1
    for ln in range(start - 1, first - 1, -1):
        vals = fa.assigns.get(ln, {}).get(name)
        if vals:
            return ln, vals
    # A loop body may read what a later line of the loop bound in the previous round.
    vals = fa.assigns.get(start, {}).get(name)
    return (start, vals) if vals else None


def name_section(fa: FileAnalysis, node: ast.expr, name: str) -> list[str] | None:
    found = binding(fa, node, name)
    if found is None:
        return None
    line, vals = found
    shown = render.join_for_display(vals)
    dtype = vals[0].dtype if all(v.dtype == vals[0].dtype for v in vals) and vals[0].dtype else None
    out = [f"`{name}`: `{shown}`" + (f" · {dtype}" if dtype else "") + confirmed_mark(fa, line, name, vals)]
    chains: list[str] = []
    for v in vals:
        d = render.derivation(v)
        if d != render.shape_text(v) and d not in chains:
            chains.append(d)
    if chains:
        out += ["", "```text", *chains[:3], "```"]
    return out


# --------------------------------------------------------------------------- lines


def line_section(fa: FileAnalysis, line: int) -> list[str]:
    pf = fa.parsed
    start = pf.statement_start(line)
    out: list[str] = []
    for name, vals in fa.assigns.get(start, {}).items():
        out.append(f"- `{name}`: `{render.join_for_display(vals)}`{confirmed_mark(fa, start, name, vals)}")
    calls: dict[tuple, list[TensorV]] = {}
    labels: dict[tuple, str] = {}
    for ln in range(start, _statement_end(fa, start) + 1):
        for c in fa.calls.get(ln, []):
            key = (c.span, c.label)
            calls.setdefault(key, []).append(c.value)
            labels[key] = c.label
    if calls:
        # Innermost calls run first: order by where they end, then by where they start.
        for key in sorted(calls, key=lambda k: (k[0].end_line, k[0].end_col, -k[0].col)):
            out.append(f"- `{labels[key]}(…)` → `{render.join_for_display(calls[key])}`")
    for m in layers_defined_on(fa, line):
        out += ["", *layer_section(m)]
    return out


def _statement_end(fa: FileAnalysis, start: int) -> int:
    return index(fa).stmt_end.get(start, start)


def constraints_section(fa: FileAnalysis, line: int) -> list[str]:
    relevant = [c for c in fa.constraints if c.span.contains_line(line)]
    return [f"- {h}" for h in constraint_hint(relevant)]


# --------------------------------------------------------------------------- suppression comments


def suppression_section(text: str, col: int) -> list[str] | None:
    """On `# shapelens: ignore[SL101]` / `# noqa: SL101`: what the codes mean."""
    for m in SUPPRESS_RE.finditer(text):
        if not m.start() <= col <= m.end():
            continue
        listed = m.group(1) or m.group(2) or ""
        if not listed:
            return ["Every ShapeLens finding on this line is suppressed."] if "shapelens" in m.group(0) else None
        entries = []
        for code in [c.strip() for c in listed.split(",") if c.strip()]:
            info = code_info(code)
            if info is not None:  # other linters' codes (E501...) are theirs to explain
                entries.append(f"**{info.code}** `{info.name}` ({info.severity.label}): {info.summary} [docs]({info.url})")
        return ["\n\n".join(entries)] if entries else None
    return None


# --------------------------------------------------------------------------- torch's confirmation


def confirmed_shapes(fa: FileAnalysis, line: int, name: str) -> list[list[int]] | None:
    """Shapes torch's meta-device run bound to `name` on `line`, if a confirmation was merged.

    The hook for the confirm worker: `FileAnalysis.confirmed` holds
    `{"lines"|"shapes": {"<line>": {"<name>": [[dims...], ...]}}}` (line keys str or int).
    """
    conf = fa.confirmed
    if not isinstance(conf, dict):
        return None
    table = conf.get("lines", conf.get("shapes"))
    if not isinstance(table, dict):
        return None
    per_line = table.get(str(line), table.get(line))
    if not isinstance(per_line, dict) or name not in per_line:
        return None
    shapes = per_line[name]
    if shapes and all(isinstance(d, int) for d in shapes):
        shapes = [shapes]
    return [list(s) for s in shapes if isinstance(s, (list, tuple))]


def confirmed_mark(fa: FileAnalysis, line: int, name: str, vals: list[TensorV]) -> str:
    torch_shapes = confirmed_shapes(fa, line, name)
    if torch_shapes is None:
        return ""
    ours = [[d.value for d in v.shape] for v in vals if v.shape is not None and all(d.value is not None for d in v.shape)]
    if ours and all(s in torch_shapes for s in ours):
        return " ✓ confirmed by torch"
    return " · torch: " + " | ".join("(" + ", ".join(map(str, s)) + ")" for s in torch_shapes)
