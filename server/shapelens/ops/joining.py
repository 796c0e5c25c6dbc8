"""Joining: cat/concat/concatenate, stack, hstack/vstack/row_stack/dstack/column_stack, atleast_Nd."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, dsum, eq, prod
from shapelens.ops.common import fmt, norm_dim, tensor
from shapelens.ops.elementwise import promote
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, TupleV, Value, as_int, as_seq


def _tensors(tensors: Value, name: str) -> list[TensorV]:
    seq = as_seq(tensors)
    if seq is None:
        raise NotUnderstood(f"{name}: the list of tensors is not known")
    if not all(isinstance(t, TensorV) for t in seq):
        raise NotUnderstood(f"{name}: not every element is a known tensor")
    return seq  # type: ignore[return-value]


def _dtype(ts: list[TensorV]) -> str | None:
    dt: str | None = ts[0].dtype if ts else None
    for t in ts[1:]:
        dt = promote(dt, t.dtype)
    return dt


def _legacy_empty(t: TensorV) -> bool:
    return t.shape is not None and len(t.shape) == 1 and eq(t.shape[0], 0) is True


def cat_shapes(ctx, ts: list[TensorV], dim: Value | int, name: str = "torch.cat") -> TensorV:
    if not ts:
        ctx.fail(codes.CONCAT, f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(ts):
        if t.shape is not None and len(t.shape) == 0:
            ctx.fail(codes.CONCAT, f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = _dtype(ts)
    # Legacy behaviour: 1-D tensors of size 0 are skipped.
    kept = [(i, t) for i, t in enumerate(ts) if not _legacy_empty(t)]
    if any(t.shape is None for _, t in kept):
        return TensorV(None, dtype)
    if not kept:  # only legacy empties: torch checks no dim
        if not isinstance(dim, int) and as_int(dim) is None:
            raise NotUnderstood("dim is not known")
        return TensorV((Dim.const(0),), dtype)
    i0, first = kept[0]
    r = len(first.shape)  # type: ignore[arg-type]
    d = norm_dim(ctx, dim, r)
    for i, t in kept[1:]:
        if len(t.shape) != r:  # type: ignore[arg-type]
            ctx.fail(codes.CONCAT, f"Tensors must have same number of dimensions: got {r} and {len(t.shape)} "  # type: ignore[arg-type]
                                   f"(tensor {i0} has shape {fmt(first.shape)}, tensor {i} {fmt(t.shape)})")
    out = list(first.shape)  # type: ignore[arg-type]
    for i, t in kept[1:]:
        for k in range(r):
            if k == d:
                continue
            a, b = out[k], t.shape[k]  # type: ignore[index]
            ctx.require_eq(b, a, codes.CONCAT, lambda a=a, b=b, i=i, t=t: (
                f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got size {b} for tensor number {i} "
                f"in the list (shapes {fmt(first.shape)} and {fmt(t.shape)})"))
    out[d] = dsum(t.shape[d] for _, t in kept)  # type: ignore[index]
    return TensorV(tuple(out), dtype)


@op("torch.cat", "torch.concat", "torch.concatenate")
def cat(ctx, tensors, dim=0, *, out=None, axis=None):
    ts = _tensors(tensors, "cat")
    if axis is not None:
        dim = axis
    return cat_shapes(ctx, ts, dim)


@op("torch.stack")
def stack(ctx, tensors, dim=0, *, out=None):
    ts = _tensors(tensors, "stack")
    if not ts:
        ctx.fail(codes.CONCAT, "stack expects a non-empty TensorList")
    dtype = _dtype(ts)
    if any(t.shape is None for t in ts):
        return TensorV(None, dtype)
    first = ts[0].shape
    d = norm_dim(ctx, dim, len(first) + 1)  # type: ignore[arg-type]
    for i, t in enumerate(ts[1:], 1):
        msg = lambda i=i, t=t: f"stack expects each tensor to be equal size, but got {fmt(first)} at entry 0 and {fmt(t.shape)} at entry {i}"
        if len(t.shape) != len(first):  # type: ignore[arg-type]
            ctx.fail(codes.CONCAT, msg())
        for a, b in zip(first, t.shape):  # type: ignore[arg-type]
            ctx.require_eq(b, a, codes.CONCAT, msg)
    shape = list(first)  # type: ignore[arg-type]
    shape.insert(d, Dim.const(len(ts)))
    return TensorV(tuple(shape), dtype)


def atleast(t: TensorV, n: int) -> TensorV:
    if t.shape is None:
        return t
    s = tuple(t.shape)
    one = Dim.const(1)
    if len(s) >= n:
        return t
    if n == 1:
        s = (one,)
    elif n == 2:
        s = (one,) * (2 - len(s)) + s
    else:
        s = {0: (one, one, one), 1: (one,) + s + (one,), 2: s + (one,)}[len(s)]
    return TensorV(s, t.dtype)


def _atleast(n: int):
    def rule(ctx, *tensors):
        if len(tensors) == 1 and as_seq(tensors[0]) is not None:
            return TupleV(tuple(atleast(tensor(t), n) for t in as_seq(tensors[0])))  # type: ignore[union-attr]
        if len(tensors) == 1:
            return atleast(tensor(tensors[0]), n)
        return TupleV(tuple(atleast(tensor(t), n) for t in tensors))

    return rule


for _n in (1, 2, 3):
    op(f"torch.atleast_{_n}d")(_atleast(_n))


@op("torch.hstack")
def hstack(ctx, tensors, *, out=None):
    ts = [atleast(t, 1) for t in _tensors(tensors, "hstack")]
    if not ts:
        ctx.fail(codes.CONCAT, "hstack expects a non-empty TensorList")
    if ts[0].shape is None:
        return TensorV(None, _dtype(ts))
    return cat_shapes(ctx, ts, 0 if len(ts[0].shape) == 1 else 1, "hstack")


@op("torch.vstack", "torch.row_stack")
def vstack(ctx, tensors, *, out=None):
    ts = [atleast(t, 2) for t in _tensors(tensors, "vstack")]
    if not ts:
        ctx.fail(codes.CONCAT, "vstack expects a non-empty TensorList")
    return cat_shapes(ctx, ts, 0, "vstack")


@op("torch.dstack")
def dstack(ctx, tensors, *, out=None):
    ts = [atleast(t, 3) for t in _tensors(tensors, "dstack")]
    if not ts:
        ctx.fail(codes.CONCAT, "dstack expects a non-empty TensorList")
    return cat_shapes(ctx, ts, 2, "dstack")


@op("torch.column_stack")
def column_stack(ctx, tensors, *, out=None):
    ts = _tensors(tensors, "column_stack")
    if not ts:
        ctx.fail(codes.CONCAT, "column_stack expects a non-empty TensorList")
    cols = [TensorV((prod(t.shape), Dim.const(1)), t.dtype) if t.shape is not None and len(t.shape) <= 1 else t for t in ts]
    return cat_shapes(ctx, cols, 1, "column_stack")
