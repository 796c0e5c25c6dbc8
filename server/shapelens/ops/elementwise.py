"""Elementwise arithmetic and comparison with broadcasting, in-place forms, and conversions
that keep the shape (to/float/long/detach/...)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import eq
from shapelens.ops.common import broadcast_shapes, fmt, same, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, IntV, TensorV, TorchRef, UnknownV, Value, as_const

FLOAT_ORDER = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def promote(a: str | None, b: str | None) -> str | None:
    """torch.promote_types for two tensor dtypes (None when either is unknown)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a not in FLOAT_ORDER or b not in FLOAT_ORDER:
        return None
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return max(a, b, key=FLOAT_ORDER.index)


def _dtype_of(v: Value) -> str | None:
    if isinstance(v, TensorV):
        return v.dtype
    if isinstance(v, IntV):
        return "int_scalar"
    c = as_const(v)
    if isinstance(c, bool):
        return "bool_scalar"
    if isinstance(c, float):
        return "float_scalar"
    return None


def result_dtype(a: Value, b: Value, op: str) -> str | None:
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return "bool"
    da, db = _dtype_of(a), _dtype_of(b)
    tensors = [d for d in (da, db) if d is not None and not d.endswith("_scalar")]
    if da is None or db is None:
        return None
    if op == "truediv":
        base = tensors[0] if len(tensors) == 1 else (max(tensors, key=FLOAT_ORDER.index) if all(t in FLOAT_ORDER for t in tensors) else None)
        return base if base is not None and base.startswith(("float", "bfloat")) else "float32"
    if len(tensors) == 2:
        if tensors[0] == tensors[1]:
            return tensors[0]
        if all(t in FLOAT_ORDER for t in tensors):
            return max(tensors, key=FLOAT_ORDER.index)
        return None
    t = tensors[0]
    other = db if da == t else da
    if other == "float_scalar" and t in ("bool", "uint8", "int8", "int16", "int32", "int64"):
        return "float32"
    return t


def binary(ctx, a: Value, b: Value, op: str, inplace: bool = False) -> TensorV:
    if not isinstance(a, TensorV) and not isinstance(b, TensorV):
        raise NotUnderstood("no tensor operand")
    for v in (a, b):
        if not isinstance(v, (TensorV, IntV, Const)) or (isinstance(v, Const) and not isinstance(v.value, (int, float, bool, complex))):
            raise NotUnderstood("an operand is not a known tensor or number")
    sa = a.shape if isinstance(a, TensorV) else ()
    sb = b.shape if isinstance(b, TensorV) else ()
    dtype = result_dtype(a, b, op)
    if sa is None or sb is None:
        return TensorV(None, dtype)
    out = broadcast_shapes(ctx, sa, sb)
    if inplace and isinstance(a, TensorV) and len(out) != len(sa) or (inplace and isinstance(a, TensorV) and any(eq(x, y) is False for x, y in zip(out, sa))):
        ctx.fail(codes.BROADCAST, f"output with shape {fmt(sa)} doesn't match the broadcast shape {fmt(out)}")
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        _silent_broadcast(ctx, sa, sb, out)
    if inplace and isinstance(a, TensorV):
        return TensorV(sa, a.dtype)
    return TensorV(out, dtype)


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
    "mod": "__mod__ __rmod__ remainder fmod", "pow": "__pow__ __rpow__ pow float_power",
    "and": "__and__ __rand__ bitwise_and logical_and", "or": "__or__ __ror__ bitwise_or logical_or",
    "xor": "__xor__ __rxor__ bitwise_xor logical_xor", "lshift": "__lshift__", "rshift": "__rshift__",
    "eq": "__eq__ eq", "ne": "__ne__ ne not_equal", "lt": "__lt__ lt less", "le": "__le__ le less_equal",
    "gt": "__gt__ gt greater", "ge": "__ge__ ge greater_equal",
    "maximum": "maximum fmax", "minimum": "minimum fmin", "atan2": "atan2 arctan2", "hypot": "hypot",
}


def _make(opname: str):
    def rule(ctx, input, other, *args, **kwargs):
        return binary(ctx, input, other, opname)

    def rule_inplace(ctx, input, other, *args, **kwargs):
        return binary(ctx, input, other, opname, inplace=True)

    return rule, rule_inplace


for _op, _names in _BIN.items():
    _rule, _rule_inplace = _make(_op)
    names = []
    for n in _names.split():
        if n.startswith("__"):
            names.append(f"torch.Tensor.{n}")
        else:
            names += [f"torch.{n}", f"torch.Tensor.{n}"]
    op(*names)(_rule)
    inplace_names = []
    for n in _names.split():
        if n.startswith("__") and not n.startswith("__r"):
            inplace_names.append(f"torch.Tensor.__i{n[2:]}")
        elif not n.startswith("__") and _op not in ("eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum", "atan2", "hypot"):
            inplace_names.append(f"torch.Tensor.{n}_")
    if inplace_names:
        op(*inplace_names)(_rule_inplace)


def _unary_same(ctx, input, *args, **kwargs):
    return same(tensor(input))


UNARY = ("neg negative abs absolute exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos tan asin acos atan sinh cosh "
         "asinh acosh atanh ceil floor round trunc frac sign sgn reciprocal square erf erfc erfinv lgamma digamma "
         "sigmoid logit clamp clip clamp_min clamp_max nan_to_num bitwise_not logical_not isnan isinf isfinite "
         "signbit positive conj deg2rad rad2deg")
_un_names = []
for n in UNARY.split():
    _un_names += [f"torch.{n}", f"torch.Tensor.{n}"]
    if n not in ("isnan", "isinf", "isfinite", "signbit", "positive", "conj"):
        _un_names.append(f"torch.Tensor.{n}_")
_un_names += ["torch.Tensor.__neg__", "torch.Tensor.__pos__", "torch.Tensor.__invert__", "torch.Tensor.__abs__"]
op(*dict.fromkeys(n for n in _un_names if n not in ("torch.sigmoid", "torch.Tensor.sigmoid", "torch.Tensor.sigmoid_")))(_unary_same)

_BOOL_RESULT = {"isnan", "isinf", "isfinite", "signbit", "logical_not"}


DTYPE_NAMES = {
    "float": "float32", "float32": "float32", "double": "float64", "float64": "float64", "half": "float16",
    "float16": "float16", "bfloat16": "bfloat16", "long": "int64", "int64": "int64", "int": "int32", "int32": "int32",
    "short": "int16", "int16": "int16", "int8": "int8", "char": "int8", "uint8": "uint8", "byte": "uint8",
    "bool": "bool", "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128",
}


def dtype_from(v: Value) -> str | None:
    if isinstance(v, TorchRef) and v.qualname.startswith("torch."):
        return DTYPE_NAMES.get(v.qualname[6:])
    return None


def _make_cast(dtype: str):
    def rule(ctx, self, *args, **kwargs):
        x = tensor(self)
        return TensorV(x.shape, dtype, meta=x.meta)

    return rule


for _meth, _dt in {"float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16", "long": "int64",
                   "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool"}.items():
    op(f"torch.Tensor.{_meth}")(_make_cast(_dt))


@op("torch.Tensor.to")
def to(ctx, self, *args, **kwargs):
    x = tensor(self)
    dtype = x.dtype
    for a in list(args) + [kwargs.get("dtype")]:
        if a is None:
            continue
        if isinstance(a, TensorV):
            dtype = a.dtype
        d = dtype_from(a)
        if d is not None:
            dtype = d
        elif isinstance(a, UnknownV):
            pass
    return TensorV(x.shape, dtype, contiguous=x.contiguous, meta=x.meta)


@op("torch.Tensor.type")
def type_(ctx, self, dtype=None, non_blocking=False, **kwargs):
    x = tensor(self)
    if dtype is None:
        raise NotUnderstood("type() without a dtype returns a string")
    return TensorV(x.shape, dtype_from(dtype), meta=x.meta)


@op("torch.Tensor.type_as")
def type_as(ctx, self, other):
    x = tensor(self)
    return TensorV(x.shape, other.dtype if isinstance(other, TensorV) else None, meta=x.meta)


@op("torch.Tensor.cuda", "torch.Tensor.cpu", "torch.Tensor.detach", "torch.Tensor.clone", "torch.detach", "torch.clone",
    "torch.Tensor.requires_grad_", "torch.Tensor.detach_", "torch.Tensor.pin_memory", "torch.Tensor.share_memory_",
    "torch.Tensor.retain_grad", "torch.Tensor.zero_", "torch.Tensor.fill_", "torch.Tensor.normal_", "torch.Tensor.uniform_",
    "torch.Tensor.copy_", "torch.Tensor.bernoulli_", "torch.Tensor.masked_fill_", "torch.Tensor.add_module_hooks")
def keep(ctx, self, *args, **kwargs):
    x = tensor(self)
    return TensorV(x.shape, x.dtype, contiguous=x.contiguous, meta=x.meta)


@op("torch.where", "torch.Tensor.where")
def where(ctx, condition, input=None, other=None):
    c = tensor(condition, "condition")
    if input is None and other is None:
        raise NotUnderstood("where(condition) returns index tensors of data-dependent length")
    shapes = [c.shape] + [v.shape if isinstance(v, TensorV) else () for v in (input, other)]
    if any(s is None for s in shapes):
        return TensorV(None, None)
    out = broadcast_shapes(ctx, shapes[0], shapes[1])  # type: ignore[arg-type]
    out = broadcast_shapes(ctx, out, shapes[2])  # type: ignore[arg-type]
    dt = result_dtype(input, other, "add") if input is not None and other is not None else None
    return TensorV(out, dt)


@op("torch.Tensor.masked_fill", "torch.masked_fill")
def masked_fill(ctx, input, mask, value):
    x, m = tensor(input), tensor(mask, "mask")
    if x.shape is None or m.shape is None:
        return TensorV(x.shape, x.dtype)
    out = broadcast_shapes(ctx, x.shape, m.shape)
    if len(out) != len(x.shape) or any(eq(a, b) is False for a, b in zip(out, x.shape)):
        ctx.fail(codes.BROADCAST, f"masked_fill: the mask {fmt(m.shape)} does not broadcast to the tensor's shape {fmt(x.shape)}")
    return TensorV(x.shape, x.dtype)
