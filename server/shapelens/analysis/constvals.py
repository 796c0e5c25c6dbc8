"""Values of small constant tensors, so sizes computed with torch ops are still known.

Some models compute their widths with tensors (torchvision's RegNet: `torch.arange(depth) *
w_a + w_0`, `torch.round(...)`, `.int().tolist()`). A 0-D or 1-D tensor made from known numbers
(`torch.arange`, `torch.tensor([...])`) carries its elements in `meta["values"]`; the few
elementwise ops below recompute them in plain Python, rounding float tensors to float32 the
way torch stores them. Any other op drops them, so a stale value never survives a shape rule.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from typing import Any, Callable

from shapelens.dims import Dim
from shapelens.values import MISSING, UNKNOWN, IntV, ListV, TensorV, TupleV, Value, as_const, const_of

MAX_ELEMENTS = 4096
FLOAT = ("float32", "float16", "bfloat16", "float64")


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def values_of(v: Value) -> list | float | int | bool | None:
    """A tensor's known elements (a list for 1-D, a number for 0-D), or a Python number."""
    if isinstance(v, TensorV):
        return (v.meta or {}).get("values")
    c = as_const(v)
    if isinstance(c, (int, float, bool)):
        return c
    return None


def with_values(t: TensorV, values: list | float | int | bool, approx: bool = False) -> TensorV:
    meta = {k: x for k, x in (t.meta or {}).items() if k not in ("values", "values_approx")}
    meta["values"] = values
    if approx:
        meta["values_approx"] = True
    return TensorV(t.shape, t.dtype, t.prov, t.contiguous, meta)


def without_values(t: TensorV) -> TensorV:
    if not t.meta or "values" not in t.meta:
        return t
    meta = {k: x for k, x in t.meta.items() if k not in ("values", "values_approx")}
    return TensorV(t.shape, t.dtype, t.prov, t.contiguous, meta or None)


def is_approx(v: Value) -> bool:
    return isinstance(v, TensorV) and bool((v.meta or {}).get("values_approx"))


# torch's log/exp/pow may differ from the correctly rounded result by an ulp: their values are
# approximate, and rounding one that sits on a boundary (x.5 for round, an integer for
# floor/ceil/int) is not known.
TRANSCENDENTAL = {"log", "exp", "log2", "log10", "pow"}
ROUNDING_BOUNDARY = {"round": 0.5, "floor": 0.0, "ceil": 0.0, "int": 0.0, "long": 0.0}
NEAR = 1e-4


def near_boundary(x: float, offset: float) -> bool:
    frac = (x - offset) - math.floor(x - offset)
    return min(frac, 1 - frac) <= NEAR * max(1.0, abs(x))


def cast(x: Any, dtype: str | None) -> Any:
    if dtype is None:
        return x
    if dtype == "bool":
        return bool(x)
    if dtype.startswith(("int", "uint")):
        return int(x)  # torch truncates toward zero
    if dtype == "float64":
        return float(x)
    return f32(float(x))


def elementwise(fn: Callable[..., Any], operands: list, dtype: str | None) -> list | Any | None:
    """fn over the elements; an element not known (None) stays not known."""
    lengths = {len(o) for o in operands if isinstance(o, list)}
    if len(lengths) > 1:
        return None

    def one(args: list) -> Any:
        return None if any(x is None for x in args) else cast(fn(*args), dtype)

    try:
        if not lengths:
            return one(operands)
        n = lengths.pop()
        return [one([o[i] if isinstance(o, list) else o for o in operands]) for i in range(n)]
    except (ArithmeticError, ValueError, TypeError):
        return None


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "div": lambda a, b: a / b, "divide": lambda a, b: a / b,
    "true_divide": lambda a, b: a / b, "pow": lambda a, b: a ** b, "floordiv": lambda a, b: a // b,
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "maximum": max, "minimum": min,
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "log": math.log, "exp": math.exp, "sqrt": math.sqrt, "floor": math.floor, "ceil": math.ceil,
    "round": lambda a: float(round(a)), "abs": abs, "neg": lambda a: -a, "__neg__": lambda a: -a,
    "int": int, "long": int, "float": float, "double": float, "clone": lambda a: a, "contiguous": lambda a: a,
    "detach": lambda a: a, "log2": math.log2, "log10": math.log10,
}


def op_values(name: str, args: tuple[Value, ...], result: Value, kwargs: dict | None = None) -> Value:
    """`result` of rule `name` with its elements when every operand's are known."""
    if not isinstance(result, TensorV):
        return result
    if kwargs:  # alpha=, decimals=, rounding_mode=...: not modelled here
        return without_values(result)
    short = name.rsplit(".", 1)[-1]
    method = short.startswith("__") and short.endswith("__")
    op = short.strip("_")
    reverse = method and op.startswith("r") and op[1:] in BINARY
    if reverse:
        op = op[1:]
    if method and op.startswith("i") and op[1:] in BINARY:
        op = op[1:]  # in place: same value
    vals = [values_of(a) for a in args]
    out = None
    if short == "__getitem__" and len(args) == 2 and isinstance(vals[0], list) and isinstance(args[1], IntV):
        i = args[1].dim.value  # one element of a known 1-D tensor
        if i is not None and -len(vals[0]) <= i < len(vals[0]) and result.shape == () and vals[0][i] is not None:
            return with_values(result, vals[0][i])
        return without_values(result)
    if op in BINARY and len(args) >= 2 and vals[0] is not None and vals[1] is not None:
        a, b = (vals[1], vals[0]) if reverse else (vals[0], vals[1])
        if op in ("add", "sub") and len(args) > 2:
            return without_values(result)
        out = elementwise(BINARY[op], [a, b], result.dtype)
    elif op in UNARY and args and vals[0] is not None and isinstance(args[0], TensorV):
        fn = UNARY[op]
        if op in ROUNDING_BOUNDARY and is_approx(args[0]):
            off = ROUNDING_BOUNDARY[op]
            fn = lambda x, f=fn, off=off: None if isinstance(x, float) and near_boundary(x, off) else f(x)  # noqa: E731
            out = elementwise(lambda x: fn(x), [vals[0]], None)
            out = None if out is None else (cast_known(out, result.dtype))
            return without_values(result) if out is None else with_values(result, out)
        out = elementwise(fn, [vals[0]], result.dtype)
    if out is None:
        return without_values(result)
    approx = any(is_approx(a) for a in args) or op in TRANSCENDENTAL
    return with_values(result, out, approx)


def cast_known(values: Any, dtype: str | None) -> Any:
    if isinstance(values, list):
        return [None if v is None else cast(v, dtype) for v in values]
    return None if values is None else cast(values, dtype)


def arange_values(args: tuple[Value, ...], kwargs: dict[str, Value], result: Value) -> Value:
    if not isinstance(result, TensorV):
        return result
    nums = [as_const(a) for a in args[:3]]
    if any(not isinstance(n, (int, float)) or isinstance(n, bool) for n in nums) or not nums:
        return result
    start, end, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) > 2 else 1)
    if step == 0 or result.shape is None or len(result.shape) != 1 or result.shape[0].value is None:
        return result
    n = result.shape[0].value  # the length is the shape rule's
    if n > MAX_ELEMENTS:
        return result
    if all(isinstance(x, int) for x in (start, step)) and (result.dtype or "").startswith(("int", "uint")):
        return with_values(result, [start + i * step for i in range(n)])
    # Floats: an element is known when it and every intermediate are exact in the tensor's
    # precision, so that no rounding order torch's kernels use can change it.
    r = f32 if result.dtype in (None, "float32") else float
    if result.dtype not in (None, "float32", "float64"):
        return result
    a, d = Fraction(start), Fraction(step)

    def representable(x: Fraction) -> bool:
        return Fraction(r(float(x))) == x

    ok = representable(a) and representable(d)
    out = [float(a + d * i) if ok and representable(d * i) and representable(a + d * i) else None for i in range(n)]
    return with_values(result, out)


def linspace_values(args: tuple[Value, ...], kwargs: dict[str, Value], result: Value) -> Value:
    """`torch.linspace(start, end, steps)` of known numbers (drop-path rates per block)."""
    if not isinstance(result, TensorV):
        return result
    named = ("start", "end", "steps")
    nums = [as_const(args[i]) if i < len(args) else as_const(kwargs.get(named[i])) for i in range(3)]
    if any(not isinstance(n, (int, float)) or isinstance(n, bool) for n in nums):
        return result
    start, end, steps = nums
    if not isinstance(steps, int) or not 0 <= steps <= MAX_ELEMENTS:
        return result
    if result.dtype not in ("float32", "float64"):
        return result
    # torch's kernels round differently (vectorised or not): an element is known only when it
    # is exact in the tensor's precision whatever the rounding — the ends always are, and every
    # element when the step and the values are exactly representable (linspace(32, 256, 8)).
    r = f32 if result.dtype == "float32" else float
    a, b = Fraction(r(float(start))), Fraction(r(float(end)))
    step = (b - a) / (steps - 1) if steps > 1 else Fraction(0)
    exact = Fraction(r(float(step))) == step and Fraction(r(float(b - a))) == b - a
    def representable(x: Fraction) -> bool:
        return Fraction(r(float(x))) == x

    out: list = []
    for i in range(steps):
        v = a + step * i
        # every intermediate of either formula exact: no rounding order can change the result
        known = i == 0 or i == steps - 1 or (exact and representable(v) and representable(step * i)
                                             and representable(step * (steps - 1 - i)))
        out.append(float(v) if known else None)
    return with_values(result, out)


def tensor_values(data: Value, result: Value) -> Value:
    """`torch.tensor(<numbers or a flat list of numbers>)`."""
    if not isinstance(result, TensorV):
        return result
    if isinstance(data, (ListV, TupleV)):
        items = [as_const(i) for i in data.items]
        if len(items) > MAX_ELEMENTS or any(not isinstance(i, (int, float, bool)) for i in items):
            return result
        return with_values(result, [cast(i, result.dtype) for i in items])
    c = as_const(data)
    if isinstance(c, (int, float, bool)):
        return with_values(result, cast(c, result.dtype))
    return result


def diff_values(t: TensorV) -> Value:
    """`torch.diff` of a known 1-D tensor."""
    vals = values_of(t)
    if not isinstance(vals, list):
        return MISSING
    out = [None if a is None or b is None else cast(b - a, t.dtype) for a, b in zip(vals, vals[1:])]
    return TensorV((Dim.const(len(out)),), t.dtype, meta={"values": out})


def to_python(t: TensorV) -> Value:
    """`.tolist()` / `.item()` of a tensor with known elements (approximate ones stay unknown)."""
    vals = values_of(t)
    if vals is None or is_approx(t):
        return MISSING
    if isinstance(vals, list):
        return ListV([UNKNOWN if v is None else const_of(v) for v in vals])
    return const_of(vals)
