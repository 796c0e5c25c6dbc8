"""Convolutions: Conv1d/2d/3d (groups, dilation, 'same'/'valid', padding modes) and their
functional forms. Output size per spatial dim: floor((L + 2p - d(k-1) - 1) / s) + 1."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, le, lt
from shapelens.ops.common import arg_const, arg_dim, arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import Const, ModuleV, TensorV, Value, as_const, as_dim, int_tuple


def spatial_out(ctx, size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, what: str, axis: str, input_shape) -> Dim:
    """One spatial output size of a convolution, failing as torch does when the window
    does not fit the (padded) input."""
    padded = size + 2 * p
    eff = d * (k - 1) + 1
    if lt(padded, eff) is True:
        ctx.fail(
            codes.SPATIAL,
            f"{what}: kernel size {k if d.value == 1 else f'{k} (dilated to {eff})'} is larger than the padded input"
            f" {axis} {padded} (input shape {fmt(input_shape)}); the output {axis} would be {(padded - eff) // s + 1}",
        )
    return (padded - eff) // s + 1


def conv_output_shape(ctx, x: TensorV, n: int, out_channels: Dim | None, k, s, p, d, what: str, padding_same: bool):
    shape = x.shape
    spatial_in = shape[-n:]
    axes = ["length"] if n == 1 else (["height", "width"] if n == 2 else ["depth", "height", "width"])
    outs = []
    for i in range(n):
        if padding_same:
            outs.append(spatial_in[i])
        else:
            outs.append(spatial_out(ctx, spatial_in[i], k[i], s[i], p[i], d[i], what, axes[i], shape))
    lead = shape[:-n - 1]
    ch = out_channels if out_channels is not None else ctx.unknown_dim("out_channels")
    return TensorV(tuple(lead) + (ch,) + tuple(outs), x.dtype)


def check_rank(ctx, x: TensorV, n: int, name: str) -> bool:
    """True when batched; fails for ranks torch rejects."""
    r = len(x.shape)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got input of shape {fmt(x.shape)}")
    return r == n + 2


def _tuple(ctx, v: Value, n: int, what: str) -> list[Dim]:
    t = int_tuple(v, n)
    if t is None or len(t) != n or any(x is None for x in t):
        raise NotUnderstood(f"{what} is not known")
    return t  # type: ignore[return-value]


class _ConvNd(Layer):
    n = 2
    attr_aliases = {}

    def build(self, ctx, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
              bias=True, padding_mode="zeros", device=None, dtype=None):
        cin, cout, g = as_dim(in_channels), as_dim(out_channels), as_dim(groups)
        if g is not None and g.value is not None and g.value <= 0:
            ctx.fail(codes.INVALID_ARG, "groups must be a positive integer")
        if cin is not None and g is not None and (cin % g).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"in_channels must be divisible by groups (in_channels={cin}, groups={g})")
        if cout is not None and g is not None and (cout % g).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"out_channels must be divisible by groups (out_channels={cout}, groups={g})")
        pad = as_const(padding)
        if isinstance(pad, str):
            if pad not in ("same", "valid"):
                ctx.fail(codes.INVALID_ARG, f"Invalid padding string '{pad}', should be one of {{'valid', 'same'}}")
            st = int_tuple(stride, self.n)
            if pad == "same" and st is not None and any(s is not None and s.value not in (1, None) for s in st):
                ctx.fail(codes.INVALID_ARG, "padding='same' is not supported for strided convolutions")
        mode = as_const(padding_mode)
        if isinstance(mode, str) and mode not in ("zeros", "reflect", "replicate", "circular"):
            ctx.fail(codes.INVALID_ARG, f"padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='{mode}'")
        return None

    def geometry(self, ctx, m: ModuleV):
        n = self.n
        k = _tuple(ctx, arg_value(m, "kernel_size"), n, "kernel_size")
        s = _tuple(ctx, arg_value(m, "stride"), n, "stride")
        d = _tuple(ctx, arg_value(m, "dilation"), n, "dilation")
        pad = as_const(arg_value(m, "padding"))
        same = pad == "same"
        if pad == "valid" or same:
            p = [Dim.const(0)] * n
        else:
            p = _tuple(ctx, arg_value(m, "padding"), n, "padding")
        return k, s, p, d, same

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is None:
            return TensorV(None, x.dtype)
        name = f"conv{self.n}d"
        check_rank(ctx, x, self.n, name)
        cin = arg_dim(m, "in_channels")
        c = x.shape[-self.n - 1]
        if cin is not None:
            ctx.require_eq(c, cin, codes.CHANNELS, lambda: (
                f"{m.label()} expects {cin} input channels but {ctx.arg_text(0)} has {c}: shape {fmt(x.shape)}"))
            if eq(c, cin) is False:
                pass
        k, s, p, d, same = self.geometry(ctx, m)
        if same:
            # 'same' pads (d*(k-1)) in total; output keeps the input size.
            pass
        out = conv_output_shape(ctx, x, self.n, arg_dim(m, "out_channels"), k, s, p, d, m.label(), same)
        return out

    def params(self, m: ModuleV):
        cin, cout, g = arg_dim(m, "in_channels"), arg_dim(m, "out_channels"), arg_dim(m, "groups")
        k = int_tuple(arg_value(m, "kernel_size"), self.n)
        if cin is None or cout is None or g is None or k is None or any(x is None for x in k) or g.value is None:
            return None
        out = {"weight": (cout, cin // g) + tuple(k)}
        if arg_const(m, "bias", True):
            out["bias"] = (cout,)
        return out

    def describe(self, m: ModuleV) -> str:
        k = as_const(arg_value(m, "kernel_size"))
        return f"{m.short}({arg_dim(m, 'in_channels')} → {arg_dim(m, 'out_channels')}, kernel {k})"

    def input_template(self, m: ModuleV):
        cin = arg_dim(m, "in_channels")
        spatial = ["L"] if self.n == 1 else (["H", "W"] if self.n == 2 else ["D", "H", "W"])
        return ["B", cin if cin is not None else "C"] + spatial


@layer("torch.nn.Conv1d")
class Conv1d(_ConvNd):
    n = 1


@layer("torch.nn.Conv2d")
class Conv2d(_ConvNd):
    n = 2


@layer("torch.nn.Conv3d")
class Conv3d(_ConvNd):
    n = 3


def _functional_conv(ctx, n, input, weight, bias, stride, padding, dilation, groups):
    x, w = tensor(input), tensor(weight, "weight")
    if x.shape is None or w.shape is None:
        return TensorV(None, x.dtype)
    check_rank(ctx, x, n, f"conv{n}d")
    if len(w.shape) != n + 2:
        ctx.fail(codes.RANK, f"weight of conv{n}d must have {n + 2} dimensions, got shape {fmt(w.shape)}")
    g = as_dim(groups) or Dim.const(1)
    c = x.shape[-n - 1]
    need = w.shape[1] * g
    ctx.require_eq(c, need, codes.CHANNELS, lambda: (
        f"Given groups={g}, weight of size {fmt(w.shape)}, expected input{fmt(x.shape)} to have {need} channels, but got {c} channels instead"))
    k = list(w.shape[2:])
    s = int_tuple(stride, n)
    d = int_tuple(dilation, n)
    pad = as_const(padding)
    same = pad == "same"
    p = [Dim.const(0)] * n if pad in ("same", "valid") else int_tuple(padding, n)
    if s is None or d is None or p is None or None in s or None in d or None in p:
        raise NotUnderstood("conv arguments are not known")
    return conv_output_shape(ctx, x, n, w.shape[0], k, s, p, d, f"conv{n}d", same)


@op("torch.nn.functional.conv1d", "torch.conv1d")
def conv1d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 1, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv2d", "torch.conv2d")
def conv2d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 2, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv3d", "torch.conv3d")
def conv3d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 3, input, weight, bias, stride, padding, dilation, groups)
