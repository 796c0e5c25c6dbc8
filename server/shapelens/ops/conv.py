"""Convolutions: Conv1d/2d/3d (groups, dilation, 'same'/'valid', padding modes), their lazy
forms, and the functional convolutions. Output size per spatial dim:
floor((L + 2p - d(k-1) - 1) / s) + 1."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, le, lt
from shapelens.ops.common import arg_const, arg_dim, arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, Value, as_const, as_dim, int_tuple

AXES = {1: ["length"], 2: ["height", "width"], 3: ["depth", "height", "width"]}


def param_dim(m: ModuleV, name: str) -> Dim | None:
    """A constructor argument, or what a lazy layer inferred for it on its first call."""
    inferred = m.state.get("inferred", {})
    if name in inferred:
        return inferred[name]
    return arg_dim(m, name)


def shown(d: Dim | None) -> str:
    """A size for descriptions: `?` until known (a lazy layer before its first call)."""
    return "?" if d is None else str(d)


def infer(m: ModuleV, name: str, value: Dim) -> None:
    m.state.setdefault("inferred", {})[name] = value


def spatial_out(ctx, size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, what: str, axis: str, input_shape, p_right: Dim | None = None) -> Dim:
    """One spatial output size of a convolution, failing as torch does when the window
    does not fit the (padded) input."""
    pad = p + (p if p_right is None else p_right)
    padded = size + pad
    eff = d * (k - 1) + 1
    if lt(padded, eff) is True:
        ctx.fail(
            codes.SPATIAL,
            f"{what}: kernel size {k if d.value == 1 else f'{k} (dilated to {eff})'} is larger than the padded input"
            f" {axis} {padded} (input shape {fmt(input_shape)}); the output {axis} would be {(padded - eff) // s + 1}",
        )
    return (size + (pad - eff)) // s + 1


def check_positive(ctx, what: str, s, p, d) -> None:
    """torch's argument checks at the start of every convolution."""
    if any(x.value is not None and x.value <= 0 for x in s):
        ctx.fail(codes.INVALID_ARG, f"{what}: non-positive stride is not supported (stride={tuple(str(x) for x in s)})")
    if any(x.value is not None and x.value < 0 for x in p):
        ctx.fail(codes.INVALID_ARG, f"{what}: negative padding is not supported (padding={tuple(str(x) for x in p)})")
    if any(x.value is not None and x.value <= 0 for x in d):
        ctx.fail(codes.INVALID_ARG, f"{what}: dilation should be greater than zero (dilation={tuple(str(x) for x in d)})")


def conv_output_shape(ctx, x: TensorV, n: int, out_channels: Dim | None, k, s, p, d, what: str, padding_same: bool,
                      p_right=None):
    shape = x.shape
    spatial_in = shape[-n:]
    outs = []
    for i in range(n):
        if padding_same:
            outs.append(spatial_in[i])
        else:
            outs.append(spatial_out(ctx, spatial_in[i], k[i], s[i], p[i], d[i], what, AXES[n][i], shape,
                                    None if p_right is None else p_right[i]))
    lead = shape[:-n - 1]
    ch = out_channels if out_channels is not None else ctx.unknown_dim("out_channels")
    return TensorV(tuple(lead) + (ch,) + tuple(outs), x.dtype)


def check_rank(ctx, x: TensorV, n: int, name: str) -> bool:
    """True when batched; fails for ranks torch rejects."""
    r = len(x.shape)
    if r not in (n + 1, n + 2):
        ctx.fail(codes.RANK, f"{name} expects a {n + 1}D (unbatched) or {n + 2}D (batched) input, but {ctx.arg_text(0)} has"
                             f" {r} dimensions: shape {fmt(x.shape)}")
    return r == n + 2


def _tuple(ctx, v: Value, n: int, what: str) -> list[Dim]:
    """An int or n ints; torch also expands a single-element stride/padding/dilation (not a
    kernel_size, which shapes the weight)."""
    t = int_tuple(v, n)
    if t is None or any(x is None for x in t):
        raise NotUnderstood(f"{what} is not known")
    if len(t) == 1 and what != "kernel_size":
        t = t * n
    if len(t) != n:
        ctx.fail(codes.INVALID_ARG, f"expected {what} to be a single integer value or a list of {n} values to match the"
                                    f" convolution dimensions, but got {what}={tuple(str(x) for x in t)}")
    return t  # type: ignore[return-value]


def check_float_input(ctx, x: TensorV, label: str) -> None:
    """A layer's weights are floating point; torch refuses an integer input (an uint8 image...)."""
    if x.is_integer:
        ctx.fail(codes.DTYPE, f"{label} needs a floating-point input, but {ctx.arg_text(0)} has dtype {x.dtype}"
                              f" (convert it, e.g. {ctx.arg_text(0)}.float())")


def check_groups(ctx, cin: Dim | None, cout: Dim | None, g: Dim | None) -> None:
    if g is not None and g.value is not None and g.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"groups must be a positive integer (got groups={g})")
    if cin is not None and g is not None and (cin % g).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"in_channels must be divisible by groups (in_channels={cin}, groups={g})")
    if cout is not None and g is not None and (cout % g).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"out_channels must be divisible by groups (out_channels={cout}, groups={g})")


def check_padding_mode(ctx, padding_mode) -> None:
    mode = as_const(padding_mode)
    if isinstance(mode, str) and mode not in ("zeros", "reflect", "replicate", "circular"):
        ctx.fail(codes.INVALID_ARG, f"padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='{mode}'")


def mode_pad_check(ctx, mode: str, size: Dim, left: Dim, right: Dim, label: str, axis: str, shape) -> None:
    """The checks F.pad makes before a reflect/replicate/circular padded convolution."""
    if mode == "reflect":
        for side in (left, right):
            if le(size, side) is True:
                ctx.fail(codes.INVALID_ARG,
                         f"{label}: padding_mode='reflect' needs padding smaller than the input {axis}, but got padding "
                         f"({left}, {right}) for {axis} {size} (input shape {fmt(shape)})")
    elif mode == "circular":
        for side in (left, right):
            if lt(size, side) is True:
                ctx.fail(codes.INVALID_ARG,
                         f"{label}: padding_mode='circular' wraps around more than once: padding ({left}, {right}) for "
                         f"{axis} {size} (input shape {fmt(shape)})")


class ConvLayer(Layer):
    """What convolutions and transposed convolutions share: parameters (their weights differ
    only in which channel count comes first), description and input template."""

    n = 2

    def weight_channels(self, cin: Dim, cout: Dim, g: Dim) -> tuple[Dim, Dim]:
        return (cout, cin // g)

    def params(self, m: ModuleV):
        cin, cout, g = param_dim(m, "in_channels"), arg_dim(m, "out_channels"), arg_dim(m, "groups")
        k = int_tuple(arg_value(m, "kernel_size"), self.n)
        if cin is None or cout is None or g is None or k is None or any(x is None for x in k) or g.value is None:
            return None
        out = {"weight": self.weight_channels(cin, cout, g) + tuple(k)}
        if arg_const(m, "bias", True):
            out["bias"] = (cout,)
        return out

    def describe(self, m: ModuleV) -> str:
        k = as_const(arg_value(m, "kernel_size"))
        return f"{m.short}({shown(param_dim(m, 'in_channels'))} → {shown(arg_dim(m, 'out_channels'))}, kernel {k})"

    def input_template(self, m: ModuleV):
        cin = param_dim(m, "in_channels")
        spatial = ["L"] if self.n == 1 else (["H", "W"] if self.n == 2 else ["D", "H", "W"])
        return ["B", cin if cin is not None else "C"] + spatial


class _ConvNd(ConvLayer):
    n = 2
    lazy = False

    def build(self, ctx, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
              bias=True, padding_mode="zeros", device=None, dtype=None):
        check_groups(ctx, as_dim(in_channels), as_dim(out_channels), as_dim(groups))
        self.check_common(ctx, stride, padding, padding_mode)
        return None

    def check_common(self, ctx, stride, padding, padding_mode):
        pad = as_const(padding)
        if isinstance(pad, str):
            if pad not in ("same", "valid"):
                ctx.fail(codes.INVALID_ARG, f"Invalid padding string '{pad}', should be one of {{'valid', 'same'}}")
            st = int_tuple(stride, self.n)
            if pad == "same" and st is not None and any(s is not None and s.value not in (1, None) for s in st):
                ctx.fail(codes.INVALID_ARG, "padding='same' is not supported for strided convolutions")
        check_padding_mode(ctx, padding_mode)

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

    def infer_in_channels(self, ctx, m: ModuleV, x: TensorV) -> None:
        """A lazy layer takes in_channels from its first input (torch's initialize_parameters)."""
        if "in_channels" in m.state.get("inferred", {}):
            return
        batched = check_rank(ctx, x, self.n, m.label())
        c = x.shape[1] if batched else x.shape[0]
        g = arg_dim(m, "groups")
        if g is not None and (c % g).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"{m.label()}: in_channels must be divisible by groups, but {ctx.arg_text(0)} has"
                                        f" {c} channels and groups={g}: shape {fmt(x.shape)}")
        infer(m, "in_channels", c)

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is None:
            return TensorV(None, x.dtype)
        check_float_input(ctx, x, m.label())
        if self.lazy:
            self.infer_in_channels(ctx, m, x)
        k, s, p, d, same = self.geometry(ctx, m)
        check_positive(ctx, m.label(), s, p, d)
        mode = arg_const(m, "padding_mode", "zeros")
        right = None
        if mode != "zeros":
            # torch pads with F.pad first ('same' splits d*(k-1) with the extra on the right),
            # then convolves with no padding.
            if same:
                total = [di * (ki - 1) for ki, di in zip(k, d)]
                # torch zips the dilation as written with the kernel: a one-value dilation
                # tuple pads only the first spatial dim.
                written = int_tuple(arg_value(m, "dilation"), self.n) or d
                total = [t if i < len(written) else Dim.const(0) for i, t in enumerate(total)]
                p = [t // 2 for t in total]
                right = [t - t // 2 for t in total]
                same = False
            else:
                raw = int_tuple(arg_value(m, "padding"), self.n)
                if raw is not None and len(raw) == 1 and self.n > 1:
                    # F.pad gets the padding as written: one value pads only the last dim, and
                    # 2 pad values on a non-constant mode need a 2D or 3D input.
                    if len(x.shape) not in (2, 3):
                        ctx.fail(codes.INVALID_ARG, f"{m.label()}: padding={as_const(arg_value(m, 'padding'))} with"
                                                    f" padding_mode='{mode}' pads only the last dimension, which F.pad supports"
                                                    f" for 2D or 3D inputs only, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
                    p = [Dim.const(0)] * (self.n - 1) + [p[-1]]
                right = list(p)
            if len(x.shape) in (self.n + 1, self.n + 2):
                for i in range(self.n):
                    mode_pad_check(ctx, mode, x.shape[-self.n + i], p[i], right[i], m.label(), AXES[self.n][i], x.shape)
        check_rank(ctx, x, self.n, m.label())
        cin = param_dim(m, "in_channels")
        c = x.shape[-self.n - 1]
        if cin is not None:
            ctx.require_eq(c, cin, codes.CHANNELS, lambda: (
                f"{m.label()} expects {cin} input channels but {ctx.arg_text(0)} has {c}: shape {fmt(x.shape)}"))
        cout, g = arg_dim(m, "out_channels"), arg_dim(m, "groups")
        if self.lazy and cout is not None and g is not None and (cout % g).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"{m.label()}: out_channels={cout} is not divisible by groups={g}")
        return conv_output_shape(ctx, x, self.n, cout, k, s, p, d, m.label(), same, right)



@layer("torch.nn.Conv1d")
class Conv1d(_ConvNd):
    n = 1


@layer("torch.nn.Conv2d")
class Conv2d(_ConvNd):
    n = 2


@layer("torch.nn.Conv3d")
class Conv3d(_ConvNd):
    n = 3


class _LazyConvNd(_ConvNd):
    lazy = True

    def build(self, ctx, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
              padding_mode="zeros", device=None, dtype=None):
        # torch builds the layer with in_channels=out_channels=0, so only groups > 0 is checked here.
        check_groups(ctx, None, None, as_dim(groups))
        self.check_common(ctx, stride, padding, padding_mode)
        return None


@layer("torch.nn.LazyConv1d")
class LazyConv1d(_LazyConvNd):
    n = 1


@layer("torch.nn.LazyConv2d")
class LazyConv2d(_LazyConvNd):
    n = 2


@layer("torch.nn.LazyConv3d")
class LazyConv3d(_LazyConvNd):
    n = 3


def check_bias(ctx, bias, cout: Dim, w: TensorV) -> None:
    b = bias if isinstance(bias, TensorV) else None
    if b is None or b.shape is None:
        return
    if len(b.shape) != 1:
        ctx.fail(codes.INVALID_ARG, f"Given weight of size {fmt(w.shape)}, expected bias to be 1-dimensional with {cout} elements, but got bias of shape {fmt(b.shape)}")
    ctx.require_eq(b.shape[0], cout, codes.INVALID_ARG, lambda: (
        f"Given weight of size {fmt(w.shape)}, expected bias to be 1-dimensional with {cout} elements, but got bias of shape {fmt(b.shape)}"))


def _functional_conv(ctx, n, input, weight, bias, stride, padding, dilation, groups):
    x, w = tensor(input), tensor(weight, "weight")
    if x.shape is None or w.shape is None:
        return TensorV(None, x.dtype)
    name = f"conv{n}d"
    check_rank(ctx, x, n, name)
    if len(w.shape) != n + 2:
        ctx.fail(codes.RANK, f"weight of {name} must have {n + 2} dimensions, got shape {fmt(w.shape)}")
    g = as_dim(groups) if groups is not None else Dim.const(1)
    if g is None:
        raise NotUnderstood("groups is not known")
    if g.value is not None and g.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"{name}: non-positive groups is not supported (groups={g})")
    s = _tuple(ctx, stride, n, "stride")
    d = _tuple(ctx, dilation, n, "dilation")
    pad = as_const(padding)
    same = pad == "same"
    if isinstance(pad, str) and pad not in ("same", "valid"):
        ctx.fail(codes.INVALID_ARG, f"Invalid padding string: '{pad}'")
    p = [Dim.const(0)] * n if pad in ("same", "valid") else _tuple(ctx, padding, n, "padding")
    check_positive(ctx, name, s, p, d)
    if same and any(si.value not in (1, None) for si in s):
        ctx.fail(codes.INVALID_ARG, "padding='same' is not supported for strided convolutions")
    cout = w.shape[0]
    if (cout % g).value not in (0, None):
        ctx.fail(codes.INVALID_ARG, f"Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight of size {fmt(w.shape)} instead")
    c = x.shape[-n - 1]
    need = w.shape[1] * g
    ctx.require_eq(c, need, codes.CHANNELS, lambda: (
        f"Given groups={g}, weight of size {fmt(w.shape)}, expected {ctx.arg_text(0)} {fmt(x.shape)} to have {need} channels, but got {c} channels instead"))
    check_bias(ctx, bias, cout, w)
    k = list(w.shape[2:])
    return conv_output_shape(ctx, x, n, cout, k, s, p, d, name, same)


@op("torch.nn.functional.conv1d", "torch.conv1d")
def conv1d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 1, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv2d", "torch.conv2d")
def conv2d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 2, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv3d", "torch.conv3d")
def conv3d(ctx, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _functional_conv(ctx, 3, input, weight, bias, stride, padding, dilation, groups)
