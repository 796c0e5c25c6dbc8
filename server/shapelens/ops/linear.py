"""Linear family: Linear, LazyLinear, Bilinear, Identity, Flatten, Unflatten, F.linear and
F.bilinear."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import arg_const, arg_dim, arg_int, fmt, tensor
from shapelens.ops.conv import infer, param_dim, shown
from shapelens.ops.registry import Layer, layer, op
from shapelens.values import MISSING, ModuleV, TensorV, as_const, as_dim, as_seq


def _written(m: ModuleV, param: str) -> str:
    """The argument as the user wrote it, when that says more than the number (`16*14*14`)."""
    text = m.state.get("arg_texts", {}).get(param, "")
    v = arg_dim(m, param)
    if text and v is not None and text.replace(" ", "") != str(v).replace(" ", ""):
        return f" ({text})"
    return ""


def flat_factors_text(x: TensorV) -> str | None:
    f = (x.meta or {}).get("flat_factors")
    if not f or len(f) < 2:
        return None
    return " * ".join(str(d) for d in f)


def linear_features(ctx, m: ModuleV | None, x: TensorV, in_features: Dim | None, out_features: Dim | None, label: str) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    if len(x.shape) == 0:
        ctx.fail(codes.RANK, f"{label} needs an input with at least 1 dimension, got a 0-d tensor")
    if x.is_integer:
        ctx.fail(codes.DTYPE, f"{label} needs a floating-point input but {ctx.arg_text(0)} has dtype {x.dtype}")
    last = x.shape[-1]
    if in_features is not None:
        written = _written(m, "in_features") if m is not None else ""
        needed_text = flat_factors_text(x) if last.value is not None else None
        data = {"param": "in_features", "needed": last, "needed_text": needed_text} if last.is_known and last.value is not None else None
        r = eq(last, in_features)
        msg = lambda: (f"{label} expects {in_features} input features{written} but {ctx.arg_text(0)} has shape {fmt(x.shape)}"
                       + (f" ({last} features)" if len(x.shape) > 2 else ""))
        if r is False:
            ctx.fail(codes.LINEAR_FEATURES, msg(), data=data)
        ctx.require_eq(last, in_features, codes.LINEAR_FEATURES, msg)
    out = TensorV(tuple(x.shape[:-1]) + (out_features if out_features is not None else ctx.unknown_dim("out_features"),), x.dtype)
    return out


@layer("torch.nn.Linear")
class Linear(Layer):
    def build(self, ctx, in_features, out_features, bias=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.meta and x.meta.get("rnn_sequence") and x.shape is not None and len(x.shape) == 3:
            bf = x.meta.get("batch_first")  # None when the recurrent rule did not say
            ctx.warn(codes.PER_TIMESTEP,
                     f"{m.label()} receives the recurrent layer's output for every timestep {fmt(x.shape)}; "
                     f"if one vector per sample was meant, take the last step, e.g. "
                     + ("output[-1]" if bf is False else "output[:, -1, :]"), data={"batch_first": bf})
        return linear_features(ctx, m, x, arg_dim(m, "in_features"), arg_dim(m, "out_features"), m.label())

    def params(self, m: ModuleV):
        i, o = arg_dim(m, "in_features"), arg_dim(m, "out_features")
        if i is None or o is None:
            return None
        out = {"weight": (o, i)}
        if arg_const(m, "bias", True):
            out["bias"] = (o,)
        return out

    def describe(self, m: ModuleV) -> str:
        return f"Linear({arg_dim(m, 'in_features')} → {arg_dim(m, 'out_features')})"

    def input_template(self, m: ModuleV):
        i = arg_dim(m, "in_features")
        return ["B", i if i is not None else "D"]


@layer("torch.nn.Identity")
class Identity(Layer):
    def build(self, ctx, *args, **kwargs):
        return {}

    def forward(self, ctx, m, input):
        return input


@layer("torch.nn.Flatten")
class Flatten(Layer):
    def build(self, ctx, start_dim=1, end_dim=-1):
        return None

    def forward(self, ctx, m, input):
        from shapelens.ops.reshape import flatten  # input.flatten(start_dim, end_dim)

        return flatten(ctx, input, m.args.get("start_dim"), m.args.get("end_dim"))

    def describe(self, m):
        return f"Flatten({arg_int(m, 'start_dim')}, {arg_int(m, 'end_dim')})"


@op("torch.nn.functional.linear")
def f_linear(ctx, input, weight, bias=None):
    x, w = tensor(input), tensor(weight, "weight")
    if w.shape is None:
        return TensorV(None, x.dtype)
    if len(w.shape) == 2:
        return linear_features(ctx, None, x, w.shape[1], w.shape[0], "linear")
    if len(w.shape) == 1:
        return linear_features(ctx, None, x, w.shape[0], Dim.const(1), "linear").with_shape(x.shape[:-1] if x.shape else None)
    return TensorV(None, x.dtype)


@layer("torch.nn.LazyLinear")
class LazyLinear(Linear):
    """Linear whose in_features is the last dim of its first input."""

    def build(self, ctx, out_features, bias=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is not None and "in_features" not in m.state.get("inferred", {}):
            if len(x.shape) == 0:
                ctx.fail(codes.RANK, f"{m.label()} needs an input with at least 1 dimension, got a 0-d tensor {ctx.arg_text(0)}")
            infer(m, "in_features", x.shape[-1])
        return linear_features(ctx, m, x, param_dim(m, "in_features"), arg_dim(m, "out_features"), m.label())

    def params(self, m: ModuleV):
        i, o = param_dim(m, "in_features"), arg_dim(m, "out_features")
        if i is None or o is None:
            return None
        out = {"weight": (o, i)}
        if arg_const(m, "bias", True):
            out["bias"] = (o,)
        return out

    def describe(self, m: ModuleV) -> str:
        return f"LazyLinear({shown(param_dim(m, 'in_features'))} → {shown(arg_dim(m, 'out_features'))})"


def bilinear_shape(ctx, x1: TensorV, x2: TensorV, in1: Dim | None, in2: Dim | None, out: Dim | None, label: str) -> TensorV:
    if x1.shape is None or x2.shape is None:
        return TensorV(None, x1.dtype)
    a, b = x1.shape, x2.shape
    if len(a) != len(b):
        ctx.fail(codes.LINEAR_FEATURES, f"{label}: input dimensions do not match: {ctx.arg_text(0)} has shape {fmt(a)} and"
                                        f" {ctx.arg_text(1)} has shape {fmt(b)}")
    if len(a) == 0:
        ctx.fail(codes.RANK, f"{label} needs inputs with at least 1 dimension, got 0-d tensors")
    for da, db in zip(a[:-1], b[:-1]):
        ctx.require_eq(da, db, codes.LINEAR_FEATURES, lambda: (
            f"{label}: input batch dimensions do not match: {ctx.arg_text(0)} has shape {fmt(a)} and {ctx.arg_text(1)} has shape {fmt(b)}"))
    for x, want, i, what in ((a, in1, 0, "in1_features"), (b, in2, 1, "in2_features")):
        if want is not None:
            ctx.require_eq(x[-1], want, codes.LINEAR_FEATURES, lambda: (
                f"{label} expects {want} features ({what}) but {ctx.arg_text(i)} has shape {fmt(x)}"))
    return TensorV(tuple(a[:-1]) + (out if out is not None else ctx.unknown_dim("out_features"),), x1.dtype)


@layer("torch.nn.Bilinear")
class Bilinear(Layer):
    def build(self, ctx, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input1, input2):
        return bilinear_shape(ctx, tensor(input1), tensor(input2, "input2"), arg_dim(m, "in1_features"),
                              arg_dim(m, "in2_features"), arg_dim(m, "out_features"), m.label())

    def params(self, m: ModuleV):
        i1, i2, o = arg_dim(m, "in1_features"), arg_dim(m, "in2_features"), arg_dim(m, "out_features")
        if i1 is None or i2 is None or o is None:
            return None
        out = {"weight": (o, i1, i2)}
        if arg_const(m, "bias", True):
            out["bias"] = (o,)
        return out

    def describe(self, m: ModuleV) -> str:
        return f"Bilinear({arg_dim(m, 'in1_features')} × {arg_dim(m, 'in2_features')} → {arg_dim(m, 'out_features')})"


@op("torch.nn.functional.bilinear", "torch.bilinear")
def f_bilinear(ctx, input1, input2, weight, bias=None):
    x1, x2, w = tensor(input1), tensor(input2, "input2"), tensor(weight, "weight")
    if w.shape is None:
        return TensorV(None, x1.dtype)
    if len(w.shape) != 3:
        ctx.fail(codes.RANK, f"bilinear: expected a 3-D weight (out, in1, in2), got shape {fmt(w.shape)}")
    b = bias if isinstance(bias, TensorV) else None
    if b is not None and b.shape is not None:
        if len(b.shape) != 1:
            ctx.fail(codes.RANK, f"bilinear: expected a 1-D bias, got shape {fmt(b.shape)}")
        ctx.require_eq(b.shape[0], w.shape[0], codes.LINEAR_FEATURES, lambda: (
            f"bilinear: bias size {b.shape[0]} does not match weight size {w.shape[0]} (weight shape {fmt(w.shape)})"))
    return bilinear_shape(ctx, x1, x2, w.shape[1], w.shape[2], w.shape[0], "bilinear")


@layer("torch.nn.Unflatten")
class Unflatten(Layer):
    def build(self, ctx, dim, unflattened_size):
        seq = as_seq(unflattened_size)
        if seq is None and as_dim(unflattened_size) is not None:
            ctx.fail(codes.INVALID_ARG, "Unflatten: unflattened_size must be a tuple or list of ints, got an int")
        for i, v in enumerate(seq or []):
            c = as_const(v)
            if c is not MISSING and not (isinstance(c, int) and not isinstance(c, bool)):
                ctx.fail(codes.INVALID_ARG, f"Unflatten: unflattened_size must be a tuple of ints, but found {c!r} at position {i}")
        return None

    def forward(self, ctx, m: ModuleV, input):
        from shapelens.ops.reshape import unflatten

        x = tensor(input)
        if x.shape is not None and len(x.shape) == 0:
            ctx.fail(codes.DIM_RANGE, f"{m.label()}: {ctx.arg_text(0)} is a 0-d tensor: it has no dimension to unflatten")
        return unflatten(ctx, x, m.args.get("dim"), m.args.get("unflattened_size"))

    def describe(self, m: ModuleV) -> str:
        return f"Unflatten({as_const(m.args.get('dim'))}, {as_const(m.args.get('unflattened_size'))})"
