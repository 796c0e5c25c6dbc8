"""Indexing: integers, slices (steps, negative bounds), None, Ellipsis, integer and boolean
tensor indices (advanced indexing), lists of ints and of bools.

Basic indexing is a view: strides are followed (so a later view() is checked exactly). Advanced
indices broadcast together; their result dims go where the first advanced index stood when
they are adjacent (ints in between are removed first, as torch does), else to the front."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, floordiv, le, lt, prod
from shapelens.ops.common import broadcast_shapes, fmt, tensor
from shapelens.ops.reshape import laid_out, strides_of
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import (
    Const, IntV, ListV, SliceV, TensorV, TupleV, Value, as_const, as_dim, as_int,
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


def _is_bool_const(v: Value) -> bool:
    return isinstance(v, Const) and isinstance(v.value, bool)


def _nested_ints(v: Value) -> tuple[tuple[Dim, ...], list[int | None], bool] | None:
    """A (nested) list of ints or bools → (its shape, the flat values, all bools?)."""
    if isinstance(v, (ListV, TupleV)):
        if not v.items:
            return (Dim.const(0),), [], False
        subs = [_nested_ints(i) for i in v.items]
        if any(s is None for s in subs) or len({s[0] for s in subs}) != 1:  # type: ignore[index]
            return None
        vals = [x for s in subs for x in s[1]]  # type: ignore[index]
        return (Dim.const(len(v.items)),) + subs[0][0], vals, all(s[2] for s in subs)  # type: ignore[index]
    if _is_bool_const(v):
        return (), [int(v.value)], True  # type: ignore[union-attr]
    if isinstance(v, IntV):
        return (), [v.dim.value], False
    return None


def _oob(ctx, i: int, size: Dim, d: int) -> None:
    n = size.value
    if (n is not None and not -n <= i < n) or (n is None and i >= 0 and lt(Dim.const(i), size) is False):
        ctx.fail(codes.INDEX, f"index {i} is out of bounds for dimension {d} with size {size}")


@op("torch.Tensor.__getitem__")
def getitem(ctx, self, index):
    x = tensor(self)
    if index is None:  # x[None]: rules see None for a None argument
        index = Const(None)
    items = list(index.items) if isinstance(index, TupleV) else [index]
    # torch (like old numpy) reads a short list holding sequences, slices, tensors, None or ... as a tuple.
    if isinstance(index, ListV) and len(index.items) < 32 and any(
            isinstance(i, (SliceV, TensorV, ListV, TupleV)) or _is_none(i) or _is_ellipsis(i) for i in index.items):
        items = list(index.items)
    if x.shape is None:
        return TensorV(None, x.dtype)
    # How many tensor dims the index consumes (None and ... consume none; bool masks consume their rank).
    consumed = 0
    for it in items:
        if _is_none(it) or _is_ellipsis(it) or _is_bool_const(it):
            continue
        if isinstance(it, TensorV) and it.dtype in ("bool", "uint8"):
            if it.shape is None:
                return TensorV(None, x.dtype)
            consumed += len(it.shape)
        elif isinstance(it, ListV) and (lit := _nested_ints(it)) is not None and lit[2] and it.items:
            consumed += len(lit[0])
        elif isinstance(it, (IntV, SliceV, TensorV, ListV, TupleV)):
            consumed += 1
        elif isinstance(it, Const) and isinstance(it.value, float):
            ctx.fail(codes.INDEX, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)")
        else:
            raise NotUnderstood("index is not known")
    rank = len(x.shape)
    if consumed > rank:
        ctx.fail(codes.INDEX, f"too many indices for tensor of dimension {rank}: {ctx.arg_text(0)} has shape {fmt(x.shape)} and {consumed} dims are indexed")
    if sum(1 for it in items if _is_ellipsis(it)) > 1:
        raise NotUnderstood("more than one ellipsis")
    expanded: list[Value] = []
    for it in items:
        if _is_ellipsis(it):
            expanded += [SliceV(Const(None), Const(None), Const(None))] * (rank - consumed)
        else:
            expanded.append(it)
    st = strides_of(x)
    cur: list[Dim] = list(x.shape)
    cur_st: list[int] | None = list(st) if st is not None else None
    out_pos = 0  # position in the (basic) result
    d = 0  # input dim
    adv_shapes: list[tuple] = []
    adv_positions: list[int] = []
    remove: list[int] = []  # result positions consumed by advanced indices
    pending: list[str] = []  # out-of-bounds list indices: an error unless the result is empty

    def insert(size: Dim, stride: int | None) -> None:
        nonlocal out_pos
        cur.insert(out_pos, size)
        if cur_st is not None:
            cur_st.insert(out_pos, stride if stride is not None else 1)
        out_pos += 1

    for it in expanded:
        if _is_none(it):
            nxt = (cur_st[out_pos] * cur[out_pos].value if cur_st is not None and out_pos < len(cur) and cur[out_pos].value is not None
                   else 1)
            insert(Dim.const(1), nxt)
            continue
        if _is_bool_const(it):
            insert(Dim.const(1 if it.value else 0), 1)  # type: ignore[union-attr]
            continue
        size = cur[out_pos] if out_pos < len(cur) else Dim.const(1)
        if isinstance(it, IntV):
            if it.dim.value is not None:
                _oob(ctx, it.dim.value, size, d)
            cur.pop(out_pos)
            if cur_st is not None:
                cur_st.pop(out_pos)
            d += 1
            continue
        if isinstance(it, SliceV):
            step = as_int(it.step) if as_const(it.step) is not None else 1
            cur[out_pos] = slice_len(ctx, size, it)
            if cur_st is not None:
                if step is None or cur[out_pos].value is None:
                    cur_st = None
                else:
                    cur_st[out_pos] *= step
            out_pos += 1
            d += 1
            continue
        if isinstance(it, (ListV, TupleV)):
            lit = _nested_ints(it)
            if lit is None:
                raise NotUnderstood("a list index that is not a list of ints")
            shape, vals, bools = lit
            if bools and it.items:
                k = len(shape)
                for j, m in enumerate(shape):
                    ctx.require_eq(m, cur[out_pos + j], codes.INDEX, lambda m=m, j=j: (
                        f"The shape of the mask {fmt(shape)} at index {j} does not match the shape of the indexed tensor {fmt(x.shape)} at index {d + j}"))
                adv_shapes.append((Dim.const(sum(v or 0 for v in vals)),))
            else:
                k = 1
                for v in vals:
                    if v is not None and (size.value is not None and not -size.value <= v < size.value):
                        # The index kernel checks bounds only for elements it produces.
                        pending.append(f"index {v} is out of bounds for dimension {d} with size {size}")
                adv_shapes.append(shape)
            adv_positions.append(out_pos)
            remove.extend(range(out_pos, out_pos + k))
            out_pos += k
            d += k
            continue
        if isinstance(it, TensorV):
            if it.dtype in ("bool", "uint8"):
                k = len(it.shape)  # type: ignore[arg-type]
                for j, m in enumerate(it.shape or ()):
                    ctx.require_eq(m, cur[out_pos + j], codes.INDEX, lambda m=m, j=j: (
                        f"The shape of the mask {fmt(it.shape)} at index {j} does not match the shape of the indexed tensor {fmt(x.shape)} at index {d + j}"))
                if k == 0:
                    insert(ctx.unknown_dim("a 0-dim mask keeps all or nothing"), None)
                    continue
                adv_shapes.append((ctx.unknown_dim("number of True elements in the mask"),))
                adv_positions.append(out_pos)
                remove.extend(range(out_pos, out_pos + k))
                out_pos += k
                d += k
                continue
            if it.is_float:
                ctx.fail(codes.INDEX, "tensors used as indices must be long, int, byte or bool tensors")
            if it.shape is None:
                return TensorV(None, x.dtype)
            adv_shapes.append(it.shape)
            adv_positions.append(out_pos)
            remove.append(out_pos)
            out_pos += 1
            d += 1
            continue
    if not adv_shapes:
        return laid_out(tuple(cur), x.dtype, tuple(cur_st) if cur_st is not None else None, x.contiguous and st is not None and cur_st is not None)
    bshape: tuple = adv_shapes[0]
    for s_ in adv_shapes[1:]:
        bshape = broadcast_shapes(ctx, bshape, s_, "advanced indices")
    adjacent = sorted(remove) == list(range(min(remove), min(remove) + len(remove)))
    kept = [c for i, c in enumerate(cur) if i not in set(remove)]
    pos = min(remove) if adjacent else 0
    out = kept[:pos] + list(bshape) + kept[pos:]
    if pending and eq(prod(out), 0) is False:
        ctx.fail(codes.INDEX, pending[0])
    return TensorV(tuple(out), x.dtype, contiguous=x.contiguous)


@op("torch.Tensor.__setitem__")
def setitem(ctx, self, index, value):
    return tensor(self)
