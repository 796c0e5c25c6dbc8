"""Reductions: sum/mean/prod/amax/amin/std/var/norm/logsumexp/any/all/count_nonzero with dim
(int or tuple) and keepdim; max/min/median/mode (values, indices) and elementwise max(a, b);
argmax/argmin; std_mean/var_mean/aminmax pairs; vector and matrix norms; cumulative ops."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, prod
from shapelens.ops.common import fmt, norm_dim, tensor
from shapelens.ops.elementwise import dtype_from
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, IntV, TensorV, TorchRef, TupleV, Value, as_bool, as_const, as_int, as_seq

_INTEGRAL = ("bool", "uint8", "int8", "int16", "int32", "int64")


def _dims(ctx, dim: Value | None, rank: int, empty_is_all: bool = True) -> list[int] | None:
    """The reduced dims as indices; None: reduce all."""
    if dim is None:
        return None
    seq = as_seq(dim)
    raw = [as_int(v) for v in seq] if seq is not None else [as_int(dim)]
    if any(d is None for d in raw):
        raise NotUnderstood("dim is not known")
    if seq is not None and not raw:
        return None if empty_is_all else []
    out = [norm_dim(ctx, d, rank) for d in raw]  # type: ignore[arg-type]
    if len(set(out)) != len(out):
        dup = next(d for d in out if out.count(d) > 1)
        ctx.fail(codes.DIM_RANGE, f"dim {dup} appears multiple times in the list of dims")
    return out


def reduce_shape(ctx, x: TensorV, dim: Value | None, keepdim: Value | bool | None, dtype: str | None,
                 empty_error: str | None = None, empty_is_all: bool = True) -> TensorV:
    """The reduced tensor. `empty_error` names an op without an identity (max, argmax...): torch
    rejects reducing a dim of size 0 with it."""
    if x.shape is None:
        return TensorV(None, dtype)
    keep = keepdim if isinstance(keepdim, bool) else (False if keepdim is None else as_bool(keepdim))
    if keep is None:
        raise NotUnderstood("keepdim is not known")
    dims = _dims(ctx, dim, len(x.shape), empty_is_all)
    if empty_error is not None:
        reduced = x.shape if dims is None else [x.shape[i] for i in dims if i < len(x.shape)]
        if dims is None and eq(prod(x.shape), 0) is True:
            ctx.fail(codes.INVALID_ARG, f"{empty_error}(): Expected reduction dim to be specified for input.numel() == 0: "
                                        f"{ctx.arg_text(0)} has shape {fmt(x.shape)}")
        if dims is not None and any(eq(d, 0) is True for d in reduced):
            ctx.fail(codes.INVALID_ARG, f"cannot perform reduction function {empty_error} on tensor with no elements because the "
                                        f"operation does not have an identity: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
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


def _nonempty(x: TensorV) -> bool:
    return x.shape is not None and eq(prod(x.shape), 0) is False


def _out_dtype(dtype: Value | None, default: str | None) -> str | None:
    return dtype_from(dtype) if dtype is not None else default


@op("torch.sum", "torch.Tensor.sum", "torch.nansum", "torch.Tensor.nansum")
def sum_(ctx, input, dim=None, keepdim=False, *, dtype=None, out=None):
    x = tensor(input)
    return reduce_shape(ctx, x, dim, keepdim, _out_dtype(dtype, "int64" if x.dtype in _INTEGRAL else x.dtype))


@op("torch.mean", "torch.Tensor.mean", "torch.nanmean", "torch.Tensor.nanmean")
def mean(ctx, input, dim=None, keepdim=False, *, dtype=None, out=None):
    x = tensor(input)
    if dtype is None and x.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                              f"dtype. Got: {x.dtype} ({ctx.arg_text(0)})")
    return reduce_shape(ctx, x, dim, keepdim, _out_dtype(dtype, x.dtype))


@op("torch.prod", "torch.Tensor.prod")
def prod_(ctx, input, dim=None, keepdim=False, *, dtype=None, out=None):
    x = tensor(input)
    if dim is not None and as_seq(dim) is not None:
        ctx.fail(codes.ARGUMENTS, "prod(): argument 'dim' must be an int, not a tuple")
    return reduce_shape(ctx, x, dim, keepdim, _out_dtype(dtype, "int64" if x.dtype in _INTEGRAL else x.dtype))


@op("torch.amax", "torch.Tensor.amax", "torch.amin", "torch.Tensor.amin")
def amax(ctx, input, dim=(), keepdim=False, *, out=None):
    x = tensor(input)
    return reduce_shape(ctx, x, dim, keepdim, x.dtype, empty_error="amax")


@op("torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp")
def logsumexp(ctx, input, dim=None, keepdim=False, *, out=None):
    x = tensor(input)
    if dim is None:
        ctx.fail(codes.ARGUMENTS, "logsumexp() missing 1 required positional argument: \"dim\"")
    if as_seq(dim) == []:
        # CPU raises for most inputs, the meta kernel reduces nothing: not modelled.
        raise NotUnderstood("logsumexp over an empty dim list")
    return reduce_shape(ctx, x, dim, keepdim, x.dtype if x.dtype not in _INTEGRAL else "float32")


def _std_args(ctx, x: TensorV, dim, args, keepdim, correction, unbiased):
    """std(dim, unbiased, keepdim) | std(unbiased) | std(dim, *, correction, keepdim)."""
    if isinstance(dim, Const) and isinstance(dim.value, bool):  # std(unbiased)
        return None, False
    if len(args) > 2:
        raise NotUnderstood("std arguments")
    if len(args) == 2:
        keepdim = args[1]
    if x.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"std and var only support floating point and complex dtypes, but {ctx.arg_text(0)} is {x.dtype}")
    return dim, keepdim


@op("torch.std", "torch.Tensor.std", "torch.var", "torch.Tensor.var")
def std(ctx, input, dim=None, *args, keepdim=False, correction=None, unbiased=None, out=None):
    x = tensor(input)
    d, k = _std_args(ctx, x, dim, args, keepdim, correction, unbiased)
    return reduce_shape(ctx, x, d, k, x.dtype)


@op("torch.std_mean", "torch.var_mean")
def std_mean(ctx, input, dim=None, *args, keepdim=False, correction=None, unbiased=None):
    x = tensor(input)
    d, k = _std_args(ctx, x, dim, args, keepdim, correction, unbiased)
    r = reduce_shape(ctx, x, d, k, x.dtype)
    return TupleV((r, TensorV(r.shape, r.dtype)))


@op("torch.any", "torch.Tensor.any", "torch.all", "torch.Tensor.all")
def any_(ctx, input, dim=None, keepdim=False, *, out=None):
    x = tensor(input)
    # any/all over an empty dim list reduce nothing (sum and the others reduce everything).
    return reduce_shape(ctx, x, dim, keepdim, "uint8" if x.dtype == "uint8" else "bool", empty_is_all=False)


@op("torch.count_nonzero", "torch.Tensor.count_nonzero")
def count_nonzero(ctx, input, dim=None):
    return reduce_shape(ctx, tensor(input), dim, False, "int64")


@op("torch.norm", "torch.Tensor.norm")
def norm(ctx, input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    x = tensor(input)
    if x.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"norm(): input dtype should be either floating point or complex, but {ctx.arg_text(0)} is {x.dtype}")
    pc = as_const(p) if p is not None else "fro"
    seq = as_seq(dim)
    if isinstance(pc, str) and seq is not None and (len(seq) > 2 or (pc == "nuc" and len(seq) != 2)):
        ctx.fail(codes.ARGUMENTS, f"linalg.matrix_norm: dim must be a 2-tuple for the {pc!r} norm. Got {len(seq)} dims")
    return reduce_shape(ctx, x, dim, keepdim, _out_dtype(dtype, x.dtype), empty_error=_empty_norm(ctx, x, p, "norm"))


def _empty_norm(ctx, x: TensorV, ord: Value | None, name: str) -> str | None:
    """Norms without an identity reject reducing an empty dim, or everything of an empty input."""
    return _no_identity(ord, name)


def _no_identity(ord: Value | None, name: str) -> str | None:
    """Norms of negative or infinite order have no identity, so torch rejects empty reductions."""
    if as_seq(ord) is not None:
        raise NotUnderstood(f"{name}: ord is a sequence (a dim passed positionally?)")
    o = float("inf") if isinstance(ord, TorchRef) and ord.qualname == "math.inf" else as_const(ord)
    if ord is not None and not isinstance(o, (int, float, str)):
        raise NotUnderstood("ord is not known (an inf/negative ord cannot reduce an empty dim)")
    return name if isinstance(o, (int, float)) and not isinstance(o, bool) and (o < 0 or o == float("inf")) else None


@op("torch.linalg.vector_norm")
def vector_norm(ctx, x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    t = tensor(x)
    if t.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {t.dtype}")
    if isinstance(as_const(ord), str):
        ctx.fail(codes.ARGUMENTS, f"linalg.vector_norm: ord must be a number, got {as_const(ord)!r} (a matrix norm needs a 2-D input or a 2-tuple dim)")
    empty_error = _empty_norm(ctx, t, ord, "linalg.vector_norm")
    return reduce_shape(ctx, t, dim, keepdim, _out_dtype(dtype, t.dtype), empty_error=empty_error)


def _matrix_norm(ctx, t: TensorV, dim: Value | None, keepdim, dtype, name: str) -> TensorV:
    if t.shape is None:
        return TensorV(None, t.dtype)
    if len(t.shape) < 2:
        ctx.fail(codes.RANK, f"{name}: The input tensor A must have at least 2 dimensions: {ctx.arg_text(0)} has shape {fmt(t.shape)}")
    ds = _dims(ctx, dim if dim is not None else TupleV((IntV.of(-2), IntV.of(-1))), len(t.shape), empty_is_all=False)
    if ds is None or len(ds) != 2:
        ctx.fail(codes.ARGUMENTS, f"{name}: dim must be a 2-tuple. Got {dim.describe() if dim is not None else None}")
    return reduce_shape(ctx, t, TupleV(tuple(IntV.of(d) for d in ds)), keepdim, _out_dtype(dtype, t.dtype))


@op("torch.linalg.matrix_norm")
def matrix_norm(ctx, A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    t = tensor(A)
    if t.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {t.dtype}")
    return _matrix_norm(ctx, t, dim, keepdim, dtype, "linalg.matrix_norm")


@op("torch.linalg.norm")
def linalg_norm(ctx, A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    t = tensor(A)
    if t.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"linalg.norm: Expected a floating point or complex tensor as input. Got {t.dtype}")
    if t.shape is None:
        return TensorV(None, t.dtype)
    seq = as_seq(dim)
    if dim is not None and seq is None:
        return vector_norm(ctx, A, ord if ord is not None else IntV.of(2), TupleV((dim,)), keepdim, dtype=dtype)
    if seq is not None and len(seq) == 1:
        return vector_norm(ctx, A, ord if ord is not None else IntV.of(2), dim, keepdim, dtype=dtype)
    if seq is not None and len(seq) == 2:
        return _matrix_norm(ctx, t, dim, keepdim, dtype, "linalg.norm")
    if seq is not None:
        ctx.fail(codes.ARGUMENTS, f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(map(as_int, seq))}")
    if ord is None:
        return reduce_shape(ctx, t, None, keepdim, _out_dtype(dtype, t.dtype))
    if len(t.shape) == 1:
        return vector_norm(ctx, A, ord, None, keepdim, dtype=dtype)
    if len(t.shape) == 2:
        return _matrix_norm(ctx, t, None, keepdim, dtype, "linalg.norm")
    ctx.fail(codes.RANK, f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {len(t.shape)}D.")


def _pair(v: TensorV, second: str | None = "int64") -> TupleV:
    names = ("values", "indices") if second is not None else ("min", "max")
    return TupleV((v, TensorV(v.shape, second if second is not None else v.dtype)), names=names)


@op("torch.max", "torch.Tensor.max", "torch.min", "torch.Tensor.min")
def max_(ctx, input, dim=None, keepdim=False, *, out=None, other=None):
    x = tensor(input)
    if other is None and isinstance(dim, TensorV):
        other = dim
    if isinstance(other, TensorV):
        from shapelens.ops.elementwise import binary

        return binary(ctx, x, other, "maximum")
    if dim is None:
        return reduce_shape(ctx, x, None, False, x.dtype, empty_error="max")
    return _pair(reduce_shape(ctx, x, dim, keepdim, x.dtype, empty_error="max"))


@op("torch.median", "torch.Tensor.median", "torch.nanmedian", "torch.Tensor.nanmedian")
def median(ctx, input, dim=None, keepdim=False, *, out=None):
    x = tensor(input)
    if x.dtype == "bool" and (dim is not None or _nonempty(x)):  # a full median of nothing skips the kernel
        ctx.fail(codes.DTYPE, f"median is not implemented for bool tensors ({ctx.arg_text(0)})")
    if dim is None:
        return reduce_shape(ctx, x, None, False, x.dtype)
    return _pair(reduce_shape(ctx, x, dim, keepdim, x.dtype, empty_error="median"))


@op("torch.mode", "torch.Tensor.mode")
def mode(ctx, input, dim=-1, keepdim=False, *, out=None):
    x = tensor(input)
    return _pair(reduce_shape(ctx, x, dim, keepdim, x.dtype, empty_error="mode"))


@op("torch.aminmax", "torch.Tensor.aminmax")
def aminmax(ctx, input, *, dim=None, keepdim=False, out=None):
    x = tensor(input)
    if dim is None and x.shape is not None and eq(prod(x.shape), 0) is True:
        ctx.fail(codes.INVALID_ARG, f"aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity: "
                                    f"{ctx.arg_text(0)} has shape {fmt(x.shape)}")
    r = reduce_shape(ctx, x, dim, keepdim, x.dtype, empty_error="aminmax" if dim is not None else None)
    return _pair(r, None)


@op("torch.argmax", "torch.Tensor.argmax", "torch.argmin", "torch.Tensor.argmin")
def argmax(ctx, input, dim=None, keepdim=False, *, out=None):
    x = tensor(input)
    if dim is not None and as_seq(dim) is not None:
        raise NotUnderstood("argmax takes a single dim")
    if x.dtype == "bool":
        ctx.fail(codes.DTYPE, f"argmax(): does not support bool input ({ctx.arg_text(0)})")
    return reduce_shape(ctx, x, dim, keepdim, "int64", empty_error="argmax")


@op("torch.cumsum", "torch.Tensor.cumsum", "torch.cumprod", "torch.Tensor.cumprod", "torch.Tensor.cumsum_",
    "torch.Tensor.cumprod_")
def cumsum(ctx, input, dim, *, dtype=None, out=None):
    x = tensor(input)
    if x.shape is not None:
        norm_dim(ctx, dim, len(x.shape))
    return TensorV(x.shape, _out_dtype(dtype, "int64" if x.dtype in _INTEGRAL else x.dtype))


@op("torch.logcumsumexp", "torch.Tensor.logcumsumexp")
def logcumsumexp(ctx, input, dim, *, out=None):
    x = tensor(input)
    if x.dtype in _INTEGRAL:
        ctx.fail(codes.DTYPE, f"logcumsumexp is not implemented for {x.dtype} tensors ({ctx.arg_text(0)})")
    if x.shape is not None:
        norm_dim(ctx, dim, len(x.shape))
    return TensorV(x.shape, x.dtype)


@op("torch.cummax", "torch.Tensor.cummax", "torch.cummin", "torch.Tensor.cummin")
def cummax(ctx, input, dim, *, out=None):
    x = tensor(input)
    if x.shape is not None and eq(prod(x.shape), 0) is not True:  # torch skips the dim check when empty
        norm_dim(ctx, dim, len(x.shape))
    return _pair(TensorV(x.shape, x.dtype))
