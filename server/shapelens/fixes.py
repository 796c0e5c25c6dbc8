"""Quick fixes for findings, as plain edits (code-point spans): no LSP types here.

`fixes_for(finding, pf)` gathers what the core attached to the finding (e.g. "Set in_features of
fc1 to 4096") and adds the fixes that only need the source text:

- set a layer's size argument to what its input has (in_channels, num_features, input_size);
- flatten the input of a Linear that receives an image-like tensor whose trailing dims multiply
  to in_features (`x = torch.flatten(x, 1)` before the statement);
- take the last timestep of a recurrent layer's output (`output[:, -1, :]`) for SL201;
- `# shapelens: ignore[CODE]` at the end of the line, after any comment already there.

Each fix, applied, makes its finding go away and keeps the file valid Python (tests/test_fixes.py).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from shapelens import findings as codes
from shapelens.analysis.source import ParsedFile
from shapelens.dims import Dim, eq, prod
from shapelens.findings import Edit, Finding, Fix
from shapelens.values import Span

IGNORE_RE = re.compile(r"#\s*shapelens:\s*ignore\[([^\]]*)\]")


def fixes_for(finding: Finding, pf: ParsedFile) -> list[Fix]:
    """Every fix for `finding`, most useful first; the suppression comment comes last."""
    out = list(finding.fixes)
    for make in (layer_argument_fix, flatten_fix, last_step_fix):
        try:
            fix = make(finding, pf)
        except Exception:  # a fix is never worth a crash
            fix = None
        if fix is not None:
            out.append(fix)
    ignore = ignore_fix(finding, pf)
    if ignore is not None:
        out.append(ignore)
    return out


# --------------------------------------------------------------------------- suppression


def ignore_fix(finding: Finding, pf: ParsedFile) -> Fix | None:
    """Append `# shapelens: ignore[CODE]` to a line of the finding (or add CODE to one there)."""
    line = _comment_line(finding.span, pf)
    if line is None:
        return None
    text = pf.lines[line - 1]
    comment = _comment_on(pf, line)
    if comment is not None:
        m = IGNORE_RE.search(text, comment)
        if m is not None:
            listed = [c.strip() for c in m.group(1).split(",") if c.strip()]
            if finding.code in listed:
                return None
            inner = ", ".join(listed + [finding.code])
            edit = Edit(Span(line, m.start(1), line, m.end(1)), inner)
            return Fix(f"Ignore {finding.code} on this line", (edit,), preferred=False)
    code_end = len(text.rstrip())
    edit = Edit(Span(line, code_end, line, len(text)), f"  # shapelens: ignore[{finding.code}]")
    return Fix(f"Ignore {finding.code} on this line", (edit,), preferred=False)


def _comment_line(span: Span, pf: ParsedFile) -> int | None:
    """The first line of the span whose end is ordinary code: not inside a string, not a `\\` continuation."""
    unsafe = _string_lines(pf)
    for line in range(span.line, span.end_line + 1):
        if not 1 <= line <= len(pf.lines):
            continue
        text = pf.lines[line - 1]
        if line in unsafe or text.rstrip().endswith("\\"):
            continue
        return line
    return None


def _tokens(pf: ParsedFile) -> list[tokenize.TokenInfo] | None:
    cached = getattr(pf, "_fix_tokens", False)
    if cached is not False:
        return cached
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(pf.source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        toks = None
    try:
        pf._fix_tokens = toks  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return toks


def _string_lines(pf: ParsedFile) -> set[int]:
    """Lines that end inside a multi-line string (a comment appended there would be text)."""
    toks = _tokens(pf)
    out: set[int] = set()
    if toks is None:
        return out
    for t in toks:
        if t.type == tokenize.STRING and t.end[0] > t.start[0]:
            out.update(range(t.start[0], t.end[0]))
    return out


def _comment_on(pf: ParsedFile, line: int) -> int | None:
    """Column (code points) where the line's comment starts, if it has one."""
    toks = _tokens(pf)
    if toks is not None:
        for t in toks:
            if t.type == tokenize.COMMENT and t.start[0] == line:
                return t.start[1]
        return None
    text = pf.lines[line - 1]
    i = text.find("#")
    return i if i >= 0 else None


# --------------------------------------------------------------------------- layer arguments


def _spatial_rank(kind: str) -> int | None:
    for n in (1, 2, 3):
        if kind.endswith(f"{n}d"):
            return n
    return None


def _needed_size(code: str, kind: str, shape: tuple) -> tuple[str, Dim] | None:
    """Which constructor argument must match which input dimension, for a layer kind."""
    short = kind.rsplit(".", 1)[-1]
    if code == codes.CHANNELS.code and short.startswith("Conv"):
        n = _spatial_rank(short)
        if n is None or len(shape) not in (n + 1, n + 2):
            return None
        return "in_channels", shape[1 if len(shape) == n + 2 else 0]
    if code == codes.NORM_FEATURES.code and short.startswith(("BatchNorm", "InstanceNorm")):
        n = _spatial_rank(short)
        if short.startswith("BatchNorm") or (n is not None and len(shape) == n + 2):
            return ("num_features", shape[1]) if len(shape) >= 2 else None
        return ("num_features", shape[0]) if n is not None and len(shape) == n + 1 else None
    if code == codes.NORM_FEATURES.code and short == "GroupNorm" and len(shape) >= 2:
        return "num_channels", shape[1]
    if code == codes.RNN_INPUT.code and short in ("RNN", "LSTM", "GRU") and shape:
        return "input_size", shape[-1]
    return None


def layer_argument_fix(finding: Finding, pf: ParsedFile) -> Fix | None:
    """Set the layer's size argument (in_channels, num_features, input_size) to what it receives."""
    if finding.fixes:
        return None  # the core made its own
    d = finding.data
    shape, kind, spans = d.get("input_shape"), d.get("layer_kind"), d.get("arg_spans") or {}
    if not shape or not kind or d.get("def_path") != finding.path:
        return None
    need = _needed_size(finding.code, kind, tuple(shape))
    if need is None:
        return None
    param, dim = need
    value = Dim.of(dim).value
    args = d.get("layer_args") or {}
    if value is None or param not in spans or args.get("groups", 1) != 1:
        return None
    if args.get(param) == value:
        return None  # this argument already fits: the finding is about something else (a hidden state...)
    return Fix(f"Set {param} of {d.get('layer', 'the layer')} to {value}", (Edit(spans[param], str(value)),))


# --------------------------------------------------------------------------- reshaping the input


def flatten_fix(finding: Finding, pf: ParsedFile) -> Fix | None:
    """SL101 where the input's trailing dims multiply to in_features: flatten it first."""
    if finding.code != codes.LINEAR_FEATURES.code:
        return None
    shape = finding.data.get("input_shape")
    in_features = (finding.data.get("layer_args") or {}).get("in_features")
    if not shape or len(shape) < 3 or in_features is None:
        return None
    if eq(prod([Dim.of(d) for d in shape[1:]]), Dim.of(in_features)) is not True:
        return None
    call = call_at(pf, finding.span)
    if call is None or not call.args or isinstance(call.args[0], ast.Starred):
        return None
    arg = call.args[0]
    torch_name = torch_alias(pf)
    if isinstance(arg, ast.Name):
        name = arg.id
        new = f"{name} = {torch_name}.flatten({name}, 1)" if torch_name else f"{name} = {name}.flatten(1)"
        stmt = statement_of(pf, call)
        if stmt is None:
            return None
        sp = pf.span(stmt)
        before = pf.lines[sp.line - 1][: sp.col]
        if before.strip():
            edit = Edit(Span(sp.line, sp.col, sp.line, sp.col), new + "; ")
        else:
            edit = Edit(Span(sp.line, 0, sp.line, 0), before + new + "\n")
        return Fix(f"Flatten {name} before {finding.data.get('layer', 'the layer')}: {new}", (edit,), preferred=False)
    asp = pf.span(arg)
    text = pf.text(asp)
    wrapped = f"{torch_name}.flatten({text}, 1)" if torch_name else f"{_atom(arg, text)}.flatten(1)"
    return Fix(f"Flatten the input: {wrapped}", (Edit(asp, wrapped),), preferred=False)


def last_step_fix(finding: Finding, pf: ParsedFile) -> Fix | None:
    """SL201: feed the layer the recurrent output's last timestep only."""
    if finding.code != codes.PER_TIMESTEP.code:
        return None
    batch_first = finding.data.get("batch_first")
    if batch_first is None:
        return None  # which dimension is time is not known: no guess
    call = call_at(pf, finding.span)
    if call is None or not call.args or isinstance(call.args[0], ast.Starred):
        return None
    arg = call.args[0]
    asp = pf.span(arg)
    text = pf.text(asp)
    index = "[:, -1, :]" if batch_first else "[-1]"
    new = _atom(arg, text) + index
    return Fix(f"Take the last timestep: {new}", (Edit(asp, new),), preferred=False)


def _atom(node: ast.AST, text: str) -> str:
    """`text` safe to subscript or call a method on."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)) and "\n" not in text:
        return text
    return f"({text})"


def call_at(pf: ParsedFile, span: Span) -> ast.Call | None:
    """The call whose range is exactly the finding's (the interpreter reports calls by their node)."""
    best: ast.Call | None = None
    for node in ast.walk(pf.tree):
        if isinstance(node, ast.Call):
            sp = pf.span(node)
            if sp == span:
                return node
            if best is None and (sp.line, sp.col) == (span.line, span.col):
                best = node
    return best


def statement_of(pf: ParsedFile, target: ast.AST) -> ast.stmt | None:
    """The innermost statement containing `target`."""
    # Statements containing one another start one after the other: the innermost starts last.
    found = [s for s in ast.walk(pf.tree) if isinstance(s, ast.stmt) and _contains(s, target)]
    return max(found, key=lambda s: (s.lineno, s.col_offset), default=None)


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    for n in ast.walk(outer):
        if n is inner:
            return True
    return False


def torch_alias(pf: ParsedFile) -> str | None:
    """The name `import torch` is bound to at the top of the file, if any."""
    for node in pf.tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "torch":
                    return a.asname or "torch"
    return None


# --------------------------------------------------------------------------- applying


def apply_edits(source: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Apply non-overlapping edits (code-point spans, 1-based lines) to `source`."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)  # the lines the parser sees
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(line: int, col: int) -> int:
        if line - 1 >= len(lines):
            return len(source)
        body = lines[line - 1].rstrip("\r\n")
        return starts[line - 1] + min(col, len(body))

    out = source
    for e in sorted(edits, key=lambda e: (e.span.line, e.span.col), reverse=True):
        a, b = offset(e.span.line, e.span.col), offset(e.span.end_line, e.span.end_col)
        out = out[:a] + e.new_text + out[b:]
    return out
