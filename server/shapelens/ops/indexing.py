"""Indexing: integers, slices (steps, negative bounds), None, Ellipsis, integer and boolean
tensor indices (advanced indexing), lists of ints."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, floordiv, le, lt
from shapelens.ops.common import broadcast_shapes, fmt, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import (
    Const, IntV, ListV, SliceV, TensorV, TupleV, UnknownV, Value, as_const, as_dim, as_int,
)


def slice_len(ctx, size: Dim, s: SliceV) -> Dim:
    step_c = as_const(s.step)
    step = 1 if step_c is None else as_int(s.step)
    if step is None:
        return ctx.unknown_dim("slice step")
    if step <= 0:
        ctx.fail(codes.INDEX, "slice step must be positive")

    def bound(v: Value, default: Dim) -> Dim | None:
        c = as_const(v)
        if c is None:
            return default
        d = as_dim(v)
        if d is None:
            return None
        if d.value is not None and d.value < 0:
            d = size + d
            # Clamp at 0 when the negative bound is past the start.
            r = le(d, 0)
            if r is True:
                return Dim.const(0)
            if r is None and size.value is None:
                return d
        return d

    start = bound(s.start, Dim.const(0))
    stop = bound(s.stop, size)
    if start is None or stop is None:
        return ctx.unknown_dim("slice bounds")
    # Clamp to [0, size].
    def clamp(d: Dim) -> Dim | None:
        if le(d, size) is True:
            return d if le(Dim.const(0), d) is True else None
        if le(size, d) is True:
            return size
        return None

    start_c, stop_c = clamp(start), clamp(stop)
    if start_c is None or stop_c is None:
        return ctx.unknown_dim("slice bounds relative to the size")
    span = stop_c - start_c
    r = le(span, 0)
    if r is True:
        return Dim.const(0)
    if r is None and span.value is None and not (le(Dim.const(0), span) is True):
        return ctx.unknown_dim("slice may be empty")
    return floordiv(span + (step - 1), Dim.const(step))


def _is_none(v: Value) -> bool:
    return isinstance(v, Const) and v.value is None


def _is_ellipsis(v: Value) -> bool:
    return isinstance(v, Const) and v.value is Ellipsis


@op("torch.Tensor.__getitem__")
def getitem(ctx, self, index):
    x = tensor(self)
    items = list(index.items) if isinstance(index, TupleV) else [index]
    if x.shape is None:
        return TensorV(None, x.dtype)
    # How many tensor dims the index consumes (None and ... consume none; bool masks consume their rank).
    consumed = 0
    for it in items:
        if _is_none(it) or _is_ellipsis(it):
            continue
        if isinstance(it, TensorV) and it.dtype == "bool":
            if it.shape is None:
                return TensorV(None, x.dtype)
            consumed += max(len(it.shape), 1) if it.shape else 1
        elif isinstance(it, (IntV, SliceV, TensorV, ListV)) or (isinstance(it, Const) and isinstance(it.value, bool)):
            consumed += 1
        else:
            raise NotUnderstood("index is not known")
    rank = len(x.shape)
    if consumed > rank:
        ctx.fail(codes.INDEX, f"too many indices for tensor of dimension {rank} (shape {fmt(x.shape)}, {consumed} indexed)")
    if sum(1 for it in items if _is_ellipsis(it)) > 1:
        ctx.fail(codes.INDEX, "an index can only have a single ellipsis ('...')")
    expanded: list[Value] = []
    for it in items:
        if _is_ellipsis(it):
            expanded += [SliceV(Const(None), Const(None), Const(None))] * (rank - consumed)
        else:
            expanded.append(it)
    out: list[Dim] = []
    adv_shapes: list[tuple] = []
    adv_positions: list[int] = []
    d = 0
    for it in expanded:
        if _is_none(it):
            out.append(Dim.const(1))
            continue
        if isinstance(it, Const) and isinstance(it.value, bool):
            out.append(Dim.const(1 if it.value else 0))
            continue
        size = x.shape[d] if d < rank else Dim.const(1)
        if isinstance(it, IntV):
            i = it.dim
            if i.value is not None:
                n = size.value
                if n is not None and not -n <= i.value < n:
                    ctx.fail(codes.INDEX, f"index {i.value} is out of bounds for dimension {d} with size {n}")
                if n is None and i.value >= 0 and lt(i, size) is False:
                    ctx.fail(codes.INDEX, f"index {i.value} is out of bounds for dimension {d} with size {size}")
            d += 1
            continue
        if isinstance(it, SliceV):
            out.append(slice_len(ctx, size, it))
            d += 1
            continue
        if isinstance(it, ListV):
            vals = [as_int(v) for v in it.items]
            if all(isinstance(v, Const) and isinstance(v.value, bool) for v in it.items) and it.items:
                adv_shapes.append((ctx.unknown_dim("boolean mask count"),))
            else:
                for v in vals:
                    if v is not None and size.value is not None and not -size.value <= v < size.value:
                        ctx.fail(codes.INDEX, f"index {v} is out of bounds for dimension {d} with size {size}")
                adv_shapes.append((Dim.const(len(it.items)),))
            adv_positions.append(len(out))
            d += 1
            continue
        if isinstance(it, TensorV):
            if it.dtype == "bool":
                k = len(it.shape) if it.shape else 1
                for j, m in enumerate(it.shape or ()):
                    if d + j < rank:
                        ctx.require_eq(m, x.shape[d + j], codes.INDEX, lambda m=m, j=j: (
                            f"The shape of the mask {fmt(it.shape)} at index {j} does not match the shape of the indexed tensor {fmt(x.shape)} at index {d + j}"))
                adv_shapes.append((ctx.unknown_dim("number of True elements in the mask"),))
                adv_positions.append(len(out))
                d += k
                continue
            if it.is_float:
                ctx.fail(codes.DTYPE, "tensors used as indices must be long, int, byte or bool tensors")
            if it.shape is None:
                return TensorV(None, x.dtype)
            adv_shapes.append(it.shape)
            adv_positions.append(len(out))
            d += 1
            continue
    out += list(x.shape[d:])
    if adv_shapes:
        bshape: tuple = adv_shapes[0]
        for s in adv_shapes[1:]:
            bshape = broadcast_shapes(ctx, bshape, s, "advanced indices")
        adjacent = all(p == adv_positions[0] for p in adv_positions)
        pos = adv_positions[0] if adjacent else 0
        out = out[:pos] + list(bshape) + out[pos:]
    return TensorV(tuple(out), x.dtype)


@op("torch.Tensor.__setitem__")
def setitem(ctx, self, index, value):
    return tensor(self)
