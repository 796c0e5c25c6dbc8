"""Elementwise activations and dropout: shape-preserving, with the few that are not
(Softmax needs a valid dim, GLU halves one, PReLU checks its channel count)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import eq
from shapelens.ops.common import arg_const, arg_dim, arg_int, fmt, norm_dim, same, tensor
from shapelens.ops.registry import Layer, layer, op
from shapelens.values import ModuleV, TensorV, as_float, as_int


class _Elementwise(Layer):
    def build(self, ctx, *args, **kwargs):
        return None

    def forward(self, ctx, m, input):
        return same(tensor(input))


ELEMENTWISE_LAYERS = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softplus",
    "Softsign", "Hardtanh", "Hardswish", "Hardsigmoid", "Tanhshrink", "Softshrink", "Hardshrink", "LogSigmoid",
    "Threshold", "RReLU",
]
for _name in ELEMENTWISE_LAYERS:
    layer(f"torch.nn.{_name}")(type(_name, (_Elementwise,), {"__module__": __name__}))


class _DropoutBase(Layer):
    def build(self, ctx, p=0.5, inplace=False):
        pv = as_float(p)
        if pv is not None and not 0 <= pv <= 1:
            ctx.fail(codes.INVALID_ARG, f"dropout probability has to be between 0 and 1, but got {pv}")
        return None

    def forward(self, ctx, m, input):
        return same(tensor(input))


for _name in ["Dropout", "AlphaDropout", "FeatureAlphaDropout"]:
    layer(f"torch.nn.{_name}")(type(_name, (_DropoutBase,), {"__module__": __name__}))


class _SoftmaxBase(Layer):
    def build(self, ctx, dim=None):
        return None

    def forward(self, ctx, m, input):
        x = tensor(input)
        d = arg_int(m, "dim")
        if x.shape is not None and d is not None:
            norm_dim(ctx, d, len(x.shape))
        return same(x)


for _name in ["Softmax", "LogSoftmax", "Softmin"]:
    layer(f"torch.nn.{_name}")(type(_name, (_SoftmaxBase,), {"__module__": __name__}))


FUNCTIONAL = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus",
    "softsign", "hardtanh", "hardswish", "hardsigmoid", "tanhshrink", "softshrink", "hardshrink", "logsigmoid",
    "threshold", "rrelu", "dropout", "alpha_dropout", "feature_alpha_dropout",
    "relu_", "elu_", "leaky_relu_", "hardtanh_", "rrelu_", "threshold_",
]
TORCH_SAME = ["relu", "sigmoid", "tanh", "selu", "celu", "rrelu", "relu_", "sigmoid_", "tanh_", "dropout", "alpha_dropout",
              "feature_alpha_dropout", "threshold"]
TENSOR_SAME = ["relu", "sigmoid", "tanh", "relu_", "sigmoid_", "tanh_"]


def _same_shape(ctx, input, *args, **kwargs):
    return same(tensor(input))


op(*([f"torch.nn.functional.{n}" for n in FUNCTIONAL] + [f"torch.{n}" for n in TORCH_SAME]
     + [f"torch.Tensor.{n}" for n in TENSOR_SAME]))(_same_shape)


@op("torch.nn.functional.softmax", "torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.log_softmax",
    "torch.log_softmax", "torch.Tensor.log_softmax", "torch.nn.functional.softmin", "torch.special.softmax")
def softmax(ctx, input, dim=None, _stacklevel=3, dtype=None):
    x = tensor(input)
    d = as_int(dim)
    if x.shape is not None and d is not None:
        norm_dim(ctx, d, len(x.shape))
    return same(x)


@layer("torch.nn.GLU")
class GLU(Layer):
    def build(self, ctx, dim=-1):
        return None

    def forward(self, ctx, m, input):
        return glu_shape(ctx, tensor(input), arg_int(m, "dim"))


def glu_shape(ctx, x: TensorV, dim: int | None) -> TensorV:
    if x.shape is None or dim is None:
        return TensorV(None, x.dtype)
    if len(x.shape) == 0:
        ctx.fail(codes.RANK, "glu does not support scalars because halving size must be even")
    d = norm_dim(ctx, dim, len(x.shape))
    size = x.shape[d]
    if (size % 2).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"Halving dimension must be even, but dimension {d} is size {size}")
    shape = list(x.shape)
    shape[d] = size // 2
    return TensorV(tuple(shape), x.dtype)


@op("torch.nn.functional.glu")
def f_glu(ctx, input, dim=-1):
    return glu_shape(ctx, tensor(input), as_int(dim))


@layer("torch.nn.PReLU")
class PReLU(Layer):
    def build(self, ctx, num_parameters=1, init=0.25, device=None, dtype=None):
        return None

    def forward(self, ctx, m, input):
        x = tensor(input)
        n = arg_dim(m, "num_parameters")
        if x.shape is not None and n is not None and n.value != 1:
            if len(x.shape) == 0:
                ctx.fail(codes.RANK, "Not allow zero-dim input tensor.")
            c = x.shape[1] if len(x.shape) >= 2 else x.shape[0]
            ctx.require_eq(c, n, codes.CHANNELS, lambda: (
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and channel size = {c}"))
        return same(x)

    def params(self, m):
        n = arg_dim(m, "num_parameters")
        return None if n is None else {"weight": (n,)}
