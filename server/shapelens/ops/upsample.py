"""Resampling: F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area), nn.Upsample, UpsamplingNearest2d/UpsamplingBilinear2d and the deprecated F.upsample*.

With scale_factor the output size is floor(in * scale), computed by torch in double precision;
for a symbolic input it is the floor of the exact rational multiple."""

from __future__ import annotations

import math
from fractions import Fraction

from shapelens import findings as codes
from shapelens.dims import Dim, floordiv, lt
from shapelens.ops.common import arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import Const, IntV, ModuleV, TensorV, TupleV, Value, as_const, as_dim, as_seq

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
NEEDS_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _scale_value(v: Value) -> float | None:
    c = as_const(v)
    if isinstance(c, bool) or not isinstance(c, (int, float)):
        return None
    return float(c)


def scaled(size: Dim, scale: float) -> Dim:
    if size.value is not None:
        return Dim.const(math.trunc(float(size.value) * scale))
    if scale.is_integer():
        return size * int(scale)
    # The intended ratio (1.1 → 11/10) rather than the double's exact binary fraction.
    frac = Fraction(scale).limit_denominator(10_000)
    return floordiv(size * frac.numerator, Dim.const(frac.denominator))


def interpolate_shape(ctx, x: TensorV, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias,
                      label: str) -> TensorV:
    md = as_const(mode)
    if not isinstance(md, str):
        raise NotUnderstood("interpolation mode is not known")
    ac = as_const(align_corners) if align_corners is not None else None
    if md in ("nearest", "area", "nearest-exact") and align_corners is not None:
        ctx.fail(codes.INVALID_ARG, f"{label}: align_corners option can only be set with the interpolating modes: "
                                    f"linear | bilinear | bicubic | trilinear (mode={md!r}, align_corners={ac})")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    n = r - 2
    spatial = x.shape[2:]
    if size is not None and scale_factor is not None:
        ctx.fail(codes.INVALID_ARG, f"{label}: only one of size or scale_factor should be defined")
    out: list[Dim] | None = None
    scales: list[float] | None = None
    if size is not None:
        seq = as_seq(size)
        if seq is not None:
            if len(seq) != n:
                ctx.fail(codes.INVALID_ARG,
                         f"{label}: input and output must have the same number of spatial dimensions, but {ctx.arg_text(0)} has"
                         f" spatial dimensions {fmt(tuple(spatial))} (shape {fmt(x.shape)}) and the output size is {as_const_seq(seq)}")
            if any(isinstance(v, Const) and not isinstance(v.value, bool) and isinstance(v.value, float) for v in seq):
                ctx.fail(codes.INVALID_ARG, f"{label}: expected size to be int or a tuple of ints, but got {as_const_seq(seq)}")
            dims = [as_dim(v) for v in seq]
        else:
            if isinstance(size, Const) and isinstance(size.value, float):
                ctx.fail(codes.INVALID_ARG, f"{label}: expected size to be int or a tuple of ints, but got {size.value}")
            dims = [as_dim(size)] * n
        if any(d is None for d in dims):
            raise NotUnderstood("size is not known")
        out = dims  # type: ignore[assignment]
    elif scale_factor is not None:
        seq = as_seq(scale_factor)
        if seq is not None:
            if len(seq) != n:
                ctx.fail(codes.INVALID_ARG,
                         f"{label}: input and scale_factor must have the same number of spatial dimensions, but {ctx.arg_text(0)} has"
                         f" spatial dimensions {fmt(tuple(spatial))} (shape {fmt(x.shape)}) and scale_factor is {as_const_seq(seq)}")
            vals = [_scale_value(v) for v in seq]
        else:
            vals = [_scale_value(scale_factor)] * n
        ints = [as_dim(v) for v in (seq if seq is not None else [scale_factor] * n)]
        if any(v is None for v in vals) and all(d is not None for d in ints):
            # a symbolic integer factor (e.g. a size read from another tensor) scales exactly
            out = [d * f for d, f in zip(spatial, ints)]  # type: ignore[operator]
        elif any(v is None for v in vals):
            raise NotUnderstood("scale_factor is not known")
        scales = vals  # type: ignore[assignment]
    else:
        ctx.fail(codes.INVALID_ARG, f"{label}: either size or scale_factor should be defined")
    rsf = as_const(recompute_scale_factor) if recompute_scale_factor is not None else None
    if rsf and size is not None:
        ctx.fail(codes.INVALID_ARG, f"{label}: recompute_scale_factor is not meaningful with an explicit size")
    if as_const(antialias) is True and not (md in ("bilinear", "bicubic") and r == 4):
        ctx.fail(codes.INVALID_ARG, f"{label}: anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D"
                                    f" tensor as input (mode={md!r}, {ctx.arg_text(0)} has shape {fmt(x.shape)})")
    if md not in MODES:
        ctx.fail(codes.INVALID_ARG, f"{label}: unknown interpolation mode {md!r}; expected one of {' | '.join(MODES)}")
    need = NEEDS_RANK.get(md)
    if need is not None and r != need:
        ctx.fail(codes.RANK, f"{label}: got {r}D input {ctx.arg_text(0)} {fmt(x.shape)}, but {md} mode needs {need}D input")
    if r not in (3, 4, 5):
        ctx.fail(codes.RANK, f"{label}: only 3D, 4D and 5D input tensors are supported (got {r}D input {ctx.arg_text(0)}"
                             f" of shape {fmt(x.shape)}) for mode {md!r}")
    if out is None:
        out = [scaled(d, s) for d, s in zip(spatial, scales)]  # type: ignore[arg-type]
    if md == "area":
        # adaptive average pooling to the output size
        if any(lt(o, 0) is True for o in out):
            ctx.fail(codes.SPATIAL, f"{label}: the output size {fmt(tuple(out))} for {ctx.arg_text(0)} {fmt(x.shape)} is negative")
    elif any(lt(o, 1) is True for o in out):
        ctx.fail(codes.SPATIAL, f"{label}: input and output sizes should be greater than 0, but got input {fmt(tuple(spatial))}"
                                f" and output {fmt(tuple(out))} for {ctx.arg_text(0)} {fmt(x.shape)}")
    return TensorV(tuple(x.shape[:2]) + tuple(out), x.dtype)


def as_const_seq(seq: list[Value]) -> str:
    items = []
    for v in seq:
        c = as_const(v)
        items.append(str(v.dim) if isinstance(v, IntV) else repr(c))
    return "[" + ", ".join(items) + "]"


@op("torch.nn.functional.interpolate", "torch.nn.functional.upsample")
def interpolate(ctx, input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    return interpolate_shape(ctx, tensor(input), size, scale_factor, mode, align_corners, recompute_scale_factor,
                             antialias, "interpolate")


@op("torch.nn.functional.upsample_nearest")
def upsample_nearest(ctx, input, size=None, scale_factor=None):
    return interpolate_shape(ctx, tensor(input), size, scale_factor, Const("nearest"), None, None, None, "upsample_nearest")


@op("torch.nn.functional.upsample_bilinear")
def upsample_bilinear(ctx, input, size=None, scale_factor=None):
    return interpolate_shape(ctx, tensor(input), size, scale_factor, Const("bilinear"), Const(True), None, None,
                             "upsample_bilinear")


def _module_scale(v: Value | None) -> Value | None:
    """nn.Upsample stores float(scale_factor), or None for a falsy one (0 included)."""
    if v is None:
        return None
    if isinstance(v, TupleV):
        return v
    c = as_const(v)
    if isinstance(c, (int, float)) and not c:
        return None
    return v


@layer("torch.nn.Upsample")
class Upsample(Layer):
    mode: str | None = None
    align: bool | None = None

    def build(self, ctx, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        if scale_factor is not None and as_seq(scale_factor) is not None and not isinstance(scale_factor, TupleV):
            ctx.fail(codes.INVALID_ARG, "Upsample: scale_factor must be a number or a tuple, not a list")
        return None

    def forward(self, ctx, m: ModuleV, input):
        mode = Const(self.mode) if self.mode else arg_value(m, "mode")
        align = Const(self.align) if self.align is not None else m.args.get("align_corners")
        return interpolate_shape(ctx, tensor(input), m.args.get("size"), _module_scale(m.args.get("scale_factor")), mode,
                                 align, m.args.get("recompute_scale_factor"), None, m.label())

    def describe(self, m: ModuleV) -> str:
        size, sf = m.args.get("size"), m.args.get("scale_factor")
        what = f"size={size.describe()}" if size is not None else f"scale_factor={sf.describe() if sf is not None else None}"
        return f"{m.short}({what})"


@layer("torch.nn.UpsamplingNearest2d")
class UpsamplingNearest2d(Upsample):
    mode = "nearest"

    def build(self, ctx, size=None, scale_factor=None):
        return super().build(ctx, size, scale_factor)


@layer("torch.nn.UpsamplingBilinear2d")
class UpsamplingBilinear2d(Upsample):
    mode = "bilinear"
    align = True

    def build(self, ctx, size=None, scale_factor=None):
        return super().build(ctx, size, scale_factor)
