"""Activations and dropout: shape-preserving, with the few that are not or that check something
(Softmax needs a valid dim, Softmax2d a 3-D/4-D input, GLU halves one dim, PReLU checks its
channel count, the feature dropouts their rank) and the constructor arguments torch rejects.

Layers follow torch in training mode (the mode whose checks are strictest): Dropout2d on a 1-D
input is an error there even though eval mode lets it through."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import arg_dim, const_value, fmt, norm_dim, same, tensor
from shapelens.ops.registry import Layer, layer, op
from shapelens.values import ModuleV, TensorV, Value, as_bool, as_float, as_int


class _Elementwise(Layer):
    def check(self, ctx, m: ModuleV, x: TensorV) -> None:
        """Argument checks torch makes when the layer runs."""

    def forward(self, ctx, m, input):
        x = tensor(input)
        self.check(ctx, m, x)
        return same(x)


def _plain(name: str, build, check=None) -> None:
    body = {"build": build, "__module__": __name__}
    if check is not None:
        body["check"] = check
    layer(f"torch.nn.{name}")(type(name, (_Elementwise,), body))


def _b_inplace(self, ctx, inplace=False):
    return None


def _b_any(self, ctx, *args, **kwargs):
    return None


def _b_alpha(self, ctx, alpha=1.0, inplace=False):
    return None


def _b_leaky(self, ctx, negative_slope=0.01, inplace=False):
    return None


def _b_lambd(self, ctx, lambd=0.5):
    return None


def _b_softplus(self, ctx, beta=1.0, threshold=20.0):
    return None


def _b_gelu(self, ctx, approximate="none"):
    return None


def _b_rrelu(self, ctx, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
    return None


def _b_threshold(self, ctx, threshold, value, inplace=False):
    return None


def _b_hardtanh(self, ctx, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
    lo = as_float(min_value) if min_value is not None else as_float(min_val)
    hi = as_float(max_value) if max_value is not None else as_float(max_val)
    if lo is not None and hi is not None and hi <= lo:
        ctx.fail(codes.INVALID_ARG, f"Hardtanh: max_val ({hi}) must be greater than min_val ({lo})")
    return None


def gelu_check(ctx, approximate: Value | None) -> None:
    a = const_value(approximate, "none") if approximate is not None else "none"
    if isinstance(a, str) and a not in ("none", "tanh"):
        ctx.fail(codes.INVALID_ARG, f"gelu: approximate argument must be either none or tanh, got {a!r}")


def softshrink_check(ctx, lambd: Value | None) -> None:
    v = as_float(lambd)
    if v is not None and v < 0:
        ctx.fail(codes.INVALID_ARG, f"softshrink: lambda must be in range [0, inf), but found {v}")


def celu_check(ctx, alpha: Value | None) -> None:
    v = as_float(alpha)
    if v == 0:
        ctx.fail(codes.INVALID_ARG, "celu: alpha cannot be 0 (ZeroDivisionError in torch's CPU kernel)")


def rrelu_check(ctx, lower: Value | None, upper: Value | None) -> None:
    lo, hi = as_float(lower), as_float(upper)
    if lo is not None and hi is not None and lo > hi:
        ctx.fail(codes.INVALID_ARG, f"rrelu: Lower bound should be less than or equal to the upper bound, got"
                                    f" lower={lo} and upper={hi}")


for _n in ["ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid"]:
    _plain(_n, _b_inplace)
for _n in ["Sigmoid", "Tanh", "Softsign", "Tanhshrink", "LogSigmoid"]:
    _plain(_n, _b_any)
_plain("ELU", _b_alpha)
_plain("CELU", _b_alpha, lambda self, ctx, m, x: celu_check(ctx, m.args.get("alpha")))
_plain("LeakyReLU", _b_leaky)
_plain("Hardshrink", _b_lambd)
_plain("Softshrink", _b_lambd, lambda self, ctx, m, x: softshrink_check(ctx, m.args.get("lambd")))
_plain("Softplus", _b_softplus)
_plain("GELU", _b_gelu, lambda self, ctx, m, x: gelu_check(ctx, m.args.get("approximate")))
_plain("RReLU", _b_rrelu, lambda self, ctx, m, x: rrelu_check(ctx, m.args.get("lower"), m.args.get("upper")))
_plain("Threshold", _b_threshold)
_plain("Hardtanh", _b_hardtanh)


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------


def dropout_p(ctx, p: Value | None) -> None:
    pv = as_float(p)
    if pv is not None and not 0 <= pv <= 1:
        ctx.fail(codes.INVALID_ARG, f"dropout probability has to be between 0 and 1, but got {pv}")


def feature_rank(ctx, x: TensorV, kind: str, p: Value | None, training: bool | None = True) -> None:
    """The rank rules of the channel-wise dropouts (checked in training mode, and only when
    0 < p < 1: with p 0 or 1 torch returns before looking at the shape)."""
    if x.shape is None:
        return
    r = len(x.shape)
    if kind == "1d":
        # dropout1d checks its rank before looking at `training`.
        if r not in (2, 3):
            ctx.fail(codes.RANK, f"dropout1d: Expected 2D or 3D input, but received a {r}D input {fmt(x.shape)}."
                                 " dropout1d drops whole channels of (N, C, L) or (C, L) inputs")
        return
    pv = as_float(p)
    if training is False or pv is None or pv in (0.0, 1.0):
        return
    need = 1 if kind == "3d" else 2  # dropout3d adds a batch dim to unbatched input first
    if r < need:
        ctx.fail(codes.RANK, f"Feature dropout requires at least 2 dimensions in the input, got {fmt(x.shape)}")


class _DropoutBase(Layer):
    kind = ""  # "", "1d", "2d", "3d", "feature"

    def build(self, ctx, p=0.5, inplace=False):
        dropout_p(ctx, p)
        return None

    def forward(self, ctx, m, input):
        x = tensor(input)
        if self.kind:
            feature_rank(ctx, x, self.kind, m.args.get("p"))
        return same(x)


for _name, _kind in [("Dropout", ""), ("AlphaDropout", ""), ("Dropout1d", "1d"), ("Dropout2d", "2d"),
                     ("Dropout3d", "3d"), ("FeatureAlphaDropout", "2d")]:
    layer(f"torch.nn.{_name}")(type(_name, (_DropoutBase,), {"__module__": __name__, "kind": _kind}))


@op("torch.nn.functional.dropout", "torch.nn.functional.alpha_dropout")
def f_dropout(ctx, input, p=0.5, training=True, inplace=False):
    dropout_p(ctx, p)
    return same(tensor(input))


@op("torch.nn.functional.dropout1d")
def f_dropout1d(ctx, input, p=0.5, training=True, inplace=False):
    dropout_p(ctx, p)
    x = tensor(input)
    feature_rank(ctx, x, "1d", p)
    return same(x)


@op("torch.nn.functional.dropout2d", "torch.nn.functional.feature_alpha_dropout")
def f_dropout2d(ctx, input, p=0.5, training=True, inplace=False):
    dropout_p(ctx, p)
    x = tensor(input)
    feature_rank(ctx, x, "2d", p, as_bool(training))
    return same(x)


@op("torch.nn.functional.dropout3d")
def f_dropout3d(ctx, input, p=0.5, training=True, inplace=False):
    dropout_p(ctx, p)
    x = tensor(input)
    feature_rank(ctx, x, "3d", p, as_bool(training))
    return same(x)


@op("torch.dropout", "torch.dropout_", "torch.alpha_dropout", "torch.alpha_dropout_")
def t_dropout(ctx, input, p, train):
    return same(tensor(input))


@op("torch.feature_dropout", "torch.feature_dropout_", "torch.feature_alpha_dropout", "torch.feature_alpha_dropout_")
def t_feature_dropout(ctx, input, p, train):
    x = tensor(input)
    feature_rank(ctx, x, "2d", p, as_bool(train))
    return same(x)


# ---------------------------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------------------------


def softmax_shape(ctx, x: TensorV, dim: Value | None, dtype: Value | None = None) -> TensorV:
    if x.shape is not None and dim is not None:
        norm_dim(ctx, dim, len(x.shape))
    out = same(x)
    q = getattr(dtype, "qualname", None)
    if isinstance(q, str) and q.startswith("torch."):
        out.dtype = q.split(".", 1)[1]
    return out


class _SoftmaxBase(Layer):
    def build(self, ctx, dim=None):
        return None

    def forward(self, ctx, m, input):
        # dim=None picks an implicit dim that always exists.
        return softmax_shape(ctx, tensor(input), m.args.get("dim"))


for _name in ["Softmax", "LogSoftmax", "Softmin"]:
    layer(f"torch.nn.{_name}")(type(_name, (_SoftmaxBase,), {"__module__": __name__}))


@layer("torch.nn.Softmax2d")
class Softmax2d(Layer):
    def build(self, ctx, *args, **kwargs):
        return None

    def forward(self, ctx, m, input):
        x = tensor(input)
        if x.shape is not None and len(x.shape) not in (3, 4):
            ctx.fail(codes.RANK, f"{m.label()}: Softmax2d: expected input to be 3D or 4D, got {len(x.shape)}D instead:"
                                 f" {ctx.arg_text(0)} has shape {fmt(x.shape)}")
        return same(x)


@op("torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.nn.functional.softmin")
def f_softmax(ctx, input, dim=None, _stacklevel=3, dtype=None):
    return softmax_shape(ctx, tensor(input), dim, dtype)


@op("torch.softmax", "torch.Tensor.softmax", "torch.log_softmax", "torch.Tensor.log_softmax", "torch.special.softmax",
    "torch.special.log_softmax")
def t_softmax(ctx, input, dim, dtype=None):
    return softmax_shape(ctx, tensor(input), dim, dtype)


# ---------------------------------------------------------------------------------------------
# GLU and PReLU
# ---------------------------------------------------------------------------------------------


def glu_shape(ctx, x: TensorV, dim: int | None) -> TensorV:
    if x.shape is None or dim is None:
        return TensorV(None, x.dtype)
    if len(x.shape) == 0:
        ctx.fail(codes.RANK, "glu does not support scalars because halving size must be even")
    d = norm_dim(ctx, dim, len(x.shape))
    size = x.shape[d]
    if (size % 2).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"glu: Halving dimension must be even, but dimension {d} is size {size}:"
                                    f" {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    shape = list(x.shape)
    shape[d] = size // 2
    return TensorV(tuple(shape), x.dtype)


@layer("torch.nn.GLU")
class GLU(Layer):
    def build(self, ctx, dim=-1):
        return None

    def forward(self, ctx, m, input):
        return glu_shape(ctx, tensor(input), as_int(m.args.get("dim")))


@op("torch.nn.functional.glu")
def f_glu(ctx, input, dim=-1):
    return glu_shape(ctx, tensor(input), as_int(dim))


def prelu_check(ctx, x: TensorV, n, label: str) -> None:
    """torch's prelu: a weight of more than one element must match the channel dim (dim 1, or 1
    for inputs of rank < 2)."""
    if x.shape is None or n is None or eq(n, 1) is True:
        return
    if len(x.shape) == 0:
        ctx.fail(codes.RANK, f"{label}: Not allow zero-dim input tensor (with {n} parameters).")
    c = x.shape[1] if len(x.shape) >= 2 else Dim.const(1)
    ctx.require_eq(c, n, codes.CHANNELS, lambda: (
        f"{label}: Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and channel"
        f" size = {c} ({ctx.arg_text(0)} has shape {fmt(x.shape)})"))


@layer("torch.nn.PReLU")
class PReLU(Layer):
    def build(self, ctx, num_parameters=1, init=0.25, device=None, dtype=None):
        return None

    def forward(self, ctx, m, input):
        x = tensor(input)
        prelu_check(ctx, x, arg_dim(m, "num_parameters"), m.label())
        return same(x)

    def params(self, m):
        n = arg_dim(m, "num_parameters")
        return None if n is None else {"weight": (n,)}


@op("torch.nn.functional.prelu", "torch.prelu", "torch.Tensor.prelu")
def f_prelu(ctx, input, weight):
    x, w = tensor(input), tensor(weight, "weight")
    if w.shape is not None:
        if len(w.shape) > 1:
            ctx.fail(codes.RANK, f"prelu: Expected `weight` to be a scalar or 1D tensor, but got shape {fmt(w.shape)}")
        prelu_check(ctx, x, w.shape[0] if w.shape else Dim.const(1), "prelu")
    return same(x)


# ---------------------------------------------------------------------------------------------
# Functional and torch.* forms of the elementwise activations
# ---------------------------------------------------------------------------------------------


def _same_shape(ctx, input, *args, **kwargs):
    return same(tensor(input))


op(*[f"torch.nn.functional.{n}" for n in [
    "relu", "relu_", "relu6", "selu", "selu_", "silu", "mish", "hardswish", "hardsigmoid",
    "softsign", "tanhshrink", "logsigmoid", "elu", "elu_", "leaky_relu", "leaky_relu_", "hardshrink", "softplus",
    "threshold", "threshold_", "hardtanh", "hardtanh_"]]
   + [f"torch.{n}" for n in ["relu", "relu_", "sigmoid_", "tanh_", "selu", "selu_", "threshold",
                             "threshold_", "hardshrink"]]
   + [f"torch.Tensor.{n}" for n in ["relu", "relu_", "sigmoid_", "tanh_", "hardshrink"]])(_same_shape)


def _float_result(ctx, input, *args, **kwargs):
    """sigmoid and tanh compute in floating point: integer inputs give float32."""
    x = tensor(input)
    return same(x, dtype="float32" if x.is_integer else None)


op("torch.nn.functional.sigmoid", "torch.nn.functional.tanh", "torch.sigmoid", "torch.tanh",
   "torch.Tensor.sigmoid", "torch.Tensor.tanh")(_float_result)


@op("torch.nn.functional.gelu")
def f_gelu(ctx, input, approximate="none"):
    gelu_check(ctx, approximate)
    return same(tensor(input))


@op("torch.nn.functional.softshrink")
def f_softshrink(ctx, input, lambd=0.5):
    softshrink_check(ctx, lambd)
    return same(tensor(input))


@op("torch.nn.functional.celu", "torch.nn.functional.celu_", "torch.celu", "torch.celu_")
def f_celu(ctx, input, alpha=1.0, inplace=False):
    celu_check(ctx, alpha)
    return same(tensor(input))


@op("torch.nn.functional.rrelu", "torch.nn.functional.rrelu_", "torch.rrelu", "torch.rrelu_")
def f_rrelu(ctx, input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, generator=None):
    if as_bool(training):
        rrelu_check(ctx, lower, upper)
    return same(tensor(input))


@op("torch.nn.functional.gumbel_softmax")
def f_gumbel_softmax(ctx, logits, tau=1, hard=False, eps=1e-10, dim=-1):
    return softmax_shape(ctx, tensor(logits), dim)
