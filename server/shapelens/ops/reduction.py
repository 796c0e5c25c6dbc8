"""Reductions: sum/mean/prod/amax/amin/std/var/norm/logsumexp/any/all with dim (int or tuple)
and keepdim; max/min (values, indices); argmax/argmin; cumulative ops keep the shape."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim
from shapelens.ops.common import norm_dim, same, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, TensorV, TupleV, Value, as_bool, as_const, as_int, as_seq


def _dims(ctx, dim: Value, rank: int) -> list[int] | None:
    """None: reduce all dims."""
    if dim is None or (isinstance(dim, Const) and dim.value is None):
        return None
    seq = as_seq(dim)
    raw = [as_int(v) for v in seq] if seq is not None else [as_int(dim)]
    if any(d is None for d in raw):
        raise NotUnderstood("dim is not known")
    if seq is not None and not raw:
        return None
    out = [norm_dim(ctx, d, rank) for d in raw]  # type: ignore[arg-type]
    if len(set(out)) != len(out):
        ctx.fail(codes.DIM_RANGE, f"dim {out} appears multiple times in the list of dims")
    return out


def reduce_shape(ctx, x: TensorV, dim: Value, keepdim: Value, dtype: str | None) -> TensorV:
    if x.shape is None:
        return TensorV(None, dtype)
    keep = as_bool(keepdim)
    if keep is None:
        raise NotUnderstood("keepdim is not known")
    dims = _dims(ctx, dim, len(x.shape))
    if dims is None:
        return TensorV(tuple(Dim.const(1) for _ in x.shape) if keep else (), dtype)
    out = []
    for i, d in enumerate(x.shape):
        if i in dims:
            if keep:
                out.append(Dim.const(1))
        else:
            out.append(d)
    return TensorV(tuple(out), dtype)


def _float(x: TensorV) -> str | None:
    return x.dtype if x.is_float else ("float32" if x.dtype else None)


@op("torch.sum", "torch.Tensor.sum", "torch.nansum", "torch.Tensor.nansum")
def sum_(ctx, input, dim=None, keepdim=False, *, dtype=None):
    x = tensor(input)
    dt = "int64" if x.is_integer else x.dtype
    return reduce_shape(ctx, x, dim, keepdim, dt)


@op("torch.mean", "torch.Tensor.mean", "torch.nanmean", "torch.Tensor.nanmean")
def mean(ctx, input, dim=None, keepdim=False, *, dtype=None):
    x = tensor(input)
    return reduce_shape(ctx, x, dim, keepdim, x.dtype)


@op("torch.prod", "torch.Tensor.prod")
def prod_(ctx, input, dim=None, keepdim=False, *, dtype=None):
    x = tensor(input)
    if dim is not None and as_seq(dim) is not None:
        raise NotUnderstood("prod takes a single dim")
    return reduce_shape(ctx, x, dim, keepdim, "int64" if x.is_integer else x.dtype)


@op("torch.amax", "torch.Tensor.amax", "torch.amin", "torch.Tensor.amin", "torch.logsumexp", "torch.Tensor.logsumexp")
def amax(ctx, input, dim=(), keepdim=False):
    x = tensor(input)
    return reduce_shape(ctx, x, dim, keepdim, x.dtype)


@op("torch.std", "torch.Tensor.std", "torch.var", "torch.Tensor.var")
def std(ctx, input, dim=None, *args, keepdim=False, correction=None, unbiased=None):
    x = tensor(input)
    if isinstance(dim, Const) and isinstance(dim.value, bool):
        return reduce_shape(ctx, x, None, Const(False), x.dtype)  # std(unbiased)
    if args:
        keepdim = args[-1] if len(args) >= 1 and isinstance(args[-1], Const) and isinstance(args[-1].value, bool) and len(args) == 2 else keepdim
    return reduce_shape(ctx, x, dim, keepdim, x.dtype)


@op("torch.any", "torch.Tensor.any", "torch.all", "torch.Tensor.all")
def any_(ctx, input, dim=None, keepdim=False):
    return reduce_shape(ctx, tensor(input), dim, keepdim, "bool")


@op("torch.norm", "torch.Tensor.norm")
def norm(ctx, input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    x = tensor(input)
    return reduce_shape(ctx, x, dim, keepdim, x.dtype)


def _values_indices(ctx, x: TensorV, dim: Value, keepdim: Value) -> Value:
    if dim is None or (isinstance(dim, Const) and dim.value is None):
        return TensorV((), x.dtype)
    if isinstance(dim, TensorV):
        raise NotUnderstood("elementwise max/min of two tensors")
    vals = reduce_shape(ctx, x, dim, keepdim, x.dtype)
    return TupleV((vals, TensorV(vals.shape, "int64")))


@op("torch.max", "torch.Tensor.max", "torch.min", "torch.Tensor.min", "torch.median", "torch.Tensor.median",
    "torch.mode", "torch.Tensor.mode")
def max_(ctx, input, dim=None, keepdim=False):
    x = tensor(input)
    if isinstance(dim, TensorV):
        from shapelens.ops.elementwise import binary

        return binary(ctx, x, dim, "maximum")
    return _values_indices(ctx, x, dim, keepdim)


@op("torch.argmax", "torch.Tensor.argmax", "torch.argmin", "torch.Tensor.argmin")
def argmax(ctx, input, dim=None, keepdim=False):
    x = tensor(input)
    if dim is None or (isinstance(dim, Const) and dim.value is None):
        return TensorV(tuple(Dim.const(1) for _ in x.shape) if (x.shape is not None and as_bool(keepdim)) else (), "int64") if x.shape is not None else TensorV(None, "int64")
    return reduce_shape(ctx, x, dim, keepdim, "int64")


@op("torch.cumsum", "torch.Tensor.cumsum", "torch.cumprod", "torch.Tensor.cumprod", "torch.logcumsumexp",
    "torch.Tensor.logcumsumexp", "torch.cummax", "torch.cummin")
def cumsum(ctx, input, dim, *, dtype=None):
    x = tensor(input)
    if x.shape is not None:
        norm_dim(ctx, dim, len(x.shape))
    return same(x)
