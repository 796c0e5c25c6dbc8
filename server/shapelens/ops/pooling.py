"""Pooling: Max/Avg pooling 1d/2d/3d (ceil_mode, padding, dilation, count_include_pad,
divisor_override), LPPool, MaxUnpool, adaptive pooling, and their functional forms."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, floordiv, le, lt
from shapelens.ops.common import arg_const, arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import Const, IntV, ListV, ModuleV, TensorV, TupleV, Value, as_const, as_dim, as_seq, int_tuple

AXES = {1: "length", 2: "height/width", 3: "depth/height/width"}


def pool_out(ctx, size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, ceil_mode: bool) -> Dim:
    """torch's pooling_output_shape, symbolic where it can be."""
    num = size + (2 * p - d * (k - 1) - 1)
    if not ceil_mode:
        return floordiv(num, s) + 1
    out = floordiv(num + (s - 1), s) + 1
    # The last window must start inside the input or left padding. It always does when
    # p + s <= the effective kernel: its start is below size + 2p - eff + s <= size + p.
    if le(p + s, d * (k - 1) + 1) is True:
        return out
    last_start = (out - 1) * s
    r = le(size + p, last_start)
    if r is True:
        return out - 1
    if r is False:
        return out
    return ctx.unknown_dim("ceil_mode window at the edge")


def _ntuple(ctx, v: Value | None, n: int, what: str, label: str) -> list[Dim]:
    """An int, or a sequence of 1 or n ints (torch repeats a single value)."""
    t = int_tuple(v, n)
    if t is None or any(x is None for x in t):
        raise NotUnderstood(f"{what} is not known")
    if len(t) == 1:
        t = t * n
    if len(t) != n:
        ctx.fail(codes.INVALID_ARG, f"{label}: {what} must either be a single int, or a tuple of {n} ints (got {len(t)} values)")
    return t  # type: ignore[return-value]


def _stride(ctx, stride: Value | None, kernel: list[Dim], n: int, label: str) -> list[Dim]:
    """torch's default stride (None or an empty list) is the kernel size."""
    if stride is None or (isinstance(stride, (TupleV, ListV)) and not stride.items):
        return kernel
    return _ntuple(ctx, stride, n, "stride", label)


def pool_args(ctx, n: int, label: str, kernel_size, stride, padding, dilation=None):
    k = _ntuple(ctx, kernel_size, n, "kernel_size", label)
    s = _stride(ctx, stride, k, n, label)
    p = _ntuple(ctx, padding, n, "padding", label)
    d = _ntuple(ctx, dilation, n, "dilation", label) if dilation is not None else [Dim.const(1)] * n
    for vals, what, lo in ((k, "kernel size", 1), (s, "stride", 1), (p, "padding", 0), (d, "dilation", 1)):
        if any(v.value is not None and v.value < lo for v in vals):
            ctx.fail(codes.INVALID_ARG, f"{label}: {what} should be {'greater than zero' if lo else 'non-negative'}, but got"
                                        f" {tuple(str(v) for v in vals)}")
    for ki, pi in zip(k, p):
        if pi.value is not None and ki.value is not None and pi.value > ki.value // 2:
            ctx.fail(codes.INVALID_ARG,
                     f"{label}: pad should be at most half of kernel size, but got padding={tuple(str(v) for v in p)} and"
                     f" kernel_size={tuple(str(v) for v in k)}")
    return k, s, p, d


def check_pool_input(ctx, x: TensorV, n: int, label: str) -> None:
    r = len(x.shape)
    if r not in (n + 1, n + 2) or any(eq(v, 0) is True for v in x.shape[r - n - 1 if r == n + 2 else 0:]):
        ctx.fail(codes.RANK, f"{label}: expected a {n + 1}D or {n + 2}D (batch mode) input with non-zero dimensions (the batch"
                             f" may be empty), but {ctx.arg_text(0)} has shape {fmt(x.shape)}")


def pool_shape(ctx, x: TensorV, n: int, k, s, p, d, ceil_mode: bool, name: str, unpadded_fit: bool = False) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    check_pool_input(ctx, x, n, name)
    if unpadded_fit and any(lt(x.shape[-n + i], k[i]) is True for i in range(n)):
        # avg_pool3d also wants the kernel to fit the input before padding
        ctx.fail(codes.SPATIAL, f"{name}: {ctx.arg_text(0)} of shape {fmt(x.shape)} is smaller than the kernel size"
                                f" {tuple(str(v) for v in k)}")
    outs = [pool_out(ctx, x.shape[-n + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    if any(le(o, 0) is True for o in outs):
        ctx.fail(codes.SPATIAL,
                 f"{name}: given {ctx.arg_text(0)} of shape {fmt(x.shape)}, the calculated output {AXES[n]} {fmt(tuple(outs))}"
                 f" is too small (kernel_size={tuple(str(v) for v in k)}, stride={tuple(str(v) for v in s)},"
                 f" padding={tuple(str(v) for v in p)})")
    return TensorV(tuple(x.shape[:-n]) + tuple(outs), x.dtype)


def _with_indices(out: TensorV, return_indices) -> Value:
    if as_const(return_indices) is True:
        return TupleV((out, TensorV(out.shape, "int64")))
    return out


def _check_divisor(ctx, divisor_override, label: str) -> None:
    dv = as_dim(divisor_override) if divisor_override is not None else None
    if dv is not None and dv.value == 0:
        ctx.fail(codes.INVALID_ARG, f"{label}: divisor_override must be not zero")


class _MaxPoolNd(Layer):
    n = 2

    def build(self, ctx, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        k, s, p, d = pool_args(ctx, self.n, m.label(), arg_value(m, "kernel_size"), m.args.get("stride"),
                               arg_value(m, "padding"), arg_value(m, "dilation"))
        out = pool_shape(ctx, x, self.n, k, s, p, d, bool(arg_const(m, "ceil_mode", False)), m.label())
        return _with_indices(out, m.args.get("return_indices"))

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
        k, s, p, d = pool_args(ctx, self.n, m.label(), arg_value(m, "kernel_size"), m.args.get("stride"), arg_value(m, "padding"))
        _check_divisor(ctx, m.args.get("divisor_override"), m.label())
        return pool_shape(ctx, x, self.n, k, s, p, d, bool(arg_const(m, "ceil_mode", False)), m.label(), self.n == 3)

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


# LPPool: avg_pool of x**p without padding, scaled back ------------------------------------------

def lp_pool_shape(ctx, n: int, x: TensorV, norm_type, kernel_size, stride, ceil_mode, label: str) -> TensorV:
    if n == 1 and as_seq(kernel_size) is not None:
        # lp_pool1d multiplies by kernel_size itself: a tuple there is a TypeError in torch.
        ctx.fail(codes.INVALID_ARG, f"{label}: kernel_size must be an int for 1-d power-average pooling, got a sequence")
    seq = as_seq(kernel_size)
    if seq is not None and len(seq) != n:
        # lp_pool2d/3d unpack the kernel into exactly n sizes
        ctx.fail(codes.INVALID_ARG, f"{label}: kernel_size must be an int or {n} ints, got {len(seq)} values")
    k, s, p, d = pool_args(ctx, n, label, kernel_size, stride, IntV(Dim.const(0)))
    return pool_shape(ctx, x, n, k, s, p, d, bool(as_const(ceil_mode)), label, n == 3)


class _LPPoolNd(Layer):
    n = 2

    def build(self, ctx, norm_type, kernel_size, stride=None, ceil_mode=False):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return lp_pool_shape(ctx, self.n, tensor(input), m.args.get("norm_type"), arg_value(m, "kernel_size"),
                             m.args.get("stride"), m.args.get("ceil_mode"), m.label())

    def describe(self, m):
        return f"{m.short}(p={as_const(arg_value(m, 'norm_type'))}, kernel {as_const(arg_value(m, 'kernel_size'))})"


@layer("torch.nn.LPPool1d")
class LPPool1d(_LPPoolNd):
    n = 1


@layer("torch.nn.LPPool2d")
class LPPool2d(_LPPoolNd):
    n = 2


@layer("torch.nn.LPPool3d")
class LPPool3d(_LPPoolNd):
    n = 3


# MaxUnpool ----------------------------------------------------------------------------------------

def max_unpool_shape(ctx, n: int, x: TensorV, indices, kernel_size, stride, padding, output_size, label: str) -> TensorV:
    k = _ntuple(ctx, kernel_size, n, "kernel_size", label)
    s = _stride(ctx, stride, k, n, label)
    p = _ntuple(ctx, padding, n, "padding", label)
    if x.shape is None:
        return TensorV(None, x.dtype)
    idx = indices if isinstance(indices, TensorV) else None
    if len(x.shape) < n:
        ctx.fail(codes.RANK, f"{label}: {ctx.arg_text(0)} of shape {fmt(x.shape)} has fewer than {n} dimensions")
    spatial = x.shape[-n:]
    default = [spatial[i] * s[i] + (k[i] - 2 * p[i] - s[i]) for i in range(n)]
    if output_size is None:
        out = default
    else:
        seq = as_seq(output_size)
        if seq is None:
            raise NotUnderstood("output_size is not a known sequence")
        sizes = [as_dim(v) for v in seq]
        if any(v is None for v in sizes):
            raise NotUnderstood("output_size is not known")
        if len(sizes) == n + 2:
            sizes = sizes[2:]
        if len(sizes) != n:
            ctx.fail(codes.INVALID_ARG, f"{label}: output_size should have {n} or {n + 2} elements, but it has {len(sizes)}")
        for i in range(n):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if le(sizes[i], lo) is True or le(hi, sizes[i]) is True:
                ctx.fail(codes.INVALID_ARG, f"{label}: invalid output_size {fmt(tuple(sizes))} (dim {i} must be between {lo} and {hi},"
                                            f" exclusive, for {ctx.arg_text(0)} of shape {fmt(x.shape)})")
        out = sizes
    r = len(x.shape)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"{label}: expected a {n + 1}D or {n + 2}D input, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if idx is not None and idx.shape is not None:
        if len(idx.shape) != r:
            ctx.fail(codes.INVALID_ARG, f"{label}: expected indices of the same shape as {ctx.arg_text(0)} {fmt(x.shape)}, got {fmt(idx.shape)}")
        for a, b in zip(idx.shape, x.shape):
            ctx.require_eq(a, b, codes.INVALID_ARG, lambda: (
                f"{label}: expected indices of the same shape as {ctx.arg_text(0)} {fmt(x.shape)}, got {fmt(idx.shape)}"))
        if idx.dtype is not None and idx.dtype != "int64":
            ctx.fail(codes.DTYPE, f"{label}: indices must be int64 (torch.long), got {idx.dtype}")
    if any(le(o, 0) is True for o in out):
        ctx.fail(codes.SPATIAL, f"{label}: the output size {fmt(tuple(out))} is too small for {ctx.arg_text(0)} {fmt(x.shape)}")
    return TensorV(tuple(x.shape[:-n]) + tuple(out), x.dtype)


class _MaxUnpoolNd(Layer):
    n = 2

    def build(self, ctx, kernel_size, stride=None, padding=0):
        return None

    def forward(self, ctx, m: ModuleV, input, indices, output_size=None):
        return max_unpool_shape(ctx, self.n, tensor(input), indices, arg_value(m, "kernel_size"), m.args.get("stride"),
                                arg_value(m, "padding"), output_size, m.label())

    def describe(self, m):
        return f"{m.short}(kernel {as_const(arg_value(m, 'kernel_size'))})"


@layer("torch.nn.MaxUnpool1d")
class MaxUnpool1d(_MaxUnpoolNd):
    n = 1


@layer("torch.nn.MaxUnpool2d")
class MaxUnpool2d(_MaxUnpoolNd):
    n = 2


@layer("torch.nn.MaxUnpool3d")
class MaxUnpool3d(_MaxUnpoolNd):
    n = 3


# adaptive pooling -------------------------------------------------------------------------------

def adaptive_shape(ctx, x: TensorV, n: int, output_size: Value, name: str, avg: bool = False) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    seq = as_seq(output_size)
    if seq is None:
        seq = [output_size] * n
    if len(seq) != n:
        ctx.fail(codes.INVALID_ARG, f"{name}: output_size must have {n} elements, got {len(seq)}")
    r = len(x.shape)
    if n > 1 and as_seq(output_size) is not None and r <= n:
        # F.adaptive_*_pool2d/3d fill a sequence's None entries from the input's trailing sizes
        ctx.fail(codes.RANK, f"{name}: input dimension should be at least {n + 1}, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    outs = []
    for i, v in enumerate(seq):
        if v is None or (isinstance(v, Const) and v.value is None):
            if n == 1:
                raise NotUnderstood("output_size None for 1-d adaptive pooling")
            if r < n:
                ctx.fail(codes.RANK, f"{name}: {ctx.arg_text(0)} of shape {fmt(x.shape)} has fewer than {n} dimensions")
            outs.append(x.shape[r - n + i])  # None keeps the input's size
            continue
        dv = as_dim(v)
        if dv is None:
            raise NotUnderstood("output_size is not known")
        if dv.value is not None and dv.value < 0:
            ctx.fail(codes.INVALID_ARG, f"{name}: elements of output_size must be greater than or equal to 0, got {as_const_list(seq)}")
        outs.append(dv)
    # Average pooling to all-ones is a mean over the last dims: torch skips its other checks.
    means = avg and all(o.value == 1 for o in outs)
    if means and n > 1:
        if r < n:
            ctx.fail(codes.RANK, f"{name}: {ctx.arg_text(0)} of shape {fmt(x.shape)} has fewer than {n} dimensions")
        return TensorV(tuple(x.shape[:-n]) + (Dim.const(1),) * n, x.dtype)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"{name}: expected a {n + 1}D or {n + 2}D input, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if not means and any(eq(x.shape[i], 0) is True for i in range(1 if r == n + 2 else 0, r)):
        ctx.fail(codes.SPATIAL, f"{name}: expected {ctx.arg_text(0)} to have non-zero size for non-batch dimensions, but it"
                                f" has shape {fmt(x.shape)}")
    return TensorV(tuple(x.shape[:-n]) + tuple(outs), x.dtype)


def as_const_list(seq) -> str:
    return "[" + ", ".join(str(as_const(v)) for v in seq) + "]"


class _AdaptiveAvgPoolNd(Layer):
    n = 2

    def build(self, ctx, output_size):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return adaptive_shape(ctx, tensor(input), self.n, arg_value(m, "output_size"), m.label(), avg=True)

    def describe(self, m):
        return f"{m.short}({as_const(arg_value(m, 'output_size'))})"


class _AdaptiveMaxPoolNd(_AdaptiveAvgPoolNd):
    def build(self, ctx, output_size, return_indices=False):
        return None

    def forward(self, ctx, m: ModuleV, input):
        out = adaptive_shape(ctx, tensor(input), self.n, arg_value(m, "output_size"), m.label())
        return _with_indices(out, m.args.get("return_indices"))


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
    k, s, p, d = pool_args(ctx, n, name, kernel_size, stride, padding, dilation)
    return pool_shape(ctx, x, n, k, s, p, d, bool(as_const(ceil_mode)), name, name == "avg_pool3d")


@op("torch.nn.functional.max_pool1d", "torch.max_pool1d")
def max_pool1d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 1, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d"), return_indices)


@op("torch.nn.functional.max_pool2d", "torch.max_pool2d")
def max_pool2d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 2, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"), return_indices)


@op("torch.nn.functional.max_pool3d", "torch.max_pool3d")
def max_pool3d(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 3, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d"), return_indices)


@op("torch.nn.functional.max_pool1d_with_indices")
def max_pool1d_with_indices(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 1, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d"), Const(True))


@op("torch.nn.functional.max_pool2d_with_indices")
def max_pool2d_with_indices(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 2, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"), Const(True))


@op("torch.nn.functional.max_pool3d_with_indices")
def max_pool3d_with_indices(ctx, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _with_indices(_fpool(ctx, 3, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d"), Const(True))


@op("torch.nn.functional.avg_pool1d", "torch.avg_pool1d")
def avg_pool1d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _fpool(ctx, 1, input, kernel_size, stride, padding, None, ceil_mode, "avg_pool1d")


@op("torch.nn.functional.avg_pool2d")
def avg_pool2d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    _check_divisor(ctx, divisor_override, "avg_pool2d")
    return _fpool(ctx, 2, input, kernel_size, stride, padding, None, ceil_mode, "avg_pool2d")


@op("torch.nn.functional.avg_pool3d")
def avg_pool3d(ctx, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    _check_divisor(ctx, divisor_override, "avg_pool3d")
    return _fpool(ctx, 3, input, kernel_size, stride, padding, None, ceil_mode, "avg_pool3d")


@op("torch.nn.functional.lp_pool1d")
def lp_pool1d(ctx, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return lp_pool_shape(ctx, 1, tensor(input), norm_type, kernel_size, stride, ceil_mode, "lp_pool1d")


@op("torch.nn.functional.lp_pool2d")
def lp_pool2d(ctx, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return lp_pool_shape(ctx, 2, tensor(input), norm_type, kernel_size, stride, ceil_mode, "lp_pool2d")


@op("torch.nn.functional.lp_pool3d")
def lp_pool3d(ctx, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return lp_pool_shape(ctx, 3, tensor(input), norm_type, kernel_size, stride, ceil_mode, "lp_pool3d")


@op("torch.nn.functional.max_unpool1d")
def max_unpool1d(ctx, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return max_unpool_shape(ctx, 1, tensor(input), indices, kernel_size, stride, padding, output_size, "max_unpool1d")


@op("torch.nn.functional.max_unpool2d")
def max_unpool2d(ctx, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return max_unpool_shape(ctx, 2, tensor(input), indices, kernel_size, stride, padding, output_size, "max_unpool2d")


@op("torch.nn.functional.max_unpool3d")
def max_unpool3d(ctx, input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return max_unpool_shape(ctx, 3, tensor(input), indices, kernel_size, stride, padding, output_size, "max_unpool3d")


@op("torch.nn.functional.adaptive_avg_pool1d", "torch.adaptive_avg_pool1d")
def adaptive_avg_pool1d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 1, output_size, "adaptive_avg_pool1d", avg=True)


@op("torch.nn.functional.adaptive_avg_pool2d")
def adaptive_avg_pool2d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 2, output_size, "adaptive_avg_pool2d", avg=True)


@op("torch.nn.functional.adaptive_avg_pool3d")
def adaptive_avg_pool3d(ctx, input, output_size):
    return adaptive_shape(ctx, tensor(input), 3, output_size, "adaptive_avg_pool3d", avg=True)


@op("torch.nn.functional.adaptive_max_pool1d")
def adaptive_max_pool1d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 1, output_size, "adaptive_max_pool1d"), return_indices)


@op("torch.nn.functional.adaptive_max_pool2d")
def adaptive_max_pool2d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 2, output_size, "adaptive_max_pool2d"), return_indices)


@op("torch.nn.functional.adaptive_max_pool3d")
def adaptive_max_pool3d(ctx, input, output_size, return_indices=False):
    return _with_indices(adaptive_shape(ctx, tensor(input), 3, output_size, "adaptive_max_pool3d"), return_indices)
