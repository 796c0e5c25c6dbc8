"""Entry shapes: what a model's forward is fed when no call in the file says.

In order of trust: jaxtyping/torchtyping annotations, the `# shapes:` comment, a
PyTorch-doc-style `Shape:` docstring section, and finally symbolic dims invented from how
forward uses its input (the first layer it reaches, or `b, c, h, w = x.shape`).

The comment form, on the `def forward` line or the line above it:

    # shapes: x=(B, 3, 32, 32), lengths=(B,) int64
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from shapelens.dims import Dim
from shapelens.ops.registry import Layer
from shapelens.values import ClassV, FunctionV, ModuleV, ObjectV, TensorV, Value

DTYPE_WORDS = {
    "float": "float32", "float32": "float32", "float64": "float64", "double": "float64", "half": "float16",
    "float16": "float16", "bfloat16": "bfloat16", "int": "int64", "int64": "int64", "long": "int64", "int32": "int32",
    "bool": "bool", "uint8": "uint8",
}
JAXTYPING_DTYPES = {
    "Float": "float32", "Float32": "float32", "Float64": "float64", "Float16": "float16", "BFloat16": "bfloat16",
    "Int": "int64", "Int64": "int64", "Int32": "int32", "Integer": "int64", "Long": "int64", "Bool": "bool",
    "UInt8": "uint8", "Shaped": None, "Num": None, "Real": None, "Inexact": None,
}

COMMENT_RE = re.compile(r"#\s*shapes?\s*:\s*(.+)$")
ASSIGN_RE = re.compile(r"(\w+)\s*=\s*\(([^()]*)\)\s*(\w+)?")


@dataclass
class InputSpec:
    shape: tuple[str | int, ...] | None  # None: rank unknown
    dtype: str | None = "float32"
    source: str = "symbolic"  # annotation | comment | docstring | usage | symbolic
    guessed_rank: bool = False  # from a layer that takes any rank (Linear: (B, D) is only a guess)


# Layers whose input may have any number of leading dims: the template's rank is a guess.
RANK_FREE_LAYERS = frozenset("torch.nn." + n for n in (
    "Linear LazyLinear Bilinear Identity Embedding EmbeddingBag LayerNorm RMSNorm Dropout GELU ReLU SiLU Tanh "
    "Sigmoid Softmax LogSoftmax LeakyReLU ELU Mish Hardswish Hardsigmoid GLU MultiheadAttention").split())


def parse_dim_list(text: str) -> tuple[str | int, ...] | None:
    items: list[str | int] = []
    for raw in re.split(r"[,\s]+", text.strip()):
        if not raw:
            continue
        if raw.lstrip("-").isdigit():
            items.append(int(raw))
        elif re.fullmatch(r"[A-Za-z_]\w*", raw):
            items.append(raw)
        elif raw in ("*", "...", "*batch", "#batch"):
            return None
        else:
            return None
    return tuple(items)


def from_comment(lines: list[str], fn: ast.FunctionDef) -> dict[str, InputSpec]:
    """`# shapes: x=(B, 3, 32, 32)` on the line above `def` (or above its decorators), on the
    `def` line or the lines of its signature, or first in the body (after a docstring)."""
    out: dict[str, InputSpec] = {}
    first = min([d.lineno for d in fn.decorator_list] + [fn.lineno])
    candidates = [first - 1, fn.lineno - 1]
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
        body = body[1:]  # the docstring
    candidates += list(range(fn.lineno, (body[0].lineno if body else fn.lineno) + 1))
    for line in candidates:  # 1-based
        if not 1 <= line <= len(lines):
            continue
        m = COMMENT_RE.search(lines[line - 1])
        if m is None:
            continue
        for name, dims, dtype in ASSIGN_RE.findall(m.group(1)):
            out[name] = InputSpec(parse_dim_list(dims), DTYPE_WORDS.get((dtype or "float32").lower(), "float32"), "comment")
        if out:
            return out
    return out


def from_annotation(arg: ast.arg) -> InputSpec | None:
    """jaxtyping `Float[Tensor, "batch 3 h w"]` and torchtyping `TensorType["b", 3, float]`."""
    ann = arg.annotation
    if not isinstance(ann, ast.Subscript):
        return None
    head = ann.value
    head_name = head.attr if isinstance(head, ast.Attribute) else (head.id if isinstance(head, ast.Name) else "")
    sl = ann.slice
    elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
    if head_name in JAXTYPING_DTYPES and len(elts) == 2 and isinstance(elts[1], ast.Constant) and isinstance(elts[1].value, str):
        dims: list[str | int] = []
        for tok in elts[1].value.split():
            tok = tok.strip()
            if tok.isdigit():
                dims.append(int(tok))
            elif re.fullmatch(r"[A-Za-z_]\w*", tok):
                dims.append(tok)
            elif re.fullmatch(r"[A-Za-z_]\w*=\w+", tok):
                dims.append(tok.split("=")[0])
            else:
                return InputSpec(None, JAXTYPING_DTYPES[head_name] or "float32", "annotation")
        return InputSpec(tuple(dims), JAXTYPING_DTYPES[head_name] or "float32", "annotation")
    if head_name == "TensorType":
        dims = []
        dtype = "float32"
        for e in elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                dims.append(e.value)
            elif isinstance(e, ast.Constant) and isinstance(e.value, int):
                dims.append(e.value)
            elif isinstance(e, ast.Name) and e.id in ("float", "int", "bool", "long"):
                dtype = DTYPE_WORDS[e.id]
            elif isinstance(e, ast.Attribute) and e.attr in DTYPE_WORDS:
                dtype = DTYPE_WORDS[e.attr]
            elif isinstance(e, ast.Call) or isinstance(e, ast.Slice):
                return InputSpec(None, dtype, "annotation")
        return InputSpec(tuple(dims), dtype, "annotation")
    return None


SHAPE_SECTION = re.compile(r"^\s*Shapes?\s*:\s*$", re.M)
DOC_INPUT = re.compile(r"^\s*-\s*(?:Input|input|(\w+))\s*(?::|\()\s*:?\s*(?:math:`)?\(([^()`]*)\)", re.M)


def from_docstring(cls_node: ast.ClassDef | None, fn: ast.FunctionDef, params: list[str]) -> dict[str, InputSpec]:
    out: dict[str, InputSpec] = {}
    for node in (fn, cls_node):
        if node is None:
            continue
        doc = ast.get_docstring(node) or ""
        m = SHAPE_SECTION.search(doc)
        if not m:
            continue
        section = doc[m.end():]
        for name, dims in DOC_INPUT.findall(section):
            target = name if name in params else (params[0] if params and not name else None)
            if target is None or target in out:
                continue
            cleaned = re.sub(r"\*|\\text\{[^}]*\}|_\{[^}]*\}|\\", " ", dims)
            shape = parse_dim_list(cleaned)
            if shape is not None:
                out[target] = InputSpec(shape, "float32", "docstring")
        if out:
            return out
    return out


def from_usage(interp, obj: ObjectV, fn: ast.FunctionDef, param: str, depth: int = 0) -> InputSpec | None:
    """Invent an input from how forward uses `param`: unpacked `.shape` names, or the first
    layer it is passed to (Conv2d(3, ...) → (B, 3, H, W)). Unpacked names fix the rank; the
    layer, when there is one, the dtype (an Embedding's indices are int64), else it stays unknown."""
    unpacked: tuple[str, ...] | None = None
    for node in ast.walk(fn):
        # b, c, h, w = x.shape / x.size()
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple):
            v = node.value
            if isinstance(v, ast.Call):
                v = v.func if isinstance(v.func, ast.Attribute) and v.func.attr == "size" and not v.args else v
            if isinstance(v, ast.Attribute) and v.attr in ("shape", "size") and isinstance(v.value, ast.Name) and v.value.id == param:
                names = []
                for e in node.targets[0].elts:
                    if isinstance(e, ast.Name):
                        names.append(e.id.upper() if e.id != "_" else "D")
                    else:
                        return None
                unpacked = tuple(names)
                break
    layer_spec = first_layer_spec(interp, obj, fn, param, depth)
    if unpacked is not None:
        return InputSpec(unpacked, layer_spec.dtype if layer_spec is not None else None, "usage")
    return layer_spec


def first_layer_spec(interp, obj: ObjectV, fn: ast.FunctionDef, param: str, depth: int) -> InputSpec | None:
    for stmt in fn.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Name) and first.id == param):
                continue
            target = _resolve_self_attr(interp, obj, node.func)
            spec = template_of(interp, target, depth)
            if spec is not None:
                return spec
        # Once `x = self.stem(x)` rebinds the parameter, later calls see another tensor.
        if param in bound_names(stmt):
            break
    return None


def bound_names(stmt: ast.stmt) -> set[str]:
    """Names a statement (at any depth) assigns."""
    out: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
    return out


def _resolve_self_attr(interp, obj: ObjectV, func: ast.expr) -> Value | None:
    path: list[str] = []
    index: int | None = None
    while True:
        if isinstance(func, ast.Subscript) and isinstance(func.slice, ast.Constant) and isinstance(func.slice.value, int):
            index = func.slice.value
            func = func.value
            continue
        if isinstance(func, ast.Attribute):
            path.append(func.attr)
            func = func.value
            continue
        break
    if not (isinstance(func, ast.Name) and func.id == "self"):
        return None
    v: Value | None = obj
    for name in reversed(path):
        if isinstance(v, ObjectV):
            v = v.attrs.get(name)
        elif isinstance(v, ModuleV) and v.children is not None:
            v = next((c for n, c in v.children if n == name), None)
        else:
            return None
    if index is not None and isinstance(v, ModuleV) and v.children:
        v = v.children[index][1] if -len(v.children) <= index < len(v.children) else None
    return v


def template_of(interp, m: Value | None, depth: int = 0) -> InputSpec | None:
    if depth > 8 or m is None:
        return None
    if isinstance(m, ModuleV):
        if m.children is not None:
            for _, child in m.children:
                spec = template_of(interp, child, depth + 1)
                if spec is not None:
                    return spec
                if not (isinstance(child, ModuleV) and child.rule is not None and getattr(child.rule, "shape_preserving", False)):
                    return None
            return None
        rule = m.rule
        if isinstance(rule, Layer):
            try:
                tmpl = rule.input_template(m)
            except Exception:
                tmpl = None
            if tmpl is None:
                return None
            dims: list[str | int] = []
            for d in tmpl:
                if isinstance(d, Dim):
                    if d.value is None:
                        return None
                    dims.append(d.value)
                else:
                    dims.append(d)
            return InputSpec(tuple(dims), getattr(rule, "input_dtype", "float32"), "usage",
                             guessed_rank=m.kind in RANK_FREE_LAYERS)
        return None
    if isinstance(m, ObjectV):
        fwd = m.cls.lookup("forward")
        if isinstance(fwd, FunctionV) and isinstance(fwd.node, ast.FunctionDef):
            params = [a.arg for a in fwd.node.args.args[1:]]
            if params:
                return from_usage(interp, m, fwd.node, params[0], depth + 1)
        elif isinstance(m.attrs.get("__layer__"), ModuleV):  # a Sequential subclass without forward
            return template_of(interp, m.attrs["__layer__"], depth + 1)
    return None


def make_tensor(interp, spec: InputSpec, symbols: dict[str, Dim]) -> TensorV:
    if spec.shape is None:
        return TensorV(None, spec.dtype)
    dims: list[Dim] = []
    for d in spec.shape:
        if isinstance(d, int):
            dims.append(Dim.const(d))
        else:
            if d not in symbols:
                symbols[d] = Dim.sym(d)
            dims.append(symbols[d])
    return TensorV(tuple(dims), spec.dtype)


def forward_specs(interp, obj: ObjectV, pf_lines: list[str]) -> tuple[list[str], dict[str, InputSpec]]:
    """Parameter names of forward and the best spec found for each."""
    fwd = obj.cls.lookup("forward")
    if not isinstance(fwd, FunctionV) or not isinstance(fwd.node, ast.FunctionDef):
        return [], {}
    node = fwd.node
    params = [a.arg for a in node.args.args[1:]]
    specs: dict[str, InputSpec] = {}
    for a in node.args.args[1:]:
        s = from_annotation(a) if a.annotation is not None else None
        if s is not None:
            specs[a.arg] = s
    lines = interp.project.parsed(fwd.path).lines if interp.project.parsed(fwd.path) else pf_lines
    for name, s in from_comment(lines, node).items():
        specs.setdefault(name, s)
    cls_node = obj.cls.node if isinstance(obj.cls, ClassV) else None
    for name, s in from_docstring(cls_node, node, params).items():
        specs.setdefault(name, s)
    for p in params[:1]:
        if p not in specs:
            s = from_usage(interp, obj, node, p)
            if s is not None:
                specs[p] = s
    return params, specs
