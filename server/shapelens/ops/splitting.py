"""Splitting: split (a size or a list of sizes), split_with_sizes, chunk, unbind, tensor_split,
hsplit/vsplit/dsplit. Each returns a tuple whose parts keep their own shapes (the last chunk
may be smaller). The number of parts must be known, so a symbolic size splits only when the
algebra divides it exactly."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, dsum, eq
from shapelens.ops.common import fmt, norm_dim, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.ops.reshape import laid_out, strides_of
from shapelens.values import TensorV, TupleV, Value, as_dim, as_int, as_seq


def _parts(x: TensorV, d: int, sizes: list[Dim]) -> TupleV:
    # Each part is a narrow() of x: same strides, so a later view() is judged exactly.
    st = strides_of(x)
    out = []
    for s in sizes:
        shape = list(x.shape)  # type: ignore[arg-type]
        shape[d] = s
        out.append(laid_out(tuple(shape), x.dtype, st, x.contiguous and d == 0))
    return TupleV(tuple(out))


def _check_rank(ctx, x: TensorV, name: str) -> None:
    if x.shape is None:
        raise NotUnderstood(f"{name}: the tensor's rank is unknown, so the number of parts is too")
    if not x.shape:
        ctx.fail(codes.RANK, f"{name}: expected a tensor with at least 1 dimension, but {ctx.arg_text(0)} is 0-dimensional")


def split_sizes(ctx, n: Dim, s: Dim) -> list[Dim]:
    """torch.split with an int: chunks of `s`, the last one smaller."""
    if s.value is not None and s.value < 0:
        ctx.fail(codes.INVALID_ARG, f"split expects split_size be non-negative, but got split_size={s.value}")
    if s.value == 0:
        if eq(n, 0) is True:
            return [n]
        if eq(n, 0) is False:
            ctx.fail(codes.INVALID_ARG, f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        raise NotUnderstood("split size 0 of a symbolic size")
    if n.value is not None and s.value is not None:
        if n.value == 0:
            return [n]
        k, r = divmod(n.value, s.value)
        return [s] * k + ([Dim.const(r)] if r else [])
    k = n.exact_div(s)
    if k is not None and k.value is not None and k.value > 0:
        return [s] * k.value
    raise NotUnderstood(f"the number of parts of {n} split by {s} is not known")


def with_sizes(ctx, n: Dim, sizes: list[Dim | None], d: int, x: TensorV) -> list[Dim]:
    if any(s is None for s in sizes):
        raise NotUnderstood("split sizes are not known")
    for s in sizes:
        if s.value is not None and s.value < 0:  # type: ignore[union-attr]
            ctx.fail(codes.INVALID_ARG, f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={[str(v) for v in sizes]}")
    total = dsum(sizes)  # type: ignore[arg-type]
    ctx.require_eq(total, n, codes.INVALID_ARG, lambda: (
        f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), "
        f"but got split_sizes=[{', '.join(map(str, sizes))}]: {ctx.arg_text(0)} has shape {fmt(x.shape)}"))
    return sizes  # type: ignore[return-value]


@op("torch.split", "torch.Tensor.split")
def split(ctx, tensor_, split_size_or_sections, dim=0):
    x = tensor(tensor_)
    _check_rank(ctx, x, "split")
    d = norm_dim(ctx, dim, len(x.shape))  # type: ignore[arg-type]
    n = x.shape[d]  # type: ignore[index]
    seq = as_seq(split_size_or_sections)
    if seq is not None:
        return _parts(x, d, with_sizes(ctx, n, [as_dim(v) for v in seq], d, x))
    s = as_dim(split_size_or_sections)
    if s is None:
        raise NotUnderstood("split size is not known")
    return _parts(x, d, split_sizes(ctx, n, s))


@op("torch.split_with_sizes", "torch.Tensor.split_with_sizes")
def split_with_sizes(ctx, input, split_sizes, dim=0):
    x = tensor(input)
    _check_rank(ctx, x, "split_with_sizes")
    d = norm_dim(ctx, dim, len(x.shape))  # type: ignore[arg-type]
    seq = as_seq(split_sizes)
    if seq is None:
        raise NotUnderstood("split sizes are not known")
    return _parts(x, d, with_sizes(ctx, x.shape[d], [as_dim(v) for v in seq], d, x))  # type: ignore[index]


@op("torch.chunk", "torch.Tensor.chunk")
def chunk(ctx, input, chunks, dim=0):
    x = tensor(input)
    c = as_int(chunks)
    if c is None:
        raise NotUnderstood("chunks is not known")
    _check_rank(ctx, x, "chunk")
    if c <= 0:
        ctx.fail(codes.INVALID_ARG, f"chunk expects `chunks` to be greater than 0, got: {c}")
    d = norm_dim(ctx, dim, len(x.shape))  # type: ignore[arg-type]
    n = x.shape[d]  # type: ignore[index]
    if n.value is not None:
        size = -(-n.value // c)
        if size == 0:
            return _parts(x, d, [Dim.const(0)] * c)
        return _parts(x, d, split_sizes(ctx, n, Dim.const(size)))
    q = n.exact_div(c)
    if q is not None:
        return _parts(x, d, [q] * c)
    raise NotUnderstood(f"chunk: whether {n} divides into {c} equal parts is not known")


@op("torch.unbind", "torch.Tensor.unbind")
def unbind(ctx, input, dim=0):
    x = tensor(input)
    _check_rank(ctx, x, "unbind")
    r = len(x.shape)  # type: ignore[arg-type]
    d = norm_dim(ctx, dim, r)
    n = x.shape[d].value  # type: ignore[index]
    if n is None:
        raise NotUnderstood("unbind of a symbolic size gives an unknown number of tensors")
    rest = tuple(s for i, s in enumerate(x.shape) if i != d)  # type: ignore[arg-type]
    st = strides_of(x)
    rest_strides = None if st is None else tuple(v for i, v in enumerate(st) if i != d)
    return TupleV(tuple(laid_out(rest, x.dtype, rest_strides, x.contiguous and d == 0) for _ in range(n)))


def _slice_len(n: Dim, a: Dim | None, b: Dim | None) -> Dim:
    """len(range(n)[a:b]) for constant bounds (None: open)."""
    if n.value is not None:
        sl = slice(a.value if a is not None else None, b.value if b is not None else None)
        return Dim.const(len(range(n.value)[sl]))
    if a is None and b is None:
        return n
    raise NotUnderstood("tensor_split indices on a symbolic size")


def tensor_split_sizes(ctx, n: Dim, sections: Value) -> list[Dim]:
    seq = as_seq(sections)
    if seq is not None:
        idx = [as_dim(v) for v in seq]
        if any(i is None or i.value is None for i in idx):
            raise NotUnderstood("tensor_split indices are not known")
        bounds: list[Dim | None] = [None] + idx + [None]  # type: ignore[operator]
        return [_slice_len(n, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    if isinstance(sections, TensorV):
        raise NotUnderstood("tensor_split with a tensor of indices")
    k = as_int(sections)
    if k is None:
        raise NotUnderstood("sections is not known")
    if k <= 0:
        ctx.fail(codes.INVALID_ARG, f"number of sections must be larger than 0, got {k}")
    if n.value is not None:
        q, r = divmod(n.value, k)
        return [Dim.const(q + 1)] * r + [Dim.const(q)] * (k - r)
    q_ = n.exact_div(k)
    if q_ is not None:
        return [q_] * k
    raise NotUnderstood(f"tensor_split: whether {n} divides into {k} sections is not known")


@op("torch.tensor_split", "torch.Tensor.tensor_split")
def tensor_split(ctx, input, indices_or_sections=None, dim=0, *, sections=None, indices=None, tensor_indices_or_sections=None):
    x = tensor(input)
    arg = next((v for v in (indices_or_sections, sections, indices, tensor_indices_or_sections) if v is not None), None)
    if arg is None:
        raise NotUnderstood("tensor_split needs sections or indices")
    _check_rank(ctx, x, "tensor_split")
    d = norm_dim(ctx, dim, len(x.shape))  # type: ignore[arg-type]
    return _parts(x, d, tensor_split_sizes(ctx, x.shape[d], arg))  # type: ignore[index]


def _dir_split(name: str, min_rank: int, dim_of):
    def rule(ctx, input, indices_or_sections):
        x = tensor(input)
        if x.shape is None:
            raise NotUnderstood(f"{name}: rank unknown")
        r = len(x.shape)
        if r < min_rank:
            ctx.fail(codes.RANK, f"torch.{name} requires a tensor with at least {min_rank} dimension, but got a tensor with {r} "
                                 f"dimensions! ({ctx.arg_text(0)} has shape {fmt(x.shape)})")
        d = dim_of(r)
        k = as_int(indices_or_sections) if as_seq(indices_or_sections) is None else None
        n = x.shape[d]
        if k is not None and k > 0:
            if n.value is not None and n.value % k:
                ctx.fail(codes.INVALID_ARG, f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                                            f"{n} is not divisible by the split_size {k}!")
        return _parts(x, d, tensor_split_sizes(ctx, n, indices_or_sections))

    return rule


op("torch.hsplit", "torch.Tensor.hsplit")(_dir_split("hsplit", 1, lambda r: 0 if r == 1 else 1))
op("torch.vsplit", "torch.Tensor.vsplit")(_dir_split("vsplit", 2, lambda r: 0))
op("torch.dsplit", "torch.Tensor.dsplit")(_dir_split("dsplit", 3, lambda r: 2))
