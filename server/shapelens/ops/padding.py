"""Padding: F.pad (constant, reflect, replicate, circular) and the padding layers
(ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad in 1d/2d/3d).

`pad` lists (left, right) pairs starting from the last dimension; negative values crop."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, le, lt, prod
from shapelens.ops.common import arg_value, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, as_const, as_dim, as_float, as_seq

MODES = ("constant", "reflect", "replicate", "circular")


def _slice_len(n: int, start: int, stop: int) -> int:
    return len(range(n)[start:stop])


def _circular_ok(lead: int | None, n: int, left: int, right: int) -> bool:
    """torch's _pad_circular, step by step: the copy of the kept input and the two wrap-around
    copies (slices clamp like Python's; narrow() does not). The wrap-around copies read from the
    output itself: when the dims before this one hold a single element the two views are dense
    and a partial overlap is refused. `lead` is that element count (None when symbolic)."""
    size = n + left + right
    out_len = _slice_len(size, max(left, 0), size - max(right, 0))
    in_len = _slice_len(n, max(-left, 0), n - max(-right, 0))
    if out_len != in_len and in_len != 1:
        return False

    def narrow_ok(start: int, length: int) -> bool:
        if not -size <= start <= size:
            return False
        start = start + size if start < 0 else start
        return length >= 0 and start + length <= size

    def overlap(dst: int, src: int, length: int) -> bool:
        src = src + size if src < 0 else src
        return lead == 1 and length > 0 and dst != src and dst < src + length and src < dst + length

    if left > 0:
        src = size - left - max(right, 0)
        if not (narrow_ok(0, left) and narrow_ok(src, left)) or overlap(0, src, left):
            return False
    if right > 0:
        if not (narrow_ok(size - right, right) and narrow_ok(max(left, 0), right)) or overlap(size - right, max(left, 0), right):
            return False
    return True


def pad_shape(ctx, x: TensorV, pad: list[Dim], mode: str, value, label: str) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype)
    shape, r = x.shape, len(x.shape)
    if len(pad) % 2:
        ctx.fail(codes.INVALID_ARG, f"{label}: padding length must be divisible by 2, but got {len(pad)} values")
    k = len(pad) // 2
    if k > r:
        ctx.fail(codes.INVALID_ARG, f"{label}: padding length should be less than or equal to two times the input dimension but got"
                                    f" padding length {len(pad)} and {ctx.arg_text(0)} of dimension {r}: shape {fmt(shape)}")
    if mode not in MODES:
        ctx.fail(codes.INVALID_ARG, f"{label}: unrecognised padding mode {mode!r}; expected one of {', '.join(map(repr, MODES))}")
    if mode != "constant":
        v = as_float(value)
        if value is not None and v is None:
            raise NotUnderstood("pad value is not known")
        if v:
            ctx.fail(codes.INVALID_ARG, f'{label}: padding mode "{mode}" doesn\'t take in value argument (got value={v})')
        if k not in (1, 2, 3) or r not in (k + 1, k + 2):
            ctx.fail(codes.RANK, f"{label}: padding size {len(pad)} is not supported for {r}D input {ctx.arg_text(0)} {fmt(shape)}; "
                                 f"non-constant padding of {2 * k} values needs a {k + 1}D or {k + 2}D input")
    out = list(shape)
    for i in range(k):
        axis = r - 1 - i
        n, left, right = shape[axis], pad[2 * i], pad[2 * i + 1]
        size = n + left + right
        where = f"dimension {axis} of {ctx.arg_text(0)} {fmt(shape)}"
        if mode == "constant":
            lo = n + Dim.const(min(left.value, 0)) if left.value is not None else n + left
            lo_r = lo + Dim.const(min(right.value, 0)) if right.value is not None else lo + right
            if lt(lo, 0) is True or lt(lo_r, 0) is True or lt(size, 0) is True:
                ctx.fail(codes.INVALID_ARG, f"{label}: the size {n} of {where}, with padding ({left}, {right}), would be {size}, which is negative")
        elif mode == "reflect":
            if le(n, left) is True or le(n, right) is True:
                ctx.fail(codes.INVALID_ARG, f"{label}: reflect padding ({left}, {right}) must be smaller than the size {n} of {where}")
        if mode in ("reflect", "replicate") and lt(size, 0) is True:
            ctx.fail(codes.SPATIAL, f"{label}: {where} (size {n}) is too small: padding ({left}, {right}) leaves {size}")
        if mode == "circular":
            if lt(n, left) is True or lt(n, right) is True:
                ctx.fail(codes.INVALID_ARG, f"{label}: circular padding ({left}, {right}) wraps around more than once on {where}")
            if lt(size, 0) is True:
                ctx.fail(codes.INVALID_ARG, f"{label}: circular padding ({left}, {right}) leaves a negative size {size} on {where}")
            if lt(left + n, 0) is not False or lt(right + n, 0) is not False:
                # Cropping more than the whole dim on one side: torch's result depends on slice
                # clamping details this rule does not model.
                raise NotUnderstood("circular padding crops more than the padded dimension")
            if (left.value is not None and left.value < 0) or (right.value is not None and right.value < 0):
                if n.value is None:
                    out[axis] = ctx.unknown_dim("negative circular padding of a symbolic size")
                    continue
        out[axis] = size
    # With an empty result torch's wrap-around copies move nothing; the step-by-step check
    # below could only refuse what torch accepts, so it is not made.
    if mode == "circular" and not any(eq(d, 0) is True for d in out):
        for i in range(k):
            axis = r - 1 - i
            n, left, right = shape[axis], pad[2 * i].value, pad[2 * i + 1].value
            lead = prod(out[:axis]).value
            if n.value is not None and left is not None and right is not None and not _circular_ok(lead, n.value, left, right):
                ctx.fail(codes.INVALID_ARG, f"{label}: circular padding ({left}, {right}) does not fit the size {n} of"
                                            f" dimension {axis} of {ctx.arg_text(0)} {fmt(shape)}")
    # torch checks `out_w >= 1 || out_h >= 1 ...`: only an output empty in every padded dim fails.
    if mode in ("reflect", "replicate") and all(lt(out[a], 1) is True for a in range(r - k, r)):
        ctx.fail(codes.SPATIAL, f"{label}: {ctx.arg_text(0)} {fmt(shape)} is too small for padding {fmt(tuple(pad))}:"
                                f" the padded sizes would be {fmt(tuple(out[r - k:]))}")
    if mode != "constant" and any(eq(shape[a], 0) is True for a in range(r - k, r)):
        ctx.fail(codes.SPATIAL, f"{label}: {mode} padding needs non-empty padded dimensions, but {ctx.arg_text(0)} has shape {fmt(shape)}")
    return TensorV(tuple(out), x.dtype)


def _pad_list(pad) -> list[Dim]:
    seq = as_seq(pad)
    if seq is None:
        raise NotUnderstood("pad is not a known sequence")
    out = [as_dim(v) for v in seq]
    if any(v is None for v in out):
        raise NotUnderstood("pad is not known")
    return out  # type: ignore[return-value]


@op("torch.nn.functional.pad")
def f_pad(ctx, input, pad, mode="constant", value=None):
    m = as_const(mode)
    if not isinstance(m, str):
        raise NotUnderstood("pad mode is not known")
    return pad_shape(ctx, tensor(input), _pad_list(pad), m, value, "pad")


@op("torch.constant_pad_nd")
def constant_pad_nd(ctx, input, pad, value=0):
    return pad_shape(ctx, tensor(input), _pad_list(pad), "constant", value, "constant_pad_nd")


class _PadNd(Layer):
    n = 1
    mode = "constant"

    def build(self, ctx, padding):
        return None

    def padding(self, m: ModuleV) -> list[Dim]:
        v = arg_value(m, "padding")
        d = as_dim(v)
        if d is not None:
            return [d] * (2 * self.n)
        return _pad_list(v)

    def value(self, m: ModuleV):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if self.mode == "circular" and x.shape is not None and len(x.shape) not in (self.n + 1, self.n + 2):
            ctx.fail(codes.RANK, f"{m.label()} expected {self.n + 1}D or {self.n + 2}D input (got {len(x.shape)}D input"
                                 f" {ctx.arg_text(0)} of shape {fmt(x.shape)})")
        return pad_shape(ctx, x, self.padding(m), self.mode, self.value(m), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}({as_const(arg_value(m, 'padding'))})"


class _ConstantPadNd(_PadNd):
    def build(self, ctx, padding, value):
        return None

    def value(self, m: ModuleV):
        return arg_value(m, "value")


class _ZeroPadNd(_PadNd):
    pass


def _register(prefix: str, base: type, mode: str) -> None:
    for n in (1, 2, 3):
        cls = type(f"{prefix}{n}d", (base,), {"n": n, "mode": mode, "__module__": __name__})
        layer(f"torch.nn.{prefix}{n}d")(cls)
        globals()[cls.__name__] = cls


_register("ZeroPad", _ZeroPadNd, "constant")
_register("ConstantPad", _ConstantPadNd, "constant")
_register("ReflectionPad", _PadNd, "reflect")
_register("ReplicationPad", _PadNd, "replicate")
_register("CircularPad", _PadNd, "circular")
