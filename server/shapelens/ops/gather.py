"""Index-driven ops: gather/scatter(_add/_reduce), index_select/index_add/index_copy/index_fill,
take/take_along_dim, masked_select, nonzero/argwhere. Sizes that depend on the data (how many
elements a mask selects) are unknown dims, never guesses."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, le, prod
from shapelens.ops.common import broadcast_shapes, fmt, norm_dim, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, TupleV, Value, as_bool, as_int

_INDEX_DTYPES = ("int64", "int32")


def _index_dtype(ctx, name: str, idx: TensorV, allowed=("int64",)) -> None:
    if idx.dtype is not None and idx.dtype not in allowed:
        ctx.fail(codes.DTYPE, f"{name}(): Expected dtype {' or '.join(allowed)} for index, but {ctx.arg_text(2)} is {idx.dtype}")


def _nonempty(shape) -> tuple:
    """torch's ensure_nonempty_size: a 0-dim tensor counts as one of size 1."""
    return tuple(shape) if shape else (Dim.const(1),)


def _no_larger(ctx, name: str, idx: TensorV, other: TensorV, skip: int | None, what: str) -> None:
    """Every index size is at most the other tensor's size (except at `skip`)."""
    for k, (a, b) in enumerate(zip(_nonempty(idx.shape), _nonempty(other.shape))):
        if k == skip:
            continue
        if le(a, b) is False:
            ctx.fail(codes.INDEX, f"{name}: Size does not match at dimension {k} expected index {fmt(idx.shape)} to be no larger "
                                  f"than {what} {fmt(other.shape)} apart from dimension {skip}")


def _rank1(t: TensorV) -> int:
    return max(len(t.shape), 1)  # type: ignore[arg-type]


@op("torch.gather", "torch.Tensor.gather")
def gather(ctx, input, dim, index, *, sparse_grad=False, out=None):
    x, idx = tensor(input), tensor(index, "index")
    _index_dtype(ctx, "gather", idx, _INDEX_DTYPES)
    if x.shape is None or idx.shape is None:
        return TensorV(idx.shape, x.dtype)
    d = norm_dim(ctx, dim, len(x.shape))
    if eq(prod(idx.shape), 0) is True:
        return TensorV(idx.shape, x.dtype)
    if _rank1(idx) != _rank1(x):
        ctx.fail(codes.INDEX, f"Index tensor must have the same number of dimensions as input tensor: index {fmt(idx.shape)}, "
                              f"input {fmt(x.shape)}")
    _no_larger(ctx, "gather", idx, x, d, "input")
    return TensorV(idx.shape, x.dtype)


def _scatter(ctx, name: str, input, dim, index, src) -> TensorV:
    x, idx = tensor(input), tensor(index, "index")
    _index_dtype(ctx, name, idx, _INDEX_DTYPES)
    if x.shape is None or idx.shape is None:
        return TensorV(x.shape, x.dtype)
    d = norm_dim(ctx, dim, len(x.shape))
    if eq(prod(idx.shape), 0) is True:
        return TensorV(x.shape, x.dtype)
    if _rank1(idx) != _rank1(x):
        ctx.fail(codes.INDEX, f"Index tensor must have the same number of dimensions as self tensor: index {fmt(idx.shape)}, "
                              f"self {fmt(x.shape)}")
    s = src if isinstance(src, TensorV) else None
    if s is not None and s.shape is not None:
        if s.dtype is not None and x.dtype is not None and s.dtype != x.dtype:
            ctx.fail(codes.DTYPE, f"{name}(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {s.dtype})")
        if _rank1(s) != _rank1(x):
            ctx.fail(codes.INDEX, f"Index tensor must have the same number of dimensions as src tensor: index {fmt(idx.shape)}, "
                                  f"src {fmt(s.shape)}")
    _no_larger(ctx, name, idx, x, d, "self")
    if s is not None and s.shape is not None:
        for k, (a, b) in enumerate(zip(_nonempty(idx.shape), _nonempty(s.shape))):
            if le(a, b) is False:
                ctx.fail(codes.INDEX, f"{name}: Expected index {fmt(idx.shape)} to be no larger than self {fmt(x.shape)} "
                                      f"apart from dimension {d} and to be no larger size than src {fmt(s.shape)}")
    return TensorV(x.shape, x.dtype)


@op("torch.scatter", "torch.Tensor.scatter", "torch.Tensor.scatter_")
def scatter(ctx, input, dim, index, src=None, value=None, *, reduce=None):
    return _scatter(ctx, "scatter", input, dim, index, src if src is not None else value)


@op("torch.scatter_add", "torch.Tensor.scatter_add", "torch.Tensor.scatter_add_")
def scatter_add(ctx, input, dim, index, src):
    return _scatter(ctx, "scatter_add", input, dim, index, src)


@op("torch.scatter_reduce", "torch.Tensor.scatter_reduce", "torch.Tensor.scatter_reduce_")
def scatter_reduce(ctx, input, dim, index, src, reduce, *, include_self=True):
    return _scatter(ctx, "scatter_reduce", input, dim, index, src)


def _vector_index(ctx, name: str, idx: TensorV) -> Dim:
    if idx.shape is None:
        return ctx.unknown_dim("index length")
    if len(idx.shape) > 1:
        ctx.fail(codes.INDEX, f"{name}(): Index is supposed to be a vector, but {ctx.arg_text(2)} has shape {fmt(idx.shape)}")
    return idx.shape[0] if idx.shape else Dim.const(1)


@op("torch.index_select", "torch.Tensor.index_select")
def index_select(ctx, input, dim, index, *, out=None):
    x, idx = tensor(input), tensor(index, "index")
    _index_dtype(ctx, "index_select", idx, _INDEX_DTYPES)
    n = _vector_index(ctx, "index_select", idx)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if not x.shape:
        norm_dim(ctx, dim, 0)
        if eq(n, 1) is False:
            ctx.fail(codes.INDEX, f"index_select(): Index to scalar can have only 1 value, got {n} value(s)")
        return TensorV((), x.dtype)
    d = norm_dim(ctx, dim, len(x.shape))
    shape = list(x.shape)
    shape[d] = n
    return TensorV(tuple(shape), x.dtype)


def _index_into(ctx, name: str, input, dim, index, source) -> TensorV:
    x, idx = tensor(input), tensor(index, "index")
    _index_dtype(ctx, name, idx, _INDEX_DTYPES if name == "index_add" else ("int64",))
    n = _vector_index(ctx, name, idx)
    if x.shape is None:
        return TensorV(None, x.dtype)
    d = norm_dim(ctx, dim, len(x.shape))
    s = source if isinstance(source, TensorV) else None
    if s is None or s.shape is None:
        return TensorV(x.shape, x.dtype)
    if s.dtype is not None and x.dtype is not None and s.dtype != x.dtype:
        ctx.fail(codes.DTYPE, f"{name}(): self ({x.dtype}) and source ({s.dtype}) must have the same scalar type")
    if name == "index_copy":
        # Scalars on either side skip the slice checks; a scalar source takes one index.
        if not s.shape:
            if eq(n, 1) is False:
                ctx.fail(codes.INDEX, f"index_copy_(): When source is scalar, index should have one element (got {n})")
            return TensorV(x.shape, x.dtype)
        if not x.shape:
            ctx.require_eq(n, s.shape[0], codes.INDEX, lambda: (
                f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({s.shape[0]})"))
            return TensorV(x.shape, x.dtype)
    if not s.shape and not x.shape:
        if eq(n, 1) is False:
            ctx.fail(codes.INDEX, f"{name}: Number of indices ({n}) should be equal to tensor.size(dim) (1), for dim=0")
        return TensorV(x.shape, x.dtype)
    if len(s.shape) != len(x.shape):
        ctx.fail(codes.INDEX, f"{name}: source {fmt(s.shape)} and self {fmt(x.shape)} must have the same number of dimensions")
    for k, (a, b) in enumerate(zip(x.shape, s.shape)):
        if k == d:
            ctx.require_eq(b, n, codes.INDEX, lambda: (
                f"{name}: Number of indices ({n}) should be equal to source.size(dim) ({s.shape[d]})"))  # type: ignore[index]
        else:
            ctx.require_eq(b, a, codes.INDEX, lambda k=k: (
                f"{name}: source {fmt(s.shape)} and self {fmt(x.shape)} must have the same slice shapes (they differ at dimension {k})"))
    return TensorV(x.shape, x.dtype)


@op("torch.index_add", "torch.Tensor.index_add", "torch.Tensor.index_add_")
def index_add(ctx, input, dim, index, source, *, alpha=1, out=None):
    return _index_into(ctx, "index_add", input, dim, index, source)


@op("torch.index_copy", "torch.Tensor.index_copy", "torch.Tensor.index_copy_")
def index_copy(ctx, input, dim, index, source, *, out=None):
    return _index_into(ctx, "index_copy", input, dim, index, source)


@op("torch.index_fill", "torch.Tensor.index_fill", "torch.Tensor.index_fill_")
def index_fill(ctx, input, dim, index, value):
    return _index_into(ctx, "index_fill", input, dim, index, None)


@op("torch.take", "torch.Tensor.take")
def take(ctx, input, index):
    x, idx = tensor(input), tensor(index, "index")
    _index_dtype(ctx, "take", idx)
    return TensorV(idx.shape, x.dtype)


@op("torch.take_along_dim", "torch.Tensor.take_along_dim")
def take_along_dim(ctx, input, indices, dim=None, *, out=None):
    x, idx = tensor(input), tensor(indices, "indices")
    _index_dtype(ctx, "torch.take_along_dim", idx, _INDEX_DTYPES if dim is None else ("int64",))
    if x.shape is None or idx.shape is None:
        return TensorV(None, x.dtype)
    if dim is None:
        return TensorV((prod(idx.shape),), x.dtype)
    if len(x.shape) != len(idx.shape):
        ctx.fail(codes.INDEX, f"torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
                              f"{len(x.shape)} dimensions for input, and {len(idx.shape)} dimensions for indices")
    if not x.shape:
        ctx.fail(codes.DIM_RANGE, f"Dimension specified as {as_int(dim)} but tensor has no dimensions")
    d = norm_dim(ctx, dim, len(x.shape))
    a = list(x.shape)
    b = list(idx.shape)
    a[d] = Dim.const(1)
    b[d] = Dim.const(1)
    out = list(broadcast_shapes(ctx, tuple(a), tuple(b), f"take_along_dim of {fmt(x.shape)} with indices {fmt(idx.shape)}"))
    out[d] = idx.shape[d]
    return TensorV(tuple(out), x.dtype)


@op("torch.masked_select", "torch.Tensor.masked_select")
def masked_select(ctx, input, mask, *, out=None):
    x, m = tensor(input), tensor(mask, "mask")
    if m.dtype is not None and m.dtype != "bool":
        ctx.fail(codes.DTYPE, f"masked_select: expected BoolTensor for mask, but {ctx.arg_text(1)} is {m.dtype}")
    if x.shape is not None and m.shape is not None:
        broadcast_shapes(ctx, x.shape, m.shape, f"masked_select of {fmt(x.shape)} with mask {fmt(m.shape)}")
    return TensorV((ctx.unknown_dim("number of True elements in the mask"),), x.dtype)


def nonzero_shape(ctx, x: TensorV, as_tuple: bool) -> Value:
    n = ctx.unknown_dim("number of non-zero elements")
    if x.shape is None:
        if as_tuple:
            raise NotUnderstood("rank unknown")
        return TensorV((n, ctx.unknown_dim("rank")), "int64")
    if as_tuple:
        return TupleV(tuple(TensorV((n,), "int64") for _ in range(max(len(x.shape), 1))))
    return TensorV((n, Dim.const(len(x.shape))), "int64")


@op("torch.nonzero", "torch.Tensor.nonzero")
def nonzero(ctx, input, *, out=None, as_tuple=False):
    return nonzero_shape(ctx, tensor(input), bool(as_bool(as_tuple)))


@op("torch.argwhere", "torch.Tensor.argwhere")
def argwhere(ctx, input):
    return nonzero_shape(ctx, tensor(input), False)
