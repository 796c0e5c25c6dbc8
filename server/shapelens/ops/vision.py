"""Vision rearrangements: Unfold/Fold (im2col/col2im) and their functional forms,
PixelShuffle/PixelUnshuffle, ChannelShuffle."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, floordiv, lt
from shapelens.ops.common import arg_value, fmt, same, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, Value, as_const, as_dim, int_tuple


def _pair(v: Value, what: str) -> list[Dim]:
    t = int_tuple(v, 2)
    if t is None or any(x is None for x in t):
        raise NotUnderstood(f"{what} is not known")
    return t  # type: ignore[return-value]


def _geometry(ctx, label: str, kernel_size, dilation, padding, stride):
    k, d, p, s = (_pair(v, w) for v, w in ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    for vals, what, lo in ((k, "kernel size", 1), (d, "dilation", 1), (p, "padding", 0), (s, "stride", 1)):
        if len(vals) != 2:
            ctx.fail(codes.INVALID_ARG, f"{label}: {what} must be an int or a pair, got {len(vals)} values")
        if any(v.value is not None and v.value < lo for v in vals):
            ctx.fail(codes.INVALID_ARG, f"{label}: {what} should be {'greater than zero' if lo else 'non-negative'}, but got"
                                        f" {tuple(str(v) for v in vals)}")
    return k, d, p, s


def _mul(a: Dim, b: Dim) -> Dim:
    """a * b, reading as the other factor when one is 1 (not `1*(W - 2)`)."""
    return b if a.value == 1 else (a if b.value == 1 else a * b)


def _blocks(size: Dim, k: Dim, d: Dim, p: Dim, s: Dim) -> Dim:
    """Sliding blocks along one dim (floor division, as torch's shape functions compute it)."""
    return floordiv(size + 2 * p - (d * (k - 1) + 1), s) + 1


@op("torch.nn.functional.unfold")
def f_unfold(ctx, input, kernel_size, dilation=1, padding=0, stride=1):
    return unfold_shape(ctx, tensor(input), kernel_size, dilation, padding, stride, "unfold")


def unfold_shape(ctx, x: TensorV, kernel_size, dilation, padding, stride, label: str) -> TensorV:
    k, d, p, s = _geometry(ctx, label, kernel_size, dilation, padding, stride)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r not in (3, 4) or any(eq(v, 0) is True for v in x.shape[r - 3:]):
        ctx.fail(codes.RANK, f"{label}: expected a 3D or 4D (batch mode) input with non-zero dimensions, but {ctx.arg_text(0)}"
                             f" has shape {fmt(x.shape)}")
    h, w = x.shape[-2:]
    bh, bw = _blocks(h, k[0], d[0], p[0], s[0]), _blocks(w, k[1], d[1], p[1], s[1])
    if lt(bh, 1) is True or lt(bw, 1) is True:
        ctx.fail(codes.SPATIAL, f"{label}: given {ctx.arg_text(0)} with spatial size ({h}, {w}), kernel_size={fmt(tuple(k))}, "
                                f"dilation={fmt(tuple(d))}, padding={fmt(tuple(p))}, the array of sliding blocks would be"
                                f" ({bh}, {bw}), but its components must be at least one")
    c = x.shape[-3]
    return TensorV(tuple(x.shape[:-3]) + (c * (k[0] * k[1]), _mul(bh, bw)), x.dtype)


@op("torch.nn.functional.fold")
def f_fold(ctx, input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    return fold_shape(ctx, tensor(input), output_size, kernel_size, dilation, padding, stride, "fold")


def fold_shape(ctx, x: TensorV, output_size, kernel_size, dilation, padding, stride, label: str) -> TensorV:
    k, d, p, s = _geometry(ctx, label, kernel_size, dilation, padding, stride)
    o = _pair(output_size, "output_size")
    if len(o) != 2:
        ctx.fail(codes.INVALID_ARG, f"{label}: output_size must be an int or a pair, got {len(o)} values")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r not in (2, 3) or any(eq(v, 0) is True for v in x.shape[r - 2:]):
        ctx.fail(codes.RANK, f"{label}: expected a 2D or 3D (batch mode) input with non-zero dimensions, but {ctx.arg_text(0)}"
                             f" has shape {fmt(x.shape)}")
    planes, length = x.shape[-2:]
    kk = k[0] * k[1]
    if (planes % kk).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"{label}: expected size {planes} of {ctx.arg_text(0)}'s dimension {r - 2} (shape "
                                    f"{fmt(x.shape)}) to be divisible by the product of kernel_size {fmt(tuple(k))} = {kk}")
    bh, bw = _blocks(o[0], k[0], d[0], p[0], s[0]), _blocks(o[1], k[1], d[1], p[1], s[1])
    ctx.require_eq(length, _mul(bh, bw), codes.INVALID_ARG, lambda: (
        f"{label}: given output_size={fmt(tuple(o))}, kernel_size={fmt(tuple(k))}, dilation={fmt(tuple(d))}, padding={fmt(tuple(p))},"
        f" stride={fmt(tuple(s))}, expected size of {ctx.arg_text(0)}'s dimension {r - 1} to match the number of sliding blocks"
        f" {bh} * {bw} = {bh * bw}, but got {length} (shape {fmt(x.shape)})"))
    if lt(bh, 1) is True or lt(bw, 1) is True:
        ctx.fail(codes.SPATIAL, f"{label}: the array of sliding blocks ({bh}, {bw}) for output_size={fmt(tuple(o))} is too small")
    c = planes.exact_div(kk) if planes.exact_div(kk) is not None else floordiv(planes, kk)
    return TensorV(tuple(x.shape[:-2]) + (c, o[0], o[1]), x.dtype)


@layer("torch.nn.Unfold")
class Unfold(Layer):
    def build(self, ctx, kernel_size, dilation=1, padding=0, stride=1):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return unfold_shape(ctx, tensor(input), arg_value(m, "kernel_size"), arg_value(m, "dilation"),
                            arg_value(m, "padding"), arg_value(m, "stride"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"Unfold(kernel {as_const(arg_value(m, 'kernel_size'))})"


@layer("torch.nn.Fold")
class Fold(Layer):
    def build(self, ctx, output_size, kernel_size, dilation=1, padding=0, stride=1):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return fold_shape(ctx, tensor(input), arg_value(m, "output_size"), arg_value(m, "kernel_size"),
                          arg_value(m, "dilation"), arg_value(m, "padding"), arg_value(m, "stride"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"Fold(output {as_const(arg_value(m, 'output_size'))}, kernel {as_const(arg_value(m, 'kernel_size'))})"


def _factor(ctx, v: Value, label: str, what: str) -> Dim:
    f = as_dim(v)
    if f is None:
        raise NotUnderstood(f"{what} is not known")
    if f.value is not None and f.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"{label} expects a positive {what}, but got {f}")
    return f


def _min_rank(ctx, x: TensorV, label: str, n: int) -> None:
    if len(x.shape) < n:
        ctx.fail(codes.RANK, f"{label} expects input to have at least {n} dimensions, but {ctx.arg_text(0)} has"
                             f" {len(x.shape)}: shape {fmt(x.shape)}")


def pixel_shuffle_shape(ctx, x: TensorV, factor, label: str) -> TensorV:
    r = _factor(ctx, factor, label, "upscale_factor")
    if x.shape is None:
        return TensorV(None, x.dtype)
    _min_rank(ctx, x, label, 3)
    c, h, w = x.shape[-3:]
    if (c % (r * r)).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"{label} expects the channel dimension of {ctx.arg_text(0)} to be divisible by the square of"
                                    f" upscale_factor ({r}*{r} = {r * r}), but its size {c} is not (shape {fmt(x.shape)})")
    oc = c.exact_div(r * r)
    return TensorV(tuple(x.shape[:-3]) + (oc if oc is not None else floordiv(c, r * r), h * r, w * r), x.dtype)


def pixel_unshuffle_shape(ctx, x: TensorV, factor, label: str) -> TensorV:
    r = _factor(ctx, factor, label, "downscale_factor")
    if x.shape is None:
        return TensorV(None, x.dtype)
    _min_rank(ctx, x, label, 3)
    c, h, w = x.shape[-3:]
    for size, what in ((h, "height"), (w, "width")):
        if (size % r).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"{label} expects the {what} of {ctx.arg_text(0)} to be divisible by downscale_factor {r},"
                                        f" but it is {size} (shape {fmt(x.shape)})")
    oh, ow = h.exact_div(r), w.exact_div(r)
    return TensorV(tuple(x.shape[:-3]) + (c * r * r, oh if oh is not None else floordiv(h, r), ow if ow is not None else floordiv(w, r)), x.dtype)


@op("torch.nn.functional.pixel_shuffle", "torch.pixel_shuffle")
def f_pixel_shuffle(ctx, input, upscale_factor):
    return pixel_shuffle_shape(ctx, tensor(input), upscale_factor, "pixel_shuffle")


@op("torch.nn.functional.pixel_unshuffle", "torch.pixel_unshuffle")
def f_pixel_unshuffle(ctx, input, downscale_factor):
    return pixel_unshuffle_shape(ctx, tensor(input), downscale_factor, "pixel_unshuffle")


@layer("torch.nn.PixelShuffle")
class PixelShuffle(Layer):
    def build(self, ctx, upscale_factor):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return pixel_shuffle_shape(ctx, tensor(input), arg_value(m, "upscale_factor"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"PixelShuffle({as_const(arg_value(m, 'upscale_factor'))})"


@layer("torch.nn.PixelUnshuffle")
class PixelUnshuffle(Layer):
    def build(self, ctx, downscale_factor):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return pixel_unshuffle_shape(ctx, tensor(input), arg_value(m, "downscale_factor"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"PixelUnshuffle({as_const(arg_value(m, 'downscale_factor'))})"


def channel_shuffle_shape(ctx, x: TensorV, groups, label: str) -> TensorV:
    g = as_dim(groups)
    if g is None:
        raise NotUnderstood("groups is not known")
    if g.value is not None and g.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"{label}: number of groups to divide channels in must be positive, got groups={g}")
    if x.shape is None:
        return TensorV(None, x.dtype)
    _min_rank(ctx, x, label, 3)
    c = x.shape[1]
    if (c % g).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"{label}: number of channels must be divisible by groups, but {ctx.arg_text(0)} has {c}"
                                    f" channels and groups={g} (shape {fmt(x.shape)})")
    return same(x)


@op("torch.nn.functional.channel_shuffle", "torch.channel_shuffle", "torch.native_channel_shuffle")
def f_channel_shuffle(ctx, input, groups):
    return channel_shuffle_shape(ctx, tensor(input), groups, "channel_shuffle")


@layer("torch.nn.ChannelShuffle")
class ChannelShuffle(Layer):
    def build(self, ctx, groups):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return channel_shuffle_shape(ctx, tensor(input), arg_value(m, "groups"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"ChannelShuffle({as_const(arg_value(m, 'groups'))})"
