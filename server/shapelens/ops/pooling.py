"""Pooling: Max/Avg pooling 1d/2d/3d (ceil_mode, padding, dilation), adaptive pooling, and
their functional forms."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, floordiv, le, lt
from shapelens.ops.common import arg_const, arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import Const, ListV, ModuleV, TensorV, TupleV, Value, as_const, as_dim, int_tuple


def pool_out(ctx, size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, ceil_mode: bool) -> Dim:
    """torch's pooling_output_shape, symbolic where it can be."""
    num = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return floordiv(num, s) + 1
    out = floordiv(num + (s - 1), s) + 1
    # The last window must start inside the input or left padding.
    last_start = (out - 1) * s
    r = le(size + p, last_start)
    if r is True:
        return out - 1
    if r is False:
        return out
    return ctx.unknown_dim("ceil_mode window at the edge")


def _check_pad(ctx, k, p, d):
    for ki, pi, di in zip(k, p, d):
        eff = di * (ki - 1) + 1
        if pi.value is not None and eff.value is not None and pi.value * 2 > eff.value:
            ctx.fail(codes.INVALID_ARG,
                     f"pad should be at most half of effective kernel size, but got pad={pi}, kernel_size={ki} and dilation={di}")


def pool_shape(ctx, x: TensorV, n: int, k, s, p, d, ceil_mode: bool, name: str) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"{name}: expected {n + 1}D or {n + 2}D input, but got input of shape {fmt(x.shape)}")
    _check_pad(ctx, k, p, d)
    outs = [pool_out(ctx, x.shape[-n + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    for o in outs:
        if le(o, 0) is True:
            ctx.fail(codes.SPATIAL,
                     f"{name}: given input size {fmt(x.shape[-n - 1:])}, the calculated output size {fmt(tuple(x.shape[-n - 1:-n]) + tuple(outs))} is too small")
    return TensorV(tuple(x.shape[:-n]) + tuple(outs), x.dtype)


def _tuple(v: Value, n: int, what: str) -> list[Dim]:
    t = int_tuple(v, n)
    if t is None or len(t) != n or any(x is None for x in t):
        raise NotUnderstood(f"{what} is not known")
    return t  # type: ignore[return-value]


def _stride(stride: Value | None, kernel: list[Dim], n: int) -> list[Dim]:
    """torch's default stride (None or an empty list) is the kernel size."""
    if stride is None or (isinstance(stride, (TupleV, ListV)) and not stride.items):
        return kernel
    return _tuple(stride, n, "stride")


class _MaxPoolNd(Layer):
    n = 2

    def build(self, ctx, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        k = _tuple(arg_value(m, "kernel_size"), self.n, "kernel_size")
        s = _stride(arg_value(m, "stride"), k, self.n)
        p = _tuple(arg_value(m, "padding"), self.n, "padding")
        d = _tuple(arg_value(m, "dilation"), self.n, "dilation")
        out = pool_shape(ctx, x, self.n, k, s, p, d, bool(arg_const(m, "ceil_mode", False)), m.label())
        if arg_const(m, "return_indices", False):
            return TupleV((out, TensorV(out.shape, "int64")))
        return out

    def describe(self, m):
        return f"{m.short}(kernel {as_const(arg_value(m, 'kernel_size'))})"


@layer("torch.nn.MaxPool1d")
class MaxPool1d(_MaxPoolNd):
    n = 1


@layer("torch.nn.MaxPool2d")
class MaxPool2d(_MaxPoolNd):
    n = 2


@layer("torch.nn.MaxPool3d")
class MaxPool3d(_MaxPoolNd):
    n = 3


class _AvgPoolNd(Layer):
    n = 2

    def build(self, ctx, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        k = _tuple(arg_value(m, "kernel_size"), self.n, "kernel_size")
        s = _stride(arg_value(m, "stride"), k, self.n)
        p = _tuple(arg_value(m, "padding"), self.n, "padding")
        d = [Dim.const(1)] * self.n
        return pool_shape(ctx, x, self.n, k, s, p, d, bool(arg_const(m, "ceil_mode", False)), m.label())

    def describe(self, m):
        return f"{m.short}(kernel {as_const(arg_value(m, 'kernel_size'))})"


@layer("torch.nn.AvgPool1d")
class AvgPool1d(_AvgPoolNd):
    n = 1

    def build(self, ctx, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        return None


@layer("torch.nn.AvgPool2d")
class AvgPool2d(_AvgPoolNd):
    n = 2


@layer("torch.nn.AvgPool3d")
class AvgPool3d(_AvgPoolNd):
    n = 3


def adaptive_shape(ctx, x: TensorV, n: int, output_size: Value, name: str) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"{name}: expected {n + 1}D or {n + 2}D input, but got input of shape {fmt(x.shape)}")
    from shapelens.values import as_seq

    seq = as_seq(output_size)
    if seq is None:
        seq = [output_size] * n
    if len(seq) != n:
        ctx.fail(codes.INVALID_ARG, f"{name}: output_size must have {n} elements, got {len(seq)}")
    outs = []
    for i, v in enumerate(seq):
        c = as_const(v)
        if c is None:
            outs.append(x.shape[-n + i])
            continue
        dv = as_dim(v)
        if dv is None:
            raise NotUnderstood("output_size is not known")
        outs.append(dv)
    for i in range(n):
        if eq(x.shape[-n + i], 0) is True:
            ctx.fail(codes.SPATIAL, f"{name}: input has a zero-size spatial dimension: {fmt(x.shape)}")
    return TensorV(tuple(x.shape[:-n]) + tuple(outs), x.dtype)


class _AdaptiveAvgPoolNd(Layer):
    n = 2

    def build(self, ctx, output_size):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return adaptive_shape(ctx, tensor(input), self.n, arg_value(m, "output_size"), m.label())

    def describe(self, m):
        return f"{m.short}({as_const(arg_value(m, 'output_size'))})"


class _AdaptiveMaxPoolNd(_AdaptiveAvgPoolNd):
    def build(self, ctx, output_size, return_indices=False):
        return None

    def forward(self, ctx, m: ModuleV, input):
        out = adaptive_shape(ctx, tensor(input), self.n, arg_value(m, "output_size"), m.label())
        if arg_const(m, "return_indices", False):
            return TupleV((out, TensorV(out.shape, "int64")))
        return out


@layer("torch.nn.AdaptiveAvgPool1d")
class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    n = 1


@layer("torch.nn.AdaptiveAvgPool2d")
class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    n = 2


@layer("torch.nn.AdaptiveAvgPool3d")
class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    n = 3


@layer("torch.nn.AdaptiveMaxPool1d")
class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    n = 1


@layer("torch.nn.AdaptiveMaxPool2d")
class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    n = 2


@layer("torch.nn.AdaptiveMaxPool3d")
class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    n = 3


# functional forms ------------------------------------------------------------------------------

def _fpool(ctx, n, input, kernel_size, stride, padding, dilation, ceil_mode, name):
    x = tensor(input)
    k = _tuple(kernel_size, n, "kernel_size")
    s = _stride(stride, k, n)
    p = _tuple(padding, n, "padding")
    d = _tuple(dilation, n, "dilation")
    return pool_shape(ctx, x, n, k, s, p, d, bool(as_const(ceil_mode)), name)


def _with_indices(out: TensorV, return_indices) -> Value:
    if as_const(return_indices) is True:
        return TupleV((out, TensorV(out.shape, "int64")))
    return out


@op("torch.nn.functional.max_pool1d", "torch.max_pool1d")
def max_pool1d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 1, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d"), return_indices)


@op("torch.nn.functional.max_pool2d", "torch.max_pool2d")
def max_pool2d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 2, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"), return_indices)


@op("torch.nn.functional.max_pool3d", "torch.max_pool3d")
def max_pool3d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 3, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d"), return_indices)


@op("torch.nn.functional.avg_pool1d", "torch.avg_pool1d")
def avg_pool1d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _fpool(ctx, 1, input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool1d")


@op("torch.nn.functional.avg_pool2d")
def avg_pool2d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _fpool(ctx, 2, input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")


@op("torch.nn.functional.avg_pool3d")
def avg_pool3d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _fpool(ctx, 3, input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")


@op("torch.nn.functional.adaptive_avg_pool1d", "torch.adaptive_avg_pool1d")
def adaptive_avg_pool1d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 1, output_size, "adaptive_avg_pool1d")


@op("torch.nn.functional.adaptive_avg_pool2d")
def adaptive_avg_pool2d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 2, output_size, "adaptive_avg_pool2d")


@op("torch.nn.functional.adaptive_avg_pool3d")
def adaptive_avg_pool3d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 3, output_size, "adaptive_avg_pool3d")


@op("torch.nn.functional.adaptive_max_pool1d")
def adaptive_max_pool1d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 1, output_size, "adaptive_max_pool1d"), return_indices)


@op("torch.nn.functional.adaptive_max_pool2d")
def adaptive_max_pool2d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 2, output_size, "adaptive_max_pool2d"), return_indices)


@op("torch.nn.functional.adaptive_max_pool3d")
def adaptive_max_pool3d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 3, output_size, "adaptive_max_pool3d"), return_indices)
