"""Creation ops: zeros/ones/empty/rand/randn/full/randint with sizes as varargs, tuples, lists or
x.shape; *_like; new_* methods; arange/linspace/logspace; eye; torch.tensor literals."""

from __future__ import annotations

import math

from shapelens import findings as codes
from shapelens.dims import Dim, floordiv, lt
from shapelens.ops.common import dims_or_unknown, tensor
from shapelens.ops.elementwise import dtype_from
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, IntV, ListV, TensorV, TupleV, Value, as_const, as_dim, as_float, as_seq

_INTS = ("int64", "int32", "int16", "int8", "uint8", "bool")


def sizes_of(ctx, args: tuple | list, what: str = "size") -> list[Dim | None]:
    """Sizes given as varargs (`zeros(2, 3)`) or one sequence (`zeros((2, 3))`, `x.shape`);
    a float among them is torch's TypeError, a negative constant its RuntimeError."""
    items = list(args)
    if len(items) == 1 and as_seq(items[0]) is not None:
        items = as_seq(items[0])  # type: ignore[assignment]
    out: list[Dim | None] = []
    for a in items:
        if isinstance(a, Const) and isinstance(a.value, float):
            ctx.fail(codes.ARGUMENTS, f"{what} must be a tuple of ints, but got a float ({a.value}) among the sizes")
        if as_seq(a) is not None:
            raise NotUnderstood(f"{what}: a sequence inside the sizes")
        out.append(as_dim(a))
    for s in out:
        if s is not None and s.value is not None and s.value < 0:
            shown = "[" + ", ".join("?" if x is None else str(x) for x in out) + "]"
            ctx.fail(codes.INVALID_ARG, f"Trying to create tensor with negative dimension {s.value}: {shown}")
    return out


def _make(ctx, sizes: list[Dim | None], dtype: Value | None, default: str | None) -> TensorV:
    dt = dtype_from(dtype) if dtype is not None else default
    return TensorV(dims_or_unknown(ctx, sizes), dt)


def _factory(default: str):
    def rule(ctx, *size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False, memory_format=None, generator=None, names=None, **kw):
        if "size" in kw:
            size = (kw.pop("size"),)
        if kw:
            raise NotUnderstood(f"unexpected arguments {sorted(kw)}")
        if not size:
            raise NotUnderstood("no size given")
        return _make(ctx, sizes_of(ctx, size), dtype, default)

    return rule


op("torch.zeros", "torch.ones", "torch.empty", "torch.rand", "torch.randn")(_factory("float32"))


@op("torch.Tensor.new_zeros", "torch.Tensor.new_ones", "torch.Tensor.new_empty")
def new_factory(ctx, self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
    x = tensor(self)
    if "size" in kw:
        size = (kw.pop("size"),)
    if not size:
        raise NotUnderstood("no size given")
    return _make(ctx, sizes_of(ctx, size), dtype, x.dtype)


def _fill_dtype(fill_value: Value | None) -> str | None:
    c = as_const(fill_value)
    if isinstance(c, bool):
        return "bool"
    if isinstance(c, int) or isinstance(fill_value, IntV):
        return "int64"
    if isinstance(c, float):
        return "float32"
    if isinstance(c, complex):
        return "complex64"
    return None


@op("torch.full")
def full(ctx, size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _make(ctx, sizes_of(ctx, (size,)), dtype, _fill_dtype(fill_value))


@op("torch.Tensor.new_full")
def new_full(ctx, self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    x = tensor(self)
    return _make(ctx, sizes_of(ctx, (size,)), dtype, x.dtype)


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
def randint(ctx, *args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
            pin_memory=False):
    # randint(high, size) or randint(low, high, size); size may be a keyword.
    args = tuple(args)
    if size is None:
        if len(args) < 2:
            raise NotUnderstood("randint needs a size")
        size, bounds = args[-1], args[:-1]
    else:
        bounds = args
    if len(bounds) not in (1, 2):
        raise NotUnderstood("randint bounds")
    lo, hi = (as_const(bounds[0]), as_const(bounds[1])) if len(bounds) == 2 else (0, as_const(bounds[0]))
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not isinstance(lo, bool) and lo >= hi:
        ctx.fail(codes.INVALID_ARG, f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    return _make(ctx, sizes_of(ctx, (size,)), dtype, "int64")


def _arange_args(args: tuple) -> tuple[Value, Value, Value]:
    if len(args) == 1:
        return IntV.of(0), args[0], IntV.of(1)
    if len(args) == 2:
        return args[0], args[1], IntV.of(1)
    if len(args) == 3:
        return args[0], args[1], args[2]
    raise NotUnderstood("arange arguments")


@op("torch.arange")
def arange(ctx, *args, start=None, end=None, step=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    if end is not None:  # keyword form
        if len(args) > 1:
            raise NotUnderstood("arange arguments")
        first = args[0] if args else (start if start is not None else IntV.of(0))
        args = (first, end, step if step is not None else IntV.of(1))
    elif args and (start is not None or step is not None):
        raise NotUnderstood("arange arguments")
    a_v, b_v, s_v = _arange_args(tuple(args))
    ds = [as_dim(v) for v in (a_v, b_v, s_v)]
    is_int = all(d is not None for d in ds)
    if not is_int and not all(d is not None or as_float(v) is not None for d, v in zip(ds, (a_v, b_v, s_v))):
        raise NotUnderstood("arange bounds are not known numbers")
    dt = dtype_from(dtype) if dtype is not None else ("int64" if is_int else "float32")
    bad_sign = "upper bound and larger bound inconsistent with step sign"
    if is_int:
        a, b, s = ds  # type: ignore[misc]
        if s.value is None:
            return TensorV((ctx.unknown_dim("arange with a symbolic step"),), dt)
        if s.value == 0:
            ctx.fail(codes.INVALID_ARG, "arange: step must be nonzero")
        if s.value > 0:
            if lt(b, a) is True:
                ctx.fail(codes.INVALID_ARG, f"arange({a}, {b}, {s}): {bad_sign}")
            if lt(b, a) is None:
                return TensorV((ctx.unknown_dim("arange length may be negative"),), dt)
            n = floordiv(b - a + (s.value - 1), Dim.const(s.value))
        else:
            if lt(a, b) is True:
                ctx.fail(codes.INVALID_ARG, f"arange({a}, {b}, {s}): {bad_sign}")
            if lt(a, b) is None:
                return TensorV((ctx.unknown_dim("arange length may be negative"),), dt)
            n = floordiv(a - b + (-s.value - 1), Dim.const(-s.value))
        return TensorV((n,), dt)
    fs = [as_float(v) if as_float(v) is not None else (d.value if d is not None else None) for v, d in zip((a_v, b_v, s_v), ds)]
    if any(f is None for f in fs):
        return TensorV((ctx.unknown_dim("arange with symbolic float bounds"),), dt)
    a, b, s = (float(f) for f in fs)  # type: ignore[arg-type]
    if (s > 0 and b < a) or (s < 0 and b > a):  # checked on the values as given
        ctx.fail(codes.INVALID_ARG, f"arange({a}, {b}, {s}): {bad_sign}")
    if dt in _INTS:  # an integral dtype truncates the bounds before sizing
        a, b, s = float(int(a)), float(int(b)), float(int(s))
    if s == 0:
        ctx.fail(codes.INVALID_ARG, "arange: step must be nonzero")
    # torch: size = ceil((end - start) / step), computed in double.
    return TensorV((Dim.const(int(math.ceil((b - a) / s))),), dt)


@op("torch.linspace", "torch.logspace")
def linspace(ctx, start, end, steps, *args, base=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    n = as_dim(steps)
    if n is not None and n.value is not None and n.value < 0:
        ctx.fail(codes.INVALID_ARG, f"number of steps must be non-negative, got steps={n.value}")
    return TensorV((n if n is not None else ctx.unknown_dim("steps"),), dtype_from(dtype) if dtype is not None else "float32")


@op("torch.eye")
def eye(ctx, n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    a = as_dim(n)
    b = as_dim(m) if m is not None else a
    if a is None or b is None:
        raise NotUnderstood("eye size")
    for what, d in (("n", a), ("m", b)):
        if d.value is not None and d.value < 0:
            ctx.fail(codes.INVALID_ARG, f"eye: {what} must be greater or equal to 0, got {d.value}")
    return TensorV((a, b), dtype_from(dtype) if dtype is not None else "float32")


class _Ragged(Exception):
    pass


def _literal_shape(v: Value) -> tuple[tuple[Dim, ...], str] | None:
    if isinstance(v, (ListV, TupleV)):
        if not v.items:
            return (Dim.const(0),), "float32"
        subs = [_literal_shape(i) for i in v.items]
        if any(s is None for s in subs):
            return None
        first = subs[0][0]  # type: ignore[index]
        for s in subs[1:]:
            if len(s[0]) != len(first):  # type: ignore[index]
                raise _Ragged(f"expected a sequence of rank {len(first)} but got rank {len(s[0])}")  # type: ignore[index]
            for j, (p, q) in enumerate(zip(first, s[0])):  # type: ignore[index]
                if p.value is None or q.value is None:
                    return None
                if p.value != q.value:
                    raise _Ragged(f"expected sequence of length {p.value} at dim {j + 1} (got {q.value})")
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
    return None


@op("torch.tensor", "torch.as_tensor", "torch.Tensor.new_tensor")
def tensor_literal(ctx, data, *args, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, TensorV) and args:  # x.new_tensor(data)
        data = args[0]
    if isinstance(data, TensorV):
        return TensorV(data.shape, dtype_from(dtype) if dtype is not None else data.dtype)
    try:
        lit = _literal_shape(data)
    except _Ragged as e:
        ctx.fail(codes.ARGUMENTS, f"torch.tensor: the nested lists are ragged: {e}")
    if lit is None:
        raise NotUnderstood("data is not a literal")
    shape, kind = lit
    return TensorV(shape, dtype_from(dtype) if dtype is not None else kind)
