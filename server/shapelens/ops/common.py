"""Helpers shared by the shape rules: argument coercion, dim normalisation, broadcasting,
and the wording of messages (shapes are always printed the way torch users read them)."""

from __future__ import annotations

from typing import Iterable, Sequence

from shapelens import findings as codes
from shapelens.dims import Dim, eq, fmt_shape, prod
from shapelens.ops.registry import NotUnderstood, OpContext
from shapelens.values import (
    MISSING,
    UNKNOWN,
    Const,
    IntV,
    ListV,
    ModuleV,
    Shape,
    TensorV,
    TupleV,
    Value,
    as_const,
    as_dim,
    as_dims,
    as_int,
    as_seq,
)


def fmt(shape: Shape | None) -> str:
    return fmt_shape(shape)


def tensor(v: Value | None, what: str = "input") -> TensorV:
    """The argument as a tensor; anything else is outside the rule's model."""
    if isinstance(v, TensorV):
        return v
    if isinstance(v, IntV) or (isinstance(v, Const) and isinstance(v.value, (int, float, bool))):
        raise NotUnderstood(f"{what} is a number, not a tensor")
    raise NotUnderstood(f"{what} is not a known tensor")


def maybe_tensor(v: Value | None) -> TensorV | None:
    return v if isinstance(v, TensorV) else None


def unknown_tensor(dtype: str | None = None) -> TensorV:
    return TensorV(None, dtype)


def new(shape: Iterable[Dim] | None, dtype: str | None = "float32", like: TensorV | None = None) -> TensorV:
    if like is not None and dtype == "float32" and like.dtype is not None:
        dtype = like.dtype
    return TensorV(None if shape is None else tuple(shape), dtype)


def same(t: TensorV, dtype: str | None = None) -> TensorV:
    return TensorV(t.shape, dtype or t.dtype, contiguous=t.contiguous)


def norm_dim(ctx: OpContext, dim: Value | int | None, rank: int, what: str = "dim") -> int:
    """A dim argument as a non-negative index, with torch's range check and message."""
    d = dim if isinstance(dim, int) else as_int(dim)
    if d is None:
        raise NotUnderstood(f"{what} is not a known integer")
    lo, hi = (-1, 0) if rank == 0 else (-rank, rank - 1)
    if not lo <= d <= hi:
        ctx.fail(
            codes.DIM_RANGE,
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d}) for a tensor of rank {rank}",
        )
    return d + rank if d < 0 and rank else (0 if rank == 0 else d)


def dims_arg(v: Value | None) -> list[Value] | None:
    """A `*size` style argument: either varargs already unpacked or one tuple/list/Size."""
    return as_seq(v)


def size_from_args(args: Sequence[Value]) -> list[Dim | None] | None:
    """Sizes given as varargs (`zeros(2, 3)`) or a single sequence (`zeros((2, 3))`, `x.shape`)."""
    if len(args) == 1 and as_seq(args[0]) is not None:
        return as_dims(args[0])
    out: list[Dim | None] = []
    for a in args:
        d = as_dim(a)
        if d is None and as_seq(a) is not None:
            return None
        out.append(d)
    return out


def dims_or_unknown(ctx: OpContext, ds: Iterable[Dim | None]) -> tuple[Dim, ...]:
    return tuple(d if d is not None else ctx.unknown_dim() for d in ds)


def broadcast_shapes(ctx: OpContext, a: Shape, b: Shape, what: str = "") -> Shape:
    """torch's broadcasting of two shapes, with its error message on a mismatch."""
    n = max(len(a), len(b))
    pa = (Dim.const(1),) * (n - len(a)) + tuple(a)
    pb = (Dim.const(1),) * (n - len(b)) + tuple(b)
    out: list[Dim] = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if eq(x, y) is True:
            out.append(x)
        elif eq(x, 1) is True:
            out.append(y)
        elif eq(y, 1) is True:
            out.append(x)
        elif eq(x, y) is False and eq(x, 1) is False and eq(y, 1) is False:
            ctx.fail(
                codes.BROADCAST,
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
                + (f": {what}" if what else f": shapes {fmt(a)} and {fmt(b)}"),
            )
        elif x.is_known and y.is_known and not (eq(x, 1) is None or eq(y, 1) is None):
            # x == y is possible and neither can be 1: torch needs them equal.
            ctx.require_eq(x, y, codes.BROADCAST, lambda: f"broadcasting {fmt(a)} with {fmt(b)}")
            out.append(x)
        else:
            out.append(ctx.unknown_dim("broadcast of unrelated sizes"))
    return tuple(out)


def numel(shape: Shape) -> Dim:
    return prod(shape)


def const_value(v: Value | None, default=None):
    """The Python value of a known constant argument, else `default`."""
    c = as_const(v)
    return default if c is MISSING else c


def int_list(v: Value | None) -> list[int] | None:
    """A tuple/list of concrete ints, or None."""
    seq = as_seq(v)
    if seq is None:
        i = as_int(v)
        return None if i is None else [i]
    out = []
    for x in seq:
        i = as_int(x)
        if i is None:
            return None
        out.append(i)
    return out


def tuple_of(values: Iterable[Value]) -> TupleV:
    return TupleV(tuple(values))


def module_label(ctx: OpContext) -> str:
    m = ctx.module
    return m.label() if isinstance(m, ModuleV) else "this layer"


def arg_value(m: ModuleV, name: str) -> Value:
    return m.args.get(name, UNKNOWN)


def arg_dim(m: ModuleV, name: str) -> Dim | None:
    return as_dim(m.args.get(name))


def arg_int(m: ModuleV, name: str) -> int | None:
    return as_int(m.args.get(name))


def arg_const(m: ModuleV, name: str, default=None):
    return const_value(m.args.get(name), default)


def is_list(v: Value) -> bool:
    return isinstance(v, (ListV, TupleV))
