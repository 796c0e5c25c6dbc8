"""einops.rearrange / reduce / repeat: the pattern language (axis names, parenthesised groups,
`...`, anonymous axes `1` and `()`, numbers on repeat's right side) and axis-length keywords,
following einops' own recipe checks so that an error is reported exactly where einops raises."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapelens import findings as codes
from shapelens.dims import Dim, eq, prod
from shapelens.ops.common import fmt, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, TensorV, Value, as_dim

ELL = "…"


@dataclass
class Side:
    # Each element: an axis name, an int (anonymous axis), ELL, or a list of those (a group).
    elems: list = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    has_ellipsis: bool = False
    ellipsis_in_group: bool = False


class PatternError(Exception):
    pass


def _check_name(name: str) -> None:
    if not name.isidentifier():
        raise PatternError(f"Invalid axis identifier: {name}")
    if name[0] == "_" or name[-1] == "_":
        raise PatternError(f"Invalid axis identifier: {name} (axis name should not start or end with underscore)")


def parse_side(text: str) -> Side:
    side = Side()
    text = text.replace("...", f" {ELL} ")
    group: list | None = None
    token = ""

    def flush() -> None:
        nonlocal token
        if not token:
            return
        if token == ELL:
            if side.has_ellipsis:
                raise PatternError("Expression may contain dots only inside ellipsis (...); only one ellipsis per side")
            side.has_ellipsis = True
            item: object = ELL
            if group is not None:
                side.ellipsis_in_group = True
        elif token.isdecimal():
            item = int(token)
        else:
            _check_name(token)
            if token in side.names:
                raise PatternError(f"Indexing expression contains duplicate dimension \"{token}\"")
            side.names.append(token)
            item = token
        (group if group is not None else side.elems).append(item)
        token = ""

    for c in text:
        if c in " \t":
            flush()
        elif c == "(":
            flush()
            if group is not None:
                raise PatternError("Axis composition is one-level (brackets inside brackets not allowed)")
            group = []
        elif c == ")":
            flush()
            if group is None:
                raise PatternError("Brackets are not balanced")
            side.elems.append(group)
            group = None
        elif c == ".":
            raise PatternError("Expression may contain dots only inside ellipsis (...)")
        else:
            token += c
    flush()
    if group is not None:
        raise PatternError("Imbalanced parentheses in expression")
    return side


def _members(e) -> list:
    return e if isinstance(e, list) else [e]


def einops_shape(ctx, x: TensorV, pattern: str, kind: str, lengths: dict[str, Value]) -> TensorV:
    if "->" not in pattern:
        raise PatternError("Pattern should contain '->'")
    lt, rt = pattern.split("->", 1)
    left, right = parse_side(lt), parse_side(rt)
    if left.ellipsis_in_group:
        raise PatternError("Ellipsis inside parenthesis in the left side is not allowed")
    if not left.has_ellipsis and right.has_ellipsis:
        raise PatternError("Ellipsis found in right side, but not left side of a pattern")
    lnames, rnames = set(left.names), set(right.names)
    anon_l = [a for e in left.elems for a in _members(e) if isinstance(a, int)]
    anon_r = [a for e in right.elems for a in _members(e) if isinstance(a, int)]
    if kind == "rearrange":
        if any(a != 1 for a in anon_l + anon_r):
            raise PatternError("Non-unitary anonymous axes are not supported in rearrange (exception is length 1)")
        diff = lnames ^ rnames
        if left.has_ellipsis != right.has_ellipsis:
            diff = diff | {"..."}
        if diff:
            raise PatternError(f"Identifiers only on one side of expression (should be on both): {sorted(diff)}")
    elif kind == "repeat":
        if any(a != 1 for a in anon_l):
            raise PatternError("Non-unitary anonymous axes are not supported on the left side of repeat")
        if lnames - rnames or (left.has_ellipsis and not right.has_ellipsis):
            raise PatternError(f"Unexpected identifiers on the left side of repeat: {sorted(lnames - rnames)}")
        missing = sorted(n for n in rnames - lnames if n not in lengths)
        if missing:
            raise PatternError(f"Specify sizes for new axes in repeat: {missing}")
    else:  # reduce
        if rnames - lnames:
            raise PatternError(f"Unexpected identifiers on the right side of reduce: {sorted(rnames - lnames)}")
        if any(a != 1 for a in anon_r):
            raise PatternError("Non-unitary anonymous axes are not supported on the right side of reduce")
    for n in lengths:
        if n not in lnames | rnames:
            raise PatternError(f"Axis {n} is not used in transform")
    known: dict[str, Dim] = {}
    for n, v in lengths.items():
        d = as_dim(v)
        if d is None:
            raise NotUnderstood(f"the length of axis {n} is not known")
        known[n] = d
    if x.shape is None:
        raise NotUnderstood("rank unknown")
    shape = list(x.shape)
    n_elems = len(left.elems)
    if left.has_ellipsis:
        if len(shape) < n_elems - 1:
            raise PatternError(f"Wrong shape: expected >={n_elems - 1} dims. Received {len(shape)}-dim tensor.")
        ell_n = len(shape) - (n_elems - 1)
    else:
        if len(shape) != n_elems:
            raise PatternError(f"Wrong shape: expected {n_elems} dims. Received {len(shape)}-dim tensor.")
        ell_n = 0
    ell_dims: list[Dim] = []
    pos = 0
    for e in left.elems:
        if e == ELL:
            ell_dims = shape[pos:pos + ell_n]
            pos += ell_n
            continue
        d = shape[pos]
        pos += 1
        members = _members(e)
        unknown = [m for m in members if isinstance(m, str) and m not in known]
        fixed = prod(Dim.const(m) if isinstance(m, int) else known[m] for m in members if not (isinstance(m, str) and m not in known))
        if len(unknown) > 1:
            raise PatternError(f"Could not infer sizes for {set(unknown)}")
        if not unknown:
            r = eq(fixed, d)
            if r is False:
                raise PatternError(f"Shape mismatch, {d} != {fixed}")
            if r is None:
                ctx.require_eq(d, fixed, codes.RESHAPE, lambda d=d, fixed=fixed: f"einops {kind}: shape mismatch, {d} != {fixed} in '{pattern}'")
            continue
        q = d.exact_div(fixed) if eq(fixed, 0) is not True else None
        if q is None:
            if d.value is not None and fixed.value is not None:
                if fixed.value == 0 or d.value % fixed.value:
                    raise PatternError(f"Shape mismatch, can't divide axis of length {d} in chunks of {fixed}")
                q = Dim.const(d.value // fixed.value)
            elif d.is_known and fixed.is_known and fixed.value is not None and fixed.value > 0:
                # einops checks divisibility, so the floor division is exact whenever it runs.
                q = d // fixed
                ctx.require_eq(q * fixed, d, codes.RESHAPE, lambda d=d, fixed=fixed: (
                    f"einops {kind}: can't divide axis of length {d} in chunks of {fixed} in '{pattern}'"))
            else:
                q = ctx.unknown_dim(f"einops axis {unknown[0]}")
        known[unknown[0]] = q
    out: list[Dim] = []
    for e in right.elems:
        if e == ELL:
            out.extend(ell_dims)
            continue
        if isinstance(e, list) and ELL in e:
            out.append(prod([m for m in ell_dims] + [known[m] if isinstance(m, str) else Dim.const(m) for m in e if m != ELL]))
            continue
        out.append(prod(known[m] if isinstance(m, str) else Dim.const(m) for m in _members(e)))
    return TensorV(tuple(out), x.dtype)


def _reduces_something(pattern: str, rank: int | None) -> bool:
    lt, _, rt = pattern.partition("->")
    left, right = parse_side(lt), parse_side(rt)
    anon = any(isinstance(a, int) and a != 1 for e in left.elems for a in _members(e))  # a `1` is reshaped away
    ell_dims = None if rank is None else rank - (len(left.elems) - 1)
    ell_reduced = left.has_ellipsis and not right.has_ellipsis and ell_dims != 0  # an empty ellipsis reduces nothing
    return bool(set(left.names) - set(right.names)) or anon or ell_reduced


def _run(ctx, kind: str, tensor_: Value, pattern: Value, lengths: dict[str, Value], reduction: Value | None = None) -> TensorV:
    x = tensor(tensor_)
    if not (isinstance(pattern, Const) and isinstance(pattern.value, str)):
        raise NotUnderstood("the pattern is not a known string")
    try:
        out = einops_shape(ctx, x, pattern.value, kind, lengths)
    except PatternError as e:
        ctx.fail(codes.RESHAPE, f"einops.{kind}('{pattern.value}') on {ctx.arg_text(0)} of shape {fmt(x.shape)}: {e}")
    # einops calls torch's mean only when some axis is reduced; torch's mean rejects integers.
    if kind == "reduce" and isinstance(reduction, Const) and reduction.value == "mean" and x.dtype is not None \
            and not x.is_float and _reduces_something(pattern.value, x.rank):
        ctx.fail(codes.DTYPE, f"einops.reduce with 'mean' needs a floating point tensor, but {ctx.arg_text(0)} is {x.dtype}")
    return out


@op("einops.rearrange")
def rearrange(ctx, tensor, pattern, **axes_lengths):
    return _run(ctx, "rearrange", tensor, pattern, axes_lengths)


@op("einops.repeat")
def repeat(ctx, tensor, pattern, **axes_lengths):
    return _run(ctx, "repeat", tensor, pattern, axes_lengths)


@op("einops.reduce")
def reduce(ctx, tensor, pattern, reduction, **axes_lengths):
    if not (isinstance(reduction, Const) and reduction.value in ("min", "max", "sum", "mean", "prod", "any", "all")):
        raise NotUnderstood("reduction is not a known einops reduction")
    return _run(ctx, "reduce", tensor, pattern, axes_lengths, reduction)
