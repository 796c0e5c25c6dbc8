"""Creation ops: zeros/ones/empty/rand/randn/full/randint with sizes as varargs, tuples or
x.shape; *_like; arange; eye; torch.tensor literals."""

from __future__ import annotations

import math

from shapelens import findings as codes
from shapelens.dims import Dim, floordiv
from shapelens.ops.common import dims_or_unknown, size_from_args, tensor
from shapelens.ops.elementwise import dtype_from
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, IntV, ListV, TensorV, TupleV, Value, as_const, as_dim, as_float


def _make(ctx, sizes, dtype, default: str) -> TensorV:
    if sizes is None:
        raise NotUnderstood("size is not known")
    for s in sizes:
        if s is not None and s.value is not None and s.value < 0:
            ctx.fail(codes.INVALID_ARG, f"Trying to create tensor with negative dimension {s.value}: {[str(x) for x in sizes]}")
    dt = dtype_from(dtype) if dtype is not None else default
    return TensorV(dims_or_unknown(ctx, sizes), dt)


def _factory(default: str):
    def rule(ctx, *size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
             memory_format=None, generator=None, names=None):
        return _make(ctx, size_from_args(size), dtype, default)

    return rule


op("torch.zeros", "torch.ones", "torch.empty", "torch.rand", "torch.randn", "torch.Tensor.new_zeros",
   "torch.Tensor.new_ones", "torch.Tensor.new_empty")(_factory("float32"))


@op("torch.full")
def full(ctx, size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    c = as_const(fill_value)
    default = "bool" if isinstance(c, bool) else ("int64" if isinstance(c, int) or isinstance(fill_value, IntV) else "float32")
    return _make(ctx, size_from_args((size,)), dtype, default)


@op("torch.Tensor.new_full")
def new_full(ctx, self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    x = tensor(self)
    return _make(ctx, size_from_args((size,)), dtype, x.dtype or "float32")


def _like(ctx, input, dtype=None, **kw):
    x = tensor(input)
    return TensorV(x.shape, dtype_from(dtype) if dtype is not None else x.dtype)


op("torch.zeros_like", "torch.ones_like", "torch.empty_like", "torch.rand_like", "torch.randn_like")(_like)


@op("torch.full_like")
def full_like(ctx, input, fill_value, *, dtype=None, **kw):
    return _like(ctx, input, dtype)


@op("torch.randint_like")
def randint_like(ctx, input, low=None, high=None, *, dtype=None, **kw):
    return _like(ctx, input, dtype)


@op("torch.randint")
def randint(ctx, *args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    # randint(high, size) or randint(low, high, size)
    if len(args) < 2:
        raise NotUnderstood("randint needs a size")
    size = args[-1]
    return _make(ctx, size_from_args((size,)), dtype, "int64")


@op("torch.arange")
def arange(ctx, *args, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if not args or len(args) > 3:
        raise NotUnderstood("arange arguments")
    vals = list(args)
    if len(vals) == 1:
        start, end, step = IntV.of(0), vals[0], IntV.of(1)
    elif len(vals) == 2:
        start, end, step = vals[0], vals[1], IntV.of(1)
    else:
        start, end, step = vals
    ds = [as_dim(v) for v in (start, end, step)]
    is_int = all(d is not None for d in ds)
    default = "int64" if is_int else "float32"
    dt = dtype_from(dtype) if dtype is not None else default
    if is_int:
        a, b, s = ds  # type: ignore[misc]
        if s.value is None or s.value == 0:
            return TensorV((ctx.unknown_dim("arange"),), dt)
        n = floordiv(b - a + (s - (1 if s.value > 0 else -1)), s)
        if n.value is not None and n.value < 0:
            ctx.fail(codes.INVALID_ARG, "upper bound and larger bound inconsistent with step sign")
        return TensorV((n,), dt)
    fs = [as_float(v) for v in (start, end, step)]
    if any(f is None for f in fs) or fs[2] == 0:
        return TensorV((ctx.unknown_dim("arange"),), dt)
    a, b, s = fs  # type: ignore[misc]
    return TensorV((Dim.const(max(0, math.ceil((b - a) / s))),), dt)


@op("torch.linspace", "torch.logspace")
def linspace(ctx, start, end, steps, *args, out=None, dtype=None, layout=None, device=None, requires_grad=False, base=None):
    n = as_dim(steps)
    return TensorV((n if n is not None else ctx.unknown_dim("steps"),), dtype_from(dtype) if dtype is not None else "float32")


@op("torch.eye")
def eye(ctx, n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    a = as_dim(n)
    b = as_dim(m) if m is not None and as_const(m) is not None else a
    if a is None or b is None:
        raise NotUnderstood("eye size")
    return TensorV((a, b), dtype_from(dtype) if dtype is not None else "float32")


def _literal_shape(v: Value) -> tuple[tuple[Dim, ...], str] | None:
    if isinstance(v, (ListV, TupleV)):
        if not v.items:
            return (Dim.const(0),), "float32"
        subs = [_literal_shape(i) for i in v.items]
        if any(s is None for s in subs):
            return None
        first = subs[0][0]  # type: ignore[index]
        if any(s[0] != first for s in subs):  # type: ignore[index]
            return None
        kinds = {s[1] for s in subs}  # type: ignore[index]
        kind = "float32" if "float32" in kinds else ("int64" if "int64" in kinds else kinds.pop())
        return (Dim.const(len(v.items)),) + first, kind
    if isinstance(v, IntV):
        return (), "int64"
    c = as_const(v)
    if isinstance(c, bool):
        return (), "bool"
    if isinstance(c, float):
        return (), "float32"
    if isinstance(v, TensorV) and v.shape is not None:
        return v.shape, v.dtype or "float32"
    return None


@op("torch.tensor", "torch.as_tensor", "torch.Tensor.new_tensor")
def tensor_literal(ctx, data, *args, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, TensorV) and args:
        data = args[0]
    lit = _literal_shape(data)
    if lit is None:
        raise NotUnderstood("data is not a literal")
    shape, kind = lit
    return TensorV(shape, dtype_from(dtype) if dtype is not None else kind)
