"""Linear family: Linear, Identity, Flatten, and F.linear."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, prod
from shapelens.ops.common import arg_const, arg_dim, arg_int, fmt, norm_dim, tensor
from shapelens.ops.registry import Layer, layer, op
from shapelens.values import ModuleV, TensorV, Value, as_int


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
            bf = x.meta.get("batch_first", True)
            ctx.warn(codes.PER_TIMESTEP,
                     f"{m.label()} receives the recurrent layer's output for every timestep {fmt(x.shape)}; "
                     f"if one vector per sample was meant, take the last step, e.g. "
                     + ("output[:, -1, :]" if bf else "output[-1]"), data={"batch_first": bf})
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
        return flatten_shape(ctx, tensor(input), arg_int(m, "start_dim"), arg_int(m, "end_dim"))

    def describe(self, m):
        return f"Flatten({arg_int(m, 'start_dim')}, {arg_int(m, 'end_dim')})"


def flatten_shape(ctx, x: TensorV, start: int | None, end: int | None) -> TensorV:
    if x.shape is None or start is None or end is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r == 0:
        return TensorV((Dim.const(1),), x.dtype)
    s = norm_dim(ctx, start, r, "start_dim")
    e = norm_dim(ctx, end, r, "end_dim")
    if s > e:
        ctx.fail(codes.DIM_RANGE, f"flatten() has invalid args: start_dim ({start}) cannot come after end_dim ({end})")
    merged = x.shape[s : e + 1]
    out = TensorV(tuple(x.shape[:s]) + (prod(merged),) + tuple(x.shape[e + 1 :]), x.dtype)
    if e == r - 1 and len(merged) > 1:
        out.meta = {"flat_factors": tuple(merged)}
    return out


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
