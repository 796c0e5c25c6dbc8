"""Elementwise arithmetic and comparison with broadcasting and torch's type promotion
(dimensioned tensors > 0-dim tensors > Python numbers, by category bool < int < float < complex),
reflected and in-place forms (an in-place op may neither grow self nor change its dtype
category), where/clamp/lerp/addcmul/addcdiv/masked_fill, and conversions that keep the shape
(to/float/long/type/type_as/detach/...)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import eq
from shapelens.ops.common import broadcast_shapes, fmt, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.ops.reshape import fresh_layout
from shapelens.values import Const, IntV, TensorV, TorchRef, UnknownV, Value, as_const

FLOAT_ORDER = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
_COMPLEX = ("complex64", "complex128")
_INTS = ("uint8", "int8", "int16", "int32", "int64")


def category(dt: str | None) -> int | None:
    """0 bool, 1 integral, 2 floating, 3 complex."""
    if dt is None:
        return None
    if dt == "bool":
        return 0
    if dt in _INTS:
        return 1
    if dt in _COMPLEX:
        return 3
    return 2


def promote(a: str | None, b: str | None) -> str | None:
    """torch.promote_types for two dtypes (None when either is unknown)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a in _COMPLEX or b in _COMPLEX:
        if "complex128" in (a, b) or "float64" in (a, b):
            return "complex128"
        return "complex64"
    if a not in FLOAT_ORDER or b not in FLOAT_ORDER:
        return None
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return max(a, b, key=FLOAT_ORDER.index)


def _skip_undef(a: str | None, b: str | None) -> str | None:
    if a == "": return b  # noqa: E701
    if b == "": return a  # noqa: E701
    return promote(a, b)


def _combine(higher: str | None, lower: str | None) -> str | None:
    """torch's combine_categories ("" is undefined, None unknown)."""
    if higher is None or lower is None:
        return None
    if category(higher) == 3 if higher else False:
        return higher
    if lower and category(lower) == 3:
        if higher and category(higher) == 2:
            return "complex128" if higher == "float64" else "complex64"
        return lower
    if higher and category(higher) == 2:
        return higher
    if higher == "bool" or (lower and category(lower) == 2):
        return _skip_undef(higher, lower)
    if higher:
        return higher
    return lower


def result_type(*operands: Value | None) -> str | None:
    """torch.result_type over tensors and Python numbers (None: unknown)."""
    dim_r: str | None = ""
    zero_r: str | None = ""
    wrapped: str | None = ""
    for v in operands:
        if v is None:
            continue
        if isinstance(v, TensorV):
            if v.dtype is None:
                return None
            if v.shape is None:
                return None
            if len(v.shape) == 0:
                zero_r = _skip_undef(zero_r, v.dtype)
            else:
                dim_r = _skip_undef(dim_r, v.dtype)
            continue
        c = as_const(v)
        if isinstance(c, bool):
            wrapped = _skip_undef(wrapped, "bool")
        elif isinstance(c, int) or isinstance(v, IntV):
            wrapped = _skip_undef(wrapped, "int64")
        elif isinstance(c, float):
            wrapped = _skip_undef(wrapped, "float32")  # the default dtype
        elif isinstance(c, complex):
            wrapped = _skip_undef(wrapped, "complex64")
        else:
            return None
    out = _combine(dim_r, _combine(zero_r, wrapped))
    return out or None


def _is_number(v: Value | None) -> bool:
    return isinstance(v, IntV) or (isinstance(v, Const) and isinstance(v.value, (int, float, bool, complex)))


def _shape_of(v: Value | None):
    if isinstance(v, TensorV):
        return v.shape
    return ()


def broadcast_all(ctx, values: list[Value | None], what: str = "") -> tuple | None:
    shapes = [_shape_of(v) for v in values if v is not None]
    if any(s is None for s in shapes):
        return None
    out: tuple = ()
    for s in shapes:
        out = broadcast_shapes(ctx, out, s, what)
    return out


def check_inplace(ctx, self: TensorV, out_shape: tuple | None, out_dtype: str | None, name: str) -> TensorV:
    """An in-place op writes into self: the broadcast shape must be self's and the result dtype
    must cast to self's without moving to a higher category."""
    if out_shape is not None and self.shape is not None:
        if len(out_shape) != len(self.shape) or any(eq(a, b) is False for a, b in zip(out_shape, self.shape)):
            ctx.fail(codes.BROADCAST, f"{name}: output with shape {fmt(self.shape)} doesn't match the broadcast shape {fmt(out_shape)}")
    ca, cb = category(out_dtype), category(self.dtype)
    if ca is not None and cb is not None and ca > cb:
        ctx.fail(codes.DTYPE, f"{name}: result type {out_dtype} can't be cast to the desired output type {self.dtype}")
    return TensorV(self.shape, self.dtype, contiguous=self.contiguous, meta=self.meta)


_CMP = ("eq", "ne", "lt", "le", "gt", "ge")
_LOGICAL = ("logical_and", "logical_or", "logical_xor")
_BITWISE = ("and", "or", "xor", "lshift", "rshift")
_TENSOR_ONLY = ("maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "nextafter", "ldexp", "logical_and", "logical_or",
                "logical_xor")
_TO_FLOAT = ("truediv", "atan2", "hypot", "float_power", "xlogy", "copysign", "ldexp")


def binary(ctx, a: Value, b: Value, op: str, inplace: bool = False) -> TensorV:
    if not isinstance(a, TensorV) and not isinstance(b, TensorV):
        raise NotUnderstood("no tensor operand")
    for v in (a, b):
        if not isinstance(v, TensorV) and not _is_number(v):
            raise NotUnderstood("an operand is not a known tensor or number")
    if op in _TENSOR_ONLY and not (isinstance(a, TensorV) and isinstance(b, TensorV)):
        ctx.fail(codes.ARGUMENTS, f"{op}(): argument 'other' must be a Tensor, not a number")
    rt = result_type(a, b)
    def is_bool(v: Value) -> bool:
        return (isinstance(v, TensorV) and v.dtype == "bool") or (isinstance(v, Const) and isinstance(v.value, bool))

    if op == "sub" and any(is_bool(v) for v in (a, b)):
        both = all(is_bool(v) for v in (a, b))
        ctx.fail(codes.DTYPE, "Subtraction, the `-` operator, with " + ("two bool tensors" if both else "a bool tensor") +
                 " is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if op in _BITWISE and category(rt) is not None and category(rt) >= 2:  # type: ignore[operator]
        ctx.fail(codes.DTYPE, f"bitwise {op} is only supported for integer and bool tensors, but the operands give {rt}")
    if op == "hypot" and category(rt) is not None and category(rt) <= 1:  # type: ignore[operator]
        ctx.fail(codes.DTYPE, f"hypot is only implemented for floating point tensors, but the operands give {rt}")
    if op in ("lshift", "rshift") and (rt == "bool" or isinstance(a, TensorV) and (
            a.dtype == "bool" or (isinstance(b, TensorV) and b.dtype == "bool"))):
        ctx.fail(codes.DTYPE, f"{op}: Expected input tensor to have an integral dtype. Got bool")
    if op == "pow" and rt == "bool" and isinstance(b, TensorV):  # bool ** number takes a shortcut
        ctx.fail(codes.DTYPE, "pow is not implemented for bool tensors")
    if op == "floordiv" and rt == "bool":
        ctx.fail(codes.DTYPE, "floor_divide is not implemented for bool tensors")
    if op in _CMP or op in _LOGICAL:
        dtype = "bool"
    elif op in _TO_FLOAT:
        dtype = rt if rt is None or category(rt) >= 2 else "float32"  # type: ignore[operator]
        if op == "float_power" and dtype is not None:
            dtype = "complex128" if category(dtype) == 3 else "float64"
    else:
        dtype = rt
    sa, sb = _shape_of(a), _shape_of(b)
    if sa is None or sb is None:
        if inplace and isinstance(a, TensorV):
            return check_inplace(ctx, a, None, dtype, op + "_")
        return TensorV(None, dtype)
    out = broadcast_shapes(ctx, sa, sb)
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        _silent_broadcast(ctx, sa, sb, out)
    if inplace and isinstance(a, TensorV):
        if op == "float_power" and dtype is not None and a.dtype is not None and a.dtype != dtype:
            ctx.fail(codes.DTYPE, f"the base given to float_power_ has dtype {a.dtype} but the operation's result requires dtype {dtype}")
        return check_inplace(ctx, a, out, dtype, op + "_")
    return fresh_layout(out, dtype, [v for v in (a, b) if isinstance(v, TensorV)])


def _silent_broadcast(ctx, sa, sb, out) -> None:
    """(B,) with (B, 1) gives (B, B): legal, and almost always a bug (predictions vs targets)."""
    if len(out) != 2 or not (len(sa) == 1 or len(sb) == 1):
        return
    vec, mat = (sa, sb) if len(sa) == 1 else (sb, sa)
    if len(mat) == 2 and eq(mat[1], 1) is True and eq(vec[0], 1) is False and eq(mat[0], vec[0]) is True:
        ctx.warn(codes.SILENT_BROADCAST,
                 f"broadcasting {fmt(sa)} with {fmt(sb)} gives {fmt(out)}: a vector against a column makes a matrix; "
                 f"squeeze the column or unsqueeze the vector if elementwise was meant")


_BIN = {
    "add": "__add__ __radd__ add", "sub": "__sub__ __rsub__ sub subtract", "mul": "__mul__ __rmul__ mul multiply",
    "truediv": "__truediv__ __rtruediv__ div divide true_divide", "floordiv": "__floordiv__ __rfloordiv__ floor_divide",
    "mod": "__mod__ __rmod__ remainder fmod", "pow": "__pow__ __rpow__ pow", "float_power": "float_power",
    "and": "__and__ __rand__ bitwise_and", "or": "__or__ __ror__ bitwise_or", "xor": "__xor__ __rxor__ bitwise_xor",
    "lshift": "__lshift__ __rlshift__ bitwise_left_shift", "rshift": "__rshift__ __rrshift__ bitwise_right_shift",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "eq": "__eq__ eq", "ne": "__ne__ ne not_equal", "lt": "__lt__ lt less", "le": "__le__ le less_equal",
    "gt": "__gt__ gt greater", "ge": "__ge__ ge greater_equal",
    "maximum": "maximum", "minimum": "minimum", "fmax": "fmax", "fmin": "fmin", "atan2": "atan2 arctan2", "hypot": "hypot",
    "xlogy": "xlogy", "copysign": "copysign", "nextafter": "nextafter", "ldexp": "ldexp",
}
_REFLECTED = {"__rsub__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__rpow__", "__rlshift__", "__rrshift__"}
_NO_INPLACE = set(_CMP) | {"maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "nextafter"}


def _make(opname: str, reflected: bool = False):
    def rule(ctx, input, other, *args, **kwargs):
        if reflected:  # x.__rsub__(y) is y - x: keep the operands in order for messages and dtypes
            return binary(ctx, other, input, opname)
        return binary(ctx, input, other, opname)

    def rule_inplace(ctx, input, other, *args, **kwargs):
        return binary(ctx, tensor(input), other, opname, inplace=True)

    return rule, rule_inplace


for _op, _names in _BIN.items():
    _rule, _rule_inplace = _make(_op)
    _rule_r, _ = _make(_op, reflected=True)
    names, rnames, inplace_names = [], [], []
    for n in _names.split():
        if n in _REFLECTED:
            rnames.append(f"torch.Tensor.{n}")
        elif n.startswith("__r") and n != "__rshift__":
            names.append(f"torch.Tensor.{n}")  # commutative reflections
        elif n.startswith("__"):
            names.append(f"torch.Tensor.{n}")
            if _op not in _NO_INPLACE:
                inplace_names.append(f"torch.Tensor.__i{n[2:]}")
        else:
            names += [f"torch.{n}", f"torch.Tensor.{n}"]
            if _op not in _NO_INPLACE or n in ("eq", "ne", "lt", "le", "gt", "ge"):
                inplace_names.append(f"torch.Tensor.{n}_")
    op(*names)(_rule)
    if rnames:
        op(*rnames)(_rule_r)
    if inplace_names:
        op(*inplace_names)(_rule_inplace)


# Unary ops. Those computed in floating point turn integer inputs into the default float dtype.
_FLOAT_UNARY = ("exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos tan asin acos atan sinh cosh asinh acosh atanh "
                "erf erfc erfinv lgamma digamma logit reciprocal deg2rad rad2deg sinc i0").split()
_SAME_UNARY = ("neg negative abs absolute ceil floor round trunc frac sign sgn square nan_to_num bitwise_not positive "
               "conj fix").split()
_NO_BOOL = {"neg", "negative", "abs", "absolute", "ceil", "floor", "round", "trunc", "frac", "positive", "fix"}
_BOOL_UNARY = ("isnan isinf isfinite signbit logical_not isposinf isneginf isreal").split()


def _unary(kind: str, name: str):
    def rule(ctx, input, *args, **kwargs):
        x = tensor(input)
        if kind == "bool":
            return fresh_layout(x.shape, "bool", [x])
        if name in ("neg", "negative") and x.dtype == "bool":
            ctx.fail(codes.DTYPE, "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                                  "mask, use the `~` or `logical_not()` operator instead.")
        if x.dtype == "bool" and name in _NO_BOOL:
            ctx.fail(codes.DTYPE, f"{name} is not implemented for bool tensors ({ctx.arg_text(0)})")
        if name == "frac" and x.dtype in _INTS:
            ctx.fail(codes.DTYPE, f"frac is only implemented for floating point tensors, but {ctx.arg_text(0)} is {x.dtype}")
        if name == "bitwise_not" and category(x.dtype) is not None and category(x.dtype) >= 2:  # type: ignore[operator]
            ctx.fail(codes.DTYPE, f"bitwise_not is only supported for integer and bool tensors, but {ctx.arg_text(0)} is {x.dtype}")
        dtype = x.dtype
        if name == "square" and dtype == "bool":
            dtype = "int64"  # square is pow(x, 2)
        if kind == "float" and dtype is not None and category(dtype) <= 1:  # type: ignore[operator]
            dtype = "float32"
        return fresh_layout(x.shape, dtype, [x])

    def rule_inplace(ctx, input, *args, **kwargs):
        x = tensor(input)
        out = rule(ctx, input, *args, **kwargs)
        return check_inplace(ctx, x, x.shape, out.dtype, name + "_")

    return rule, rule_inplace


for _kind, _names_ in (("float", _FLOAT_UNARY), ("same", _SAME_UNARY), ("bool", _BOOL_UNARY)):
    for _n in _names_:
        _r, _ri = _unary(_kind, _n)
        op(f"torch.{_n}", f"torch.Tensor.{_n}")(_r)
        if _kind != "bool" or _n == "logical_not":
            op(f"torch.Tensor.{_n}_")(_ri)
_r, _ = _unary("same", "neg")
op("torch.Tensor.__neg__")(_r)
_r, _ = _unary("same", "bitwise_not")
op("torch.Tensor.__invert__")(_r)
_r, _ = _unary("same", "abs")
op("torch.Tensor.__abs__", "torch.Tensor.__pos__")(_r)


DTYPE_NAMES = {
    "float": "float32", "float32": "float32", "double": "float64", "float64": "float64", "half": "float16",
    "float16": "float16", "bfloat16": "bfloat16", "long": "int64", "int64": "int64", "int": "int32", "int32": "int32",
    "short": "int16", "int16": "int16", "int8": "int8", "char": "int8", "uint8": "uint8", "byte": "uint8",
    "bool": "bool", "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
}
_TYPE_STRINGS = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16", "BFloat16Tensor": "bfloat16",
                 "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8",
                 "ByteTensor": "uint8", "BoolTensor": "bool"}


def dtype_from(v: Value | None) -> str | None:
    if isinstance(v, TorchRef) and v.qualname.startswith("torch."):
        return DTYPE_NAMES.get(v.qualname[6:])
    c = as_const(v)
    if isinstance(c, str):  # x.type("torch.cuda.FloatTensor")
        return _TYPE_STRINGS.get(c.rsplit(".", 1)[-1])
    return None


def _make_cast(dtype: str):
    def rule(ctx, self, memory_format=None):
        x = tensor(self)
        return converted(x, dtype)

    return rule


for _meth, _dt in {"float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16", "long": "int64",
                   "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
                   "cfloat": "complex64", "cdouble": "complex128"}.items():
    op(f"torch.Tensor.{_meth}")(_make_cast(_dt))


def converted(x: TensorV, dtype: str | None) -> TensorV:
    """A dtype conversion: the tensor itself when nothing changes, else a copy that keeps the
    layout (preserve_format)."""
    if dtype is not None and dtype == x.dtype:
        return TensorV(x.shape, x.dtype, contiguous=x.contiguous, meta=x.meta)
    return fresh_layout(x.shape, dtype, [x], meta=x.meta)


@op("torch.Tensor.to")
def to(ctx, self, *args, **kwargs):
    x = tensor(self)
    dtype = x.dtype
    for a in list(args) + [kwargs.get("dtype"), kwargs.get("other")]:
        if a is None:
            continue
        if isinstance(a, TensorV):
            dtype = a.dtype
            continue
        d = dtype_from(a)
        if d is not None:
            dtype = d
        elif isinstance(a, TorchRef) and a.qualname.startswith("torch.") and a.qualname[6:] not in ("device",):
            dtype = None  # a dtype we do not name
        elif isinstance(a, UnknownV):
            pass
    return converted(x, dtype)


@op("torch.Tensor.type")
def type_(ctx, self, dtype=None, non_blocking=False, **kwargs):
    x = tensor(self)
    if dtype is None:
        raise NotUnderstood("type() without a dtype returns a string")
    return converted(x, dtype_from(dtype))


@op("torch.Tensor.type_as")
def type_as(ctx, self, other):
    x = tensor(self)
    return converted(x, other.dtype if isinstance(other, TensorV) else None)


@op("torch.Tensor.clone", "torch.clone")
def clone(ctx, input, *, memory_format=None):
    x = tensor(input)
    if memory_format is not None and not (isinstance(memory_format, TorchRef) and memory_format.qualname == "torch.preserve_format"):
        if isinstance(memory_format, TorchRef) and memory_format.qualname == "torch.contiguous_format":
            return TensorV(x.shape, x.dtype, meta={k: v for k, v in (x.meta or {}).items() if k != "strides"} or None)
        raise NotUnderstood("clone with a memory format")
    return fresh_layout(x.shape, x.dtype, [x], meta=x.meta)


@op("torch.Tensor.cuda", "torch.Tensor.cpu", "torch.Tensor.detach", "torch.detach", "torch.Tensor.requires_grad_", "torch.Tensor.detach_", "torch.Tensor.pin_memory", "torch.Tensor.share_memory_",
    "torch.Tensor.retain_grad", "torch.Tensor.zero_", "torch.Tensor.fill_", "torch.Tensor.normal_", "torch.Tensor.uniform_",
    "torch.Tensor.bernoulli_", "torch.Tensor.exponential_", "torch.Tensor.random_", "torch.Tensor.cauchy_",
    "torch.Tensor.log_normal_", "torch.Tensor.geometric_")
def keep(ctx, self, *args, **kwargs):
    x = tensor(self)
    return TensorV(x.shape, x.dtype, contiguous=x.contiguous, meta=x.meta)


@op("torch.Tensor.copy_")
def copy_(ctx, self, src, non_blocking=False):
    x, s = tensor(self), tensor(src, "src")
    if x.shape is not None and s.shape is not None:
        out = broadcast_shapes(ctx, x.shape, s.shape, f"copy_ of {fmt(s.shape)} into {fmt(x.shape)}")
        if len(out) != len(x.shape) or any(eq(a, b) is False for a, b in zip(out, x.shape)):
            ctx.fail(codes.BROADCAST, f"copy_: the source {fmt(s.shape)} does not broadcast to the destination's shape {fmt(x.shape)}")
    return TensorV(x.shape, x.dtype, contiguous=x.contiguous, meta=x.meta)


@op("torch.Tensor.where")
def where_method(ctx, self, condition, other):
    return where(ctx, condition, self, other)


@op("torch.where")
def where(ctx, condition, input=None, other=None):
    c = tensor(condition, "condition")
    if input is None and other is None:
        from shapelens.ops.gather import nonzero_shape

        return nonzero_shape(ctx, c, True)
    if input is None or other is None:
        raise NotUnderstood("where with one of input/other missing")
    if c.dtype is not None and c.dtype not in ("bool", "uint8"):
        ctx.fail(codes.DTYPE, f"where expected condition to be a boolean tensor, but got a tensor with dtype {c.dtype}")
    for v in (input, other):
        if not isinstance(v, TensorV) and not _is_number(v):
            raise NotUnderstood("where: an operand is not a known tensor or number")
    out = broadcast_all(ctx, [c, input, other], "torch.where")
    return fresh_layout(out, result_type(input, other), [t for t in (c, input, other) if isinstance(t, TensorV)])


@op("torch.clamp", "torch.Tensor.clamp", "torch.clip", "torch.Tensor.clip")
def clamp(ctx, input, min=None, max=None, *, out=None):
    x = tensor(input)
    if min is None and max is None:
        ctx.fail(codes.ARGUMENTS, "torch.clamp: At least one of 'min' or 'max' must not be None")
    for v in (min, max):
        if v is not None and not isinstance(v, TensorV) and not _is_number(v):
            raise NotUnderstood("clamp bound is not a known tensor or number")
    shape = broadcast_all(ctx, [x, min, max], "clamp")
    rt = result_type(x, min, max)
    if rt == "bool" and min is not None and max is not None:  # (clamp_min/clamp_max kernels take bool)
        ctx.fail(codes.DTYPE, f"clamp is not implemented for bool tensors ({ctx.arg_text(0)})")
    return fresh_layout(shape, rt, [t for t in (x, min, max) if isinstance(t, TensorV)])


@op("torch.Tensor.clamp_", "torch.Tensor.clip_", "torch.clamp_", "torch.clip_")
def clamp_(ctx, input, min=None, max=None):
    x = tensor(input)
    r = clamp(ctx, input, min, max)
    return check_inplace(ctx, x, r.shape, r.dtype, "clamp_")


@op("torch.clamp_min", "torch.Tensor.clamp_min", "torch.clamp_max", "torch.Tensor.clamp_max")
def clamp_min(ctx, input, other):
    return clamp(ctx, input, other, None)


@op("torch.Tensor.clamp_min_", "torch.Tensor.clamp_max_")
def clamp_min_(ctx, input, other):
    return clamp_(ctx, input, other, None)


@op("torch.lerp", "torch.Tensor.lerp")
def lerp(ctx, input, end, weight, *, out=None):
    x, e = tensor(input), tensor(end, "end")
    # A 0-dim weight is read as a scalar of its own dtype: only `end` must then match the input.
    def ranked(t: Value | None) -> bool:
        return isinstance(t, TensorV) and t.shape is not None and len(t.shape) > 0

    for what, t in (("end", e), ("weight", weight)) if ranked(weight) else (("end", e),):
        if isinstance(t, TensorV) and x.dtype is not None and t.dtype is not None and x.dtype != t.dtype:
            ctx.fail(codes.DTYPE, f"lerp: expected dtype {x.dtype} for `{what}` but got dtype {t.dtype}")
    zero_dim_weight = isinstance(weight, TensorV) and not ranked(weight)  # read as a scalar of its own dtype
    shape = broadcast_all(ctx, [x, e, weight if isinstance(weight, TensorV) else None], "lerp")
    dtype = result_type(x, e, weight) if zero_dim_weight else x.dtype
    if category(dtype) is not None and category(dtype) <= 1:  # type: ignore[operator]
        ctx.fail(codes.DTYPE, f"lerp is only implemented for floating point tensors, but the operands give {dtype}")
    return fresh_layout(shape, dtype, [t for t in (x, e, weight) if isinstance(t, TensorV)])


@op("torch.Tensor.lerp_")
def lerp_(ctx, input, end, weight):
    x = tensor(input)
    r = lerp(ctx, input, end, weight)
    return check_inplace(ctx, x, r.shape, r.dtype, "lerp_")


def _addc(ctx, name: str, input, tensor1, tensor2) -> TensorV:
    x, a, b = tensor(input), tensor(tensor1, "tensor1"), tensor(tensor2, "tensor2")
    if name == "addcdiv" and all(category(t.dtype) is not None and category(t.dtype) <= 1 for t in (a, b)):  # type: ignore[operator]
        ctx.fail(codes.DTYPE, "Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
                              "perform a true division of tensor1 and tensor2.")
    shape = broadcast_all(ctx, [x, a, b], name)
    rt = result_type(x, a, b)
    if rt == "bool":
        ctx.fail(codes.DTYPE, f"{name} is not implemented for bool tensors")
    return fresh_layout(shape, rt, [x, a, b])


@op("torch.addcmul", "torch.Tensor.addcmul")
def addcmul(ctx, input, tensor1, tensor2, *, value=1, out=None):
    return _addc(ctx, "addcmul", input, tensor1, tensor2)


@op("torch.addcdiv", "torch.Tensor.addcdiv")
def addcdiv(ctx, input, tensor1, tensor2, *, value=1, out=None):
    return _addc(ctx, "addcdiv", input, tensor1, tensor2)


@op("torch.Tensor.addcmul_", "torch.Tensor.addcdiv_")
def addc_(ctx, input, tensor1, tensor2, *, value=1):
    x = tensor(input)
    r = _addc(ctx, "addcmul", input, tensor1, tensor2)
    return check_inplace(ctx, x, r.shape, r.dtype, "addcmul_")


def _masked(ctx, input, mask, value) -> tuple[TensorV, tuple | None]:
    x, m = tensor(input), tensor(mask, "mask")
    if m.dtype is not None and m.dtype != "bool":
        ctx.fail(codes.DTYPE, f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    if isinstance(value, TensorV) and value.shape is not None and len(value.shape) != 0:
        ctx.fail(codes.ARGUMENTS, f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                                  f"{len(value.shape)} dimension(s)")
    if x.shape is None or m.shape is None:
        return x, None
    return x, broadcast_shapes(ctx, x.shape, m.shape, f"masked_fill of {fmt(x.shape)} with mask {fmt(m.shape)}")


@op("torch.Tensor.masked_fill", "torch.masked_fill")
def masked_fill(ctx, input, mask, value):
    x, shape = _masked(ctx, input, mask, value)
    return TensorV(shape, x.dtype)  # torch fills a contiguous clone


@op("torch.Tensor.masked_fill_")
def masked_fill_(ctx, input, mask, value):
    x, shape = _masked(ctx, input, mask, value)
    return check_inplace(ctx, x, shape, x.dtype, "masked_fill_")
