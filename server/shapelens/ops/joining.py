"""Joining: cat/concat/concatenate and stack."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, dsum, eq
from shapelens.ops.common import fmt, norm_dim
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, Value, as_int, as_seq


def _tensors(tensors: Value, name: str) -> list[TensorV]:
    seq = as_seq(tensors)
    if seq is None:
        raise NotUnderstood(f"{name}: the list of tensors is not known")
    if not all(isinstance(t, TensorV) for t in seq):
        raise NotUnderstood(f"{name}: not every element is a known tensor")
    return seq  # type: ignore[return-value]


def _dtype(ts: list[TensorV]) -> str | None:
    dtypes = {t.dtype for t in ts}
    return dtypes.pop() if len(dtypes) == 1 else None


@op("torch.cat", "torch.concat", "torch.concatenate")
def cat(ctx, tensors, dim=0, *, out=None, axis=None):
    ts = _tensors(tensors, "cat")
    if axis is not None and as_int(axis) is not None:
        dim = axis
    if not ts:
        ctx.fail(codes.CONCAT, "torch.cat(): expected a non-empty list of Tensors")
    # Legacy: 1-D empty tensors are skipped by cat.
    ts = [t for t in ts if not (t.shape is not None and len(t.shape) == 1 and eq(t.shape[0], 0) is True)] or ts
    if any(t.shape is None for t in ts):
        ranks = {len(t.shape) for t in ts if t.shape is not None}
        return TensorV(None, _dtype(ts))
    r = len(ts[0].shape)  # type: ignore[arg-type]
    if r == 0:
        ctx.fail(codes.CONCAT, "zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(ctx, dim, r)
    for i, t in enumerate(ts[1:], 1):
        if len(t.shape) != r:  # type: ignore[arg-type]
            ctx.fail(codes.CONCAT, f"Tensors must have same number of dimensions: got {r} and {len(t.shape)} "  # type: ignore[arg-type]
                                   f"(shapes {fmt(ts[0].shape)} and {fmt(t.shape)})")
    out = list(ts[0].shape)  # type: ignore[arg-type]
    for i, t in enumerate(ts[1:], 1):
        for k in range(r):
            if k == d:
                continue
            a, b = out[k], t.shape[k]  # type: ignore[index]
            ctx.require_eq(b, a, codes.CONCAT, lambda a=a, b=b, i=i, k=k, t=t: (
                f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got size {b} for tensor number {i} "
                f"in the list (shapes {fmt(ts[0].shape)} and {fmt(t.shape)})"))
    out[d] = dsum(t.shape[d] for t in ts)  # type: ignore[index]
    return TensorV(tuple(out), _dtype(ts))


@op("torch.stack")
def stack(ctx, tensors, dim=0, *, out=None):
    ts = _tensors(tensors, "stack")
    if not ts:
        ctx.fail(codes.CONCAT, "stack expects a non-empty TensorList")
    if any(t.shape is None for t in ts):
        return TensorV(None, _dtype(ts))
    first = ts[0].shape
    for i, t in enumerate(ts[1:], 1):
        msg = lambda i=i, t=t: f"stack expects each tensor to be equal size, but got {fmt(first)} at entry 0 and {fmt(t.shape)} at entry {i}"
        if len(t.shape) != len(first):  # type: ignore[arg-type]
            ctx.fail(codes.CONCAT, msg())
        for a, b in zip(first, t.shape):  # type: ignore[arg-type]
            ctx.require_eq(b, a, codes.CONCAT, msg)
    d = norm_dim(ctx, dim, len(first) + 1)  # type: ignore[arg-type]
    shape = list(first)  # type: ignore[arg-type]
    shape.insert(d, Dim.const(len(ts)))
    return TensorV(tuple(shape), _dtype(ts))
