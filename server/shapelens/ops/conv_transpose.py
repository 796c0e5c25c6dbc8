"""Transposed convolutions: ConvTranspose1d/2d/3d (and lazy forms), `output_size=` in forward,
and F.conv_transpose1d/2d/3d. Output size per spatial dim:
(L - 1)*s - 2p + d*(k - 1) + output_padding + 1."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, le, lt
from shapelens.ops.common import arg_const, arg_dim, arg_value, fmt, tensor
from shapelens.ops.conv import ConvLayer, _tuple, check_bias, check_float_input, check_groups, check_positive, check_rank, infer, param_dim
from shapelens.ops.registry import NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, as_const, as_dim, as_seq


def transpose_out(size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, op_: Dim) -> Dim:
    # constants first, so a symbolic size reads `2*H + 1`, not `2*(H - 1) - 2 + 3 + 0 + 1`
    return size * s + (d * (k - 1) - 2 * p + op_ + 1 - s)


def transpose_shape(ctx, x: TensorV, n: int, cout: Dim, k, s, p, op_, d, label: str) -> TensorV:
    check_positive(ctx, label, s, p, d)
    for oi, si, di in zip(op_, s, d):
        if oi.value is not None and si.value is not None and di.value is not None and not (oi.value < si.value or oi.value < di.value):
            ctx.fail(codes.INVALID_ARG,
                     f"{label}: output padding must be smaller than either stride or dilation, but got output_padding="
                     f"{tuple(str(v) for v in op_)}, stride={tuple(str(v) for v in s)}, dilation={tuple(str(v) for v in d)}")
    spatial = x.shape[-n:]
    outs = [transpose_out(spatial[i], k[i], s[i], p[i], d[i], op_[i]) for i in range(n)]
    # Negative sizes always fail. An empty size fails on meta only when every spatial size is
    # empty; on CPU it depends on the backend torch picks (sizes, groups, dilation), so a partly
    # empty output is left to torch.
    if any(lt(o, 0) is True for o in outs) or all(le(o, 0) is True for o in outs):
        ctx.fail(codes.SPATIAL,
                 f"{label}: given input size per channel {fmt(tuple(spatial))}, the calculated output size per channel "
                 f"{fmt(tuple(outs))} is too small (input shape {fmt(x.shape)})")
    return TensorV(tuple(x.shape[:-n - 1]) + (cout,) + tuple(outs), x.dtype)


def output_padding_for(ctx, x: TensorV, n: int, output_size, k, s, p, d, label: str) -> list[Dim]:
    """torch's `_output_padding`: the output_padding that makes the requested output_size."""
    seq = as_seq(output_size)
    if seq is None:
        raise NotUnderstood("output_size is not a known sequence")
    sizes = [as_dim(v) for v in seq]
    if any(v is None for v in sizes):
        raise NotUnderstood("output_size is not known")
    non_spatial = 2 if len(x.shape) == n + 2 else 1
    if len(sizes) == non_spatial + n:
        sizes = sizes[non_spatial:]
    if len(sizes) != n:
        ctx.fail(codes.INVALID_ARG, f"{label}: for {len(x.shape)}D input, output_size must have {n} or {n + non_spatial} elements (got {len(seq)})")
    spatial = x.shape[-n:]
    mins = [transpose_out(spatial[i], k[i], s[i], p[i], d[i], Dim.const(0)) for i in range(n)]
    maxs = [transpose_out(spatial[i], k[i], s[i], p[i], d[i], s[i] - 1) for i in range(n)]
    for i in range(n):
        if lt(sizes[i], mins[i]) is True or lt(maxs[i], sizes[i]) is True:
            ctx.fail(codes.INVALID_ARG,
                     f"{label}: requested an output size of {fmt(tuple(sizes))}, but valid sizes range from "
                     f"{fmt(tuple(mins))} to {fmt(tuple(maxs))} (for an input of {fmt(tuple(spatial))})")
    return [sizes[i] - mins[i] for i in range(n)]


class _ConvTransposeNd(ConvLayer):
    n = 2
    lazy = False

    def build(self, ctx, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
              bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        check_groups(ctx, as_dim(in_channels), as_dim(out_channels), as_dim(groups))
        self.check_common(ctx, padding, padding_mode)
        return None

    def check_common(self, ctx, padding, padding_mode):
        pad = as_const(padding)
        if isinstance(pad, str) and pad not in ("same", "valid"):
            ctx.fail(codes.INVALID_ARG, f"Invalid padding string '{pad}', should be one of {{'valid', 'same'}}")
        mode = as_const(padding_mode)
        if isinstance(mode, str) and mode != "zeros":
            ctx.fail(codes.INVALID_ARG, f'Only "zeros" padding mode is supported for {self.names[0].rsplit(".", 1)[-1]} (got padding_mode={mode!r})')

    def forward(self, ctx, m: ModuleV, input, output_size=None):
        x = tensor(input)
        if x.shape is None:
            return TensorV(None, x.dtype)
        n = self.n
        label = m.label()
        check_float_input(ctx, x, label)
        if isinstance(as_const(arg_value(m, "padding")), str):
            ctx.fail(codes.INVALID_ARG, f"{label}: a transposed convolution takes integer padding, not padding={as_const(arg_value(m, 'padding'))!r}")
        if self.lazy and "in_channels" not in m.state.get("inferred", {}):
            batched = check_rank(ctx, x, n, label)
            c0 = x.shape[1] if batched else x.shape[0]
            g0 = arg_dim(m, "groups")
            if g0 is not None and (c0 % g0).value not in (0, None):
                ctx.fail(codes.INVALID_ARG, f"{label}: in_channels must be divisible by groups, but {ctx.arg_text(0)} has {c0} channels and groups={g0}")
            infer(m, "in_channels", c0)
        check_rank(ctx, x, n, label)
        k = _tuple(ctx, arg_value(m, "kernel_size"), n, "kernel_size")
        s = _tuple(ctx, arg_value(m, "stride"), n, "stride")
        p = _tuple(ctx, arg_value(m, "padding"), n, "padding")
        d = _tuple(ctx, arg_value(m, "dilation"), n, "dilation")
        if output_size is None:
            op_ = _tuple(ctx, arg_value(m, "output_padding"), n, "output_padding")
        else:
            op_ = output_padding_for(ctx, x, n, output_size, k, s, p, d, label)
        cin = param_dim(m, "in_channels")
        c = x.shape[-n - 1]
        if cin is not None:
            ctx.require_eq(c, cin, codes.CHANNELS, lambda: (
                f"{label} expects {cin} input channels but {ctx.arg_text(0)} has {c}: shape {fmt(x.shape)}"))
        cout = self.out_channels(ctx, m)
        return transpose_shape(ctx, x, n, cout if cout is not None else ctx.unknown_dim("out_channels"), k, s, p, op_, d, label)

    def out_channels(self, ctx, m: ModuleV) -> Dim | None:
        cout, g = arg_dim(m, "out_channels"), arg_dim(m, "groups")
        if not self.lazy or cout is None or g is None or g.value is None:
            return cout
        # A lazy layer materialises weight (in, out // groups, *k): the output has (out // groups) * groups channels.
        real = (cout // g) * g
        if eq(real, cout) is False and arg_const(m, "bias", True):
            ctx.fail(codes.INVALID_ARG, f"{m.label()}: out_channels={cout} is not divisible by groups={g}, so its bias of {cout}"
                                        f" elements does not fit the {real} output channels")
        return real

    def weight_channels(self, cin: Dim, cout: Dim, g: Dim) -> tuple[Dim, Dim]:
        return (cin, cout // g)


@layer("torch.nn.ConvTranspose1d")
class ConvTranspose1d(_ConvTransposeNd):
    n = 1


@layer("torch.nn.ConvTranspose2d")
class ConvTranspose2d(_ConvTransposeNd):
    n = 2


@layer("torch.nn.ConvTranspose3d")
class ConvTranspose3d(_ConvTransposeNd):
    n = 3


class _LazyConvTransposeNd(_ConvTransposeNd):
    lazy = True

    def build(self, ctx, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
              dilation=1, padding_mode="zeros", device=None, dtype=None):
        check_groups(ctx, None, None, as_dim(groups))
        self.check_common(ctx, padding, padding_mode)
        return None


@layer("torch.nn.LazyConvTranspose1d")
class LazyConvTranspose1d(_LazyConvTransposeNd):
    n = 1


@layer("torch.nn.LazyConvTranspose2d")
class LazyConvTranspose2d(_LazyConvTransposeNd):
    n = 2


@layer("torch.nn.LazyConvTranspose3d")
class LazyConvTranspose3d(_LazyConvTransposeNd):
    n = 3


def _functional(ctx, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, w = tensor(input), tensor(weight, "weight")
    if x.shape is None or w.shape is None:
        return TensorV(None, x.dtype)
    name = f"conv_transpose{n}d"
    check_rank(ctx, x, n, name)
    if len(w.shape) != n + 2:
        ctx.fail(codes.RANK, f"weight of {name} must have {n + 2} dimensions, got shape {fmt(w.shape)}")
    g = as_dim(groups) if groups is not None else Dim.const(1)
    if g is None:
        raise NotUnderstood(f"{name} groups is not known")
    s, p, op_, d = (_tuple(ctx, v, n, w) for v, w in ((stride, "stride"), (padding, "padding"),
                                                        (output_padding, "output_padding"), (dilation, "dilation")))
    if g.value is not None and g.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"{name}: non-positive groups is not supported (groups={g})")
    cin = w.shape[0]
    if (cin % g).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight of size {fmt(w.shape)} instead")
    c = x.shape[-n - 1]
    ctx.require_eq(c, cin, codes.CHANNELS, lambda: (
        f"Given transposed=1, weight of size {fmt(w.shape)}, expected {ctx.arg_text(0)} {fmt(x.shape)} to have {cin} channels, but got {c} channels instead"))
    cout = w.shape[1] * g
    check_bias(ctx, bias, cout, w)
    return transpose_shape(ctx, x, n, cout, list(w.shape[2:]), s, p, op_, d, name)


@op("torch.nn.functional.conv_transpose1d", "torch.conv_transpose1d")
def conv_transpose1d(ctx, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _functional(ctx, 1, input, weight, bias, stride, padding, output_padding, groups, dilation)


@op("torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d")
def conv_transpose2d(ctx, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _functional(ctx, 2, input, weight, bias, stride, padding, output_padding, groups, dilation)


@op("torch.nn.functional.conv_transpose3d", "torch.conv_transpose3d")
def conv_transpose3d(ctx, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _functional(ctx, 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
