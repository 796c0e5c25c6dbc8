"""Sorting and selection: sort/argsort/msort, topk, kthvalue — values and int64 indices."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, lt
from shapelens.ops.common import fmt, norm_dim, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.ops.reshape import fresh_layout
from shapelens.values import TensorV, TupleV, as_bool, as_dim


def _pair(shape, dtype) -> TupleV:
    return TupleV((TensorV(shape, dtype), TensorV(shape, "int64")), names=("values", "indices"))


def _sorted_pair(x: TensorV) -> TupleV:
    """sort's values and indices keep the input's dim order (a transposed input stays transposed)."""
    return TupleV((fresh_layout(x.shape, x.dtype, [x]), fresh_layout(x.shape, "int64", [x])), names=("values", "indices"))


@op("torch.sort", "torch.Tensor.sort")
def sort(ctx, input, dim=-1, descending=False, stable=None, *, out=None):
    x = tensor(input)
    if x.shape is not None:
        norm_dim(ctx, dim, len(x.shape))
    return _sorted_pair(x)


@op("torch.argsort", "torch.Tensor.argsort")
def argsort(ctx, input, dim=-1, descending=False, stable=False):
    x = tensor(input)
    if x.shape is not None:
        norm_dim(ctx, dim, len(x.shape))
    return fresh_layout(x.shape, "int64", [x])


@op("torch.msort", "torch.Tensor.msort")
def msort(ctx, input, *, out=None):
    x = tensor(input)
    if x.shape is not None and x.shape:
        norm_dim(ctx, 0, len(x.shape))
    return fresh_layout(x.shape, x.dtype, [x])


@op("torch.topk", "torch.Tensor.topk")
def topk(ctx, input, k, dim=-1, largest=True, sorted=True, *, out=None):
    x = tensor(input)
    kk = as_dim(k)
    if kk is None:
        raise NotUnderstood("k is not known")
    if x.shape is None:
        return _pair(None, x.dtype)
    r = len(x.shape)
    d = norm_dim(ctx, dim, r)
    n = x.shape[d] if r else Dim.const(1)
    if (kk.value is not None and kk.value < 0) or lt(n, kk) is True:
        ctx.fail(codes.INDEX, f"selected index k out of range: topk({kk}) along dim {d} of {ctx.arg_text(0)} with shape {fmt(x.shape)}")
    if not r:
        return _pair((), x.dtype)
    shape = list(x.shape)
    shape[d] = kk
    return _pair(tuple(shape), x.dtype)


@op("torch.kthvalue", "torch.Tensor.kthvalue")
def kthvalue(ctx, input, k, dim=-1, keepdim=False, *, out=None):
    x = tensor(input)
    kk = as_dim(k)
    keep = as_bool(keepdim)
    if kk is None or keep is None:
        raise NotUnderstood("k or keepdim is not known")
    if x.shape is None:
        return _pair(None, x.dtype)
    r = len(x.shape)
    d = norm_dim(ctx, dim, r)
    n = x.shape[d] if r else Dim.const(1)
    if (kk.value is not None and kk.value < 1) or lt(n, kk) is True:
        ctx.fail(codes.INDEX, f"kthvalue(): selected number k out of range for dimension {d}: k = {kk} but "
                              f"{ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if not r:
        return _pair((), x.dtype)
    shape = list(x.shape)
    if keep:
        shape[d] = Dim.const(1)
    else:
        shape.pop(d)
    return _pair(tuple(shape), x.dtype)
