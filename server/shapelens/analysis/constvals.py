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
from typing import Any, Callable

from shapelens.dims import Dim
from shapelens.values import MISSING, Const, IntV, ListV, TensorV, TupleV, Value, as_const, const_of

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


def with_values(t: TensorV, values: list | float | int | bool) -> TensorV:
    meta = {k: x for k, x in (t.meta or {}).items() if k != "values"}
    meta["values"] = values
    return TensorV(t.shape, t.dtype, t.prov, t.contiguous, meta)


def without_values(t: TensorV) -> TensorV:
    if not t.meta or "values" not in t.meta:
        return t
    meta = {k: x for k, x in t.meta.items() if k != "values"}
    return TensorV(t.shape, t.dtype, t.prov, t.contiguous, meta or None)


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
    lengths = {len(o) for o in operands if isinstance(o, list)}
    if len(lengths) > 1:
        return None
    try:
        if not lengths:
            return cast(fn(*operands), dtype)
        n = lengths.pop()
        return [cast(fn(*[o[i] if isinstance(o, list) else o for o in operands]), dtype) for i in range(n)]
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


def op_values(name: str, args: tuple[Value, ...], result: Value) -> Value:
    """`result` of rule `name` with its elements when every operand's are known."""
    if not isinstance(result, TensorV):
        return result
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
    if op in BINARY and len(args) >= 2 and vals[0] is not None and vals[1] is not None:
        a, b = (vals[1], vals[0]) if reverse else (vals[0], vals[1])
        if op in ("add", "sub") and len(args) > 2:
            return without_values(result)
        out = elementwise(BINARY[op], [a, b], result.dtype)
    elif op in UNARY and args and vals[0] is not None and isinstance(args[0], TensorV):
        out = elementwise(UNARY[op], [vals[0]], result.dtype)
    if out is None:
        return without_values(result)
    return with_values(result, out)


def arange_values(args: tuple[Value, ...], kwargs: dict[str, Value], result: Value) -> Value:
    if not isinstance(result, TensorV):
        return result
    nums = [as_const(a) for a in args[:3]]
    if any(not isinstance(n, (int, float)) or isinstance(n, bool) for n in nums) or not nums:
        return result
    start, end, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) > 2 else 1)
    if step == 0 or abs((end - start) / step) > MAX_ELEMENTS:
        return result
    out, x, i = [], start, 0
    while (step > 0 and x < end) or (step < 0 and x > end):
        out.append(cast(x, result.dtype))
        i += 1
        x = start + i * step
    if result.shape is None or len(result.shape) != 1 or result.shape[0].value != len(out):
        return result
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
    out = [cast(b - a, t.dtype) for a, b in zip(vals, vals[1:])]
    return TensorV((Dim.const(len(out)),), t.dtype, meta={"values": out})


def to_python(t: TensorV) -> Value:
    """`.tolist()` / `.item()` of a tensor with known elements."""
    vals = values_of(t)
    if vals is None:
        return MISSING
    if isinstance(vals, list):
        return ListV([const_of(v) for v in vals])
    return const_of(vals)
