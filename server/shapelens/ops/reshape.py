"""Reshaping and tensor geometry: size/shape/dim/numel, view/reshape (with -1), flatten/unflatten,
permute/transpose/t/T/mT/movedim, squeeze/unsqueeze, expand/repeat/repeat_interleave/tile,
narrow/select/unfold, flip/roll/rot90, diag/diagonal/triu/tril, contiguous.

Views keep torch's strides when every size is a known number (`meta["strides"]`), so that
`view()` after `transpose()` is an error exactly when torch's stride check rejects it; with
symbolic sizes it stays a warning (SL203)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, le, lt, prod
from shapelens.ops.common import fmt, norm_dim, size_from_args, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, IntV, TensorV, TupleV, Value, as_dim, as_int, as_seq, size_value

# ---------------------------------------------------------------------------------------------
# strides
# ---------------------------------------------------------------------------------------------

Strides = tuple[int, ...]


def concrete(shape) -> list[int] | None:
    if shape is None:
        return None
    vals = [d.value for d in shape]
    return None if any(v is None for v in vals) else vals  # type: ignore[return-value]


def contiguous_strides(sizes: list[int]) -> Strides:
    out, acc = [], 1
    for n in reversed(sizes):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def is_contiguous(sizes: list[int], strides: Strides) -> bool:
    """torch's is_contiguous: size-1 dims and empty tensors don't count."""
    if 0 in sizes:
        return True
    expected = 1
    for n, s in zip(reversed(sizes), reversed(strides)):
        if n != 1:
            if s != expected:
                return False
            expected *= n
    return True


def strides_of(x: TensorV) -> Strides | None:
    """The tensor's strides when every size is known and the layout was followed."""
    sizes = concrete(x.shape)
    if sizes is None:
        return None
    s = (x.meta or {}).get("strides")
    if s is not None and len(s) == len(sizes):
        return tuple(s)
    return contiguous_strides(sizes) if x.contiguous else None


def laid_out(shape, dtype, strides: Strides | None, contiguous: bool, meta: dict | None = None) -> TensorV:
    """A view result: with strides when known (contiguity then follows from them), else with the
    contiguity the caller worked out."""
    meta = {k: v for k, v in (meta or {}).items() if k != "strides"}
    sizes = concrete(shape)
    if strides is not None and sizes is not None:
        contiguous = is_contiguous(sizes, strides)
        if tuple(strides) != contiguous_strides(sizes):  # (size-1 dims may carry odd strides torch still checks)
            meta["strides"] = tuple(strides)
    return TensorV(tuple(shape), dtype, contiguous=contiguous, meta=meta or None)


def permuted(x: TensorV, order: list[int]) -> TensorV:
    shape = tuple(x.shape[i] for i in order)  # type: ignore[index]
    st = strides_of(x)
    contiguous = x.contiguous and not _moves_non_unit(x, order)
    return laid_out(shape, x.dtype, None if st is None else tuple(st[i] for i in order), contiguous)


def _moves_non_unit(x: TensorV, order: list[int]) -> bool:
    """Whether the permutation changes the order of the dims whose size may differ from 1."""
    kept = [i for i in order if eq(x.shape[i], 1) is not True]  # type: ignore[index]
    return kept != sorted(kept)


def iter_strides(shape: list[int], operands: list[Strides]) -> Strides:
    """The strides torch gives a fresh elementwise result (TensorIterator's reorder_dimensions,
    also empty_like's preserve_format): dims ordered by the operands' strides, the first operand
    that can tell deciding, broadcast (stride 0) dims skipped, then laid out densely."""
    nd = len(shape)

    def should_swap(d0: int, d1: int) -> int:
        for st in operands:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(nd - 1, -1, -1))  # perm[0] is the innermost dim
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out = [0] * nd
    acc = 1
    for d in perm:
        out[d] = acc
        acc *= max(shape[d], 1)
    return tuple(out)


def fresh_layout(shape, dtype, operands: list[TensorV], meta: dict | None = None) -> TensorV:
    """An elementwise result over tensor operands (numbers are not operands): strides follow the
    operands' layout when every one is known, else contiguity is what the inputs had."""
    sizes = concrete(shape)
    if sizes is not None:
        aligned: list[Strides] = []
        for t in operands:
            st = strides_of(t)
            if st is None:
                aligned = []
                break
            tsz = concrete(t.shape)
            pad = len(sizes) - len(st)
            row = [0] * pad + [0 if (tsz[i] == 1 and sizes[pad + i] != 1) else st[i] for i in range(len(st))]  # type: ignore[index]
            aligned.append(tuple(row))
        else:
            return laid_out(tuple(shape), dtype, iter_strides(sizes, aligned), True, meta)
    return TensorV(None if shape is None else tuple(shape), dtype, contiguous=all(t.contiguous for t in operands),
                   meta=meta)


def compute_view_strides(old: list[int], old_strides: Strides, new: list[int]) -> Strides | None:
    """torch's computeStride (aten/src/ATen/TensorUtils.cpp): the strides of `view(new)`, or None
    when the view is impossible without a copy."""
    if not old:
        return tuple(1 for _ in new)
    numel = 1
    for n in old:
        numel *= n
    if numel == 0 and old == new:
        return tuple(old_strides)
    if numel == 0:
        return contiguous_strides(new)
    newstride = [0] * len(new)
    view_d = len(new) - 1
    chunk_base = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old) - 1, -1, -1):
        tensor_numel *= old[tensor_d]
        if tensor_d == 0 or (old[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                newstride[view_d] = view_numel * chunk_base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(newstride)


def sizes_arg(ctx, args: tuple, name: str) -> list[Dim | None] | None:
    """`*sizes` given as varargs or one sequence; none at all is torch's TypeError."""
    if not args:
        ctx.fail(codes.ARGUMENTS, f"{name}() missing 1 required positional argument")
    return size_from_args(args)


# ---------------------------------------------------------------------------------------------
# size queries
# ---------------------------------------------------------------------------------------------


@op("torch.Tensor.size")
def size(ctx, self, dim=None):
    x = tensor(self)
    if x.shape is None:
        raise NotUnderstood("rank unknown")
    if dim is None:
        return size_value(x.shape)
    d = norm_dim(ctx, dim, len(x.shape))
    return IntV(x.shape[d])


@op("torch.Tensor.dim", "torch.Tensor.ndimension")
def dim(ctx, self):
    x = tensor(self)
    if x.shape is None:
        raise NotUnderstood("rank unknown")
    return IntV.of(len(x.shape))


@op("torch.Tensor.numel", "torch.numel", "torch.Tensor.nelement")
def numel(ctx, self):
    x = tensor(self)
    if x.shape is None:
        raise NotUnderstood("rank unknown")
    return IntV(prod(x.shape))


@op("torch.Tensor.contiguous")
def contiguous(ctx, self, memory_format=None):
    x = tensor(self)
    meta = {k: v for k, v in (x.meta or {}).items() if k != "strides"}
    return TensorV(x.shape, x.dtype, meta=meta or None)


# ---------------------------------------------------------------------------------------------
# view / reshape
# ---------------------------------------------------------------------------------------------


def _shown(sizes) -> str:
    return "[" + ", ".join(str(s) if s is not None else "?" for s in sizes) + "]"


def infer_sizes(ctx, x: TensorV, sizes: list[Dim | None]) -> list[Dim | None]:
    """torch's infer_size: checks and fills in the -1."""
    assert x.shape is not None
    total = prod(x.shape)
    neg = [i for i, s in enumerate(sizes) if s is not None and s.value == -1]
    shown = _shown(sizes)
    if len(neg) > 1:
        ctx.fail(codes.RESHAPE, f"only one dimension can be inferred: {shown}")
    for s in sizes:
        if s is not None and s.value is not None and s.value < -1:
            ctx.fail(codes.RESHAPE, f"invalid shape dimension {s.value} in {shown}")
    if any(s is None for s in sizes):
        return [None if s is None or s.value == -1 else s for s in sizes]
    if neg:
        known = prod(s for i, s in enumerate(sizes) if i != neg[0])  # type: ignore[misc]
        if eq(known, 0) is True:
            if eq(total, 0) is True:
                ctx.fail(codes.RESHAPE, f"cannot reshape tensor of 0 elements into shape {shown} because the "
                                        f"unspecified dimension size -1 can be any value and is ambiguous")
            ctx.fail(codes.RESHAPE, f"shape '{shown}' is invalid for input of size {total}: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
        q = total.exact_div(known)
        if q is None:
            if total.value is not None and known.value is not None:
                if total.value % known.value:
                    ctx.fail(codes.RESHAPE, f"shape '{shown}' is invalid for input of size {total}: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
                q = Dim.const(total.value // known.value)
            elif total.is_known and known.is_known:
                # torch checks divisibility, so the floor division is exact whenever it runs.
                q = total // known
                ctx.require_eq(q * known, total, codes.RESHAPE, lambda: f"shape '{shown}' is invalid for input of size {total}")
            else:
                return [None if i == neg[0] else s for i, s in enumerate(sizes)]
        out = list(sizes)
        out[neg[0]] = q
        return out
    new_total = prod(sizes)  # type: ignore[arg-type]
    ctx.require_eq(new_total, total, codes.RESHAPE, lambda: (
        f"shape '{shown}' is invalid for input of size {total}: {ctx.arg_text(0)} has shape {fmt(x.shape)}"))
    return list(sizes)


def reshape_to(ctx, x: TensorV, sizes: list[Dim | None] | None, name: str, check_contiguous: bool) -> TensorV:
    if sizes is None:
        raise NotUnderstood("the new shape is not known")
    if x.shape is None:
        return TensorV(tuple(s if s is not None and s.value != -1 else ctx.unknown_dim("view") for s in sizes), x.dtype)
    filled = infer_sizes(ctx, x, sizes)
    shape = tuple(s if s is not None else ctx.unknown_dim("view") for s in filled)
    meta: dict = {}
    # view(B, -1) after (B, C, H, W): remember what was multiplied, for a Linear quick fix.
    if len(shape) == 2 and len(x.shape) > 2 and eq(shape[0], x.shape[0]) is True:
        meta["flat_factors"] = tuple(x.shape[1:])
    old_strides = strides_of(x)
    new_sizes = concrete(shape)
    if old_strides is not None and new_sizes is not None:
        st = compute_view_strides(concrete(x.shape), old_strides, new_sizes)  # type: ignore[arg-type]
        if st is None:
            if check_contiguous:
                ctx.fail(codes.RESHAPE,
                         f"view size is not compatible with input tensor's size and stride: {ctx.arg_text(0)} {fmt(x.shape)} "
                         f"was transposed, permuted or sliced, so {name}({_shown(filled)}) needs a copy; "
                         f"use reshape() or .contiguous() first")
            return laid_out(shape, x.dtype, None, True, meta)  # reshape copies
        return laid_out(shape, x.dtype, st, True, meta)
    if not x.contiguous:
        if check_contiguous:
            ctx.warn(codes.VIEW_NONCONTIGUOUS,
                     f"{name}() on a tensor that was transposed or permuted {fmt(x.shape)} may raise "
                     f"\"view size is not compatible with input tensor's size and stride\"; use reshape() or .contiguous()")
        return TensorV(shape, x.dtype, contiguous=False, meta=meta or None)
    return TensorV(shape, x.dtype, meta=meta or None)


def _is_dtype(v: Value | None) -> bool:
    return v is not None and not isinstance(v, (IntV, TupleV)) and as_seq(v) is None and not (
        isinstance(v, Const) and isinstance(v.value, (int, float)))


@op("torch.Tensor.view")
def view(ctx, self, *shape, dtype=None, size=None):
    x = tensor(self)
    if size is not None:
        shape = (size,)
    if dtype is not None or (len(shape) == 1 and _is_dtype(shape[0])):
        return view_dtype(ctx, x, dtype if dtype is not None else shape[0])
    return reshape_to(ctx, x, sizes_arg(ctx, shape, "view"), "view", True)


_ITEMSIZE = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "float16": 2, "bfloat16": 2, "int32": 4, "float32": 4,
             "int64": 8, "float64": 8, "complex64": 8, "complex128": 16}


def view_dtype(ctx, x: TensorV, dtype: Value) -> TensorV:
    """x.view(dtype): the same bytes read as another dtype; the last dim scales with the sizes."""
    from shapelens.ops.elementwise import dtype_from

    new = dtype_from(dtype)
    if new is None or x.dtype not in _ITEMSIZE or new not in _ITEMSIZE:
        raise NotUnderstood("view(dtype) with an unknown dtype")
    old_sz, new_sz = _ITEMSIZE[x.dtype], _ITEMSIZE[new]  # type: ignore[index]
    if old_sz == new_sz or x.shape is None:
        return TensorV(x.shape if old_sz == new_sz else None, new, contiguous=x.contiguous, meta=x.meta if old_sz == new_sz else None)
    what = f"{x.dtype} as {new} (different element sizes)"
    if not x.shape:
        ctx.fail(codes.RESHAPE, f"self.dim() cannot be 0 to view {what}: {ctx.arg_text(0)} is 0-dimensional")
    st = strides_of(x)
    if st is None and not x.contiguous:
        raise NotUnderstood("view(dtype) of a tensor whose strides are not known")
    if st is not None and st[-1] != 1:
        ctx.fail(codes.RESHAPE, f"self.stride(-1) must be 1 to view {what}, but got {st[-1]}")
    last = x.shape[-1]
    if new_sz > old_sz:
        k = new_sz // old_sz
        if st is not None and any(s % k for s in st[:-1]):
            ctx.fail(codes.RESHAPE, f"self.stride(dim) must be divisible by {k} to view {what}")
        q = last.exact_div(k)
        if q is None:
            if last.value is not None:
                ctx.fail(codes.RESHAPE, f"self.size(-1) must be divisible by {k} to view {what}, but got self.size(-1) = {last}")
            raise NotUnderstood("whether the last dim divides is not known")
        new_last = q
    else:
        new_last = last * (old_sz // new_sz)
    out_st = None if st is None else tuple(s * old_sz // new_sz for s in st[:-1]) + (1,)
    return laid_out(tuple(x.shape[:-1]) + (new_last,), new, out_st, x.contiguous)


@op("torch.Tensor.reshape")
def reshape(ctx, self, *shape):
    return reshape_to(ctx, tensor(self), sizes_arg(ctx, shape, "reshape"), "reshape", False)


@op("torch.reshape")
def torch_reshape(ctx, input, shape):
    return reshape_to(ctx, tensor(input), size_from_args((shape,)), "reshape", False)


@op("torch.Tensor.view_as")
def view_as(ctx, self, other):
    x, o = tensor(self), tensor(other, "other")
    if o.shape is None:
        return TensorV(None, x.dtype)
    return reshape_to(ctx, x, list(o.shape), "view_as", True)


@op("torch.Tensor.reshape_as")
def reshape_as(ctx, self, other):
    x, o = tensor(self), tensor(other, "other")
    if o.shape is None:
        return TensorV(None, x.dtype)
    return reshape_to(ctx, x, list(o.shape), "reshape_as", False)


@op("torch.flatten", "torch.Tensor.flatten")
def flatten(ctx, input, start_dim=0, end_dim=-1):
    x = tensor(input)
    s_, e_ = as_int(start_dim), as_int(end_dim)
    if s_ is None or e_ is None:
        raise NotUnderstood("flatten dims are not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    s = norm_dim(ctx, s_, r)
    e = norm_dim(ctx, e_, r)
    if r == 0:
        return TensorV((Dim.const(1),), x.dtype)
    if s > e:
        ctx.fail(codes.DIM_RANGE, f"flatten() has invalid args: start_dim ({s_}) cannot come after end_dim ({e_})")
    if s == e:
        return x
    merged = x.shape[s: e + 1]
    out = reshape_to(ctx, x, list(x.shape[:s]) + [prod(merged)] + list(x.shape[e + 1:]), "flatten", False)
    if e == r - 1 and len(merged) > 1:
        out.meta = {**(out.meta or {}), "flat_factors": tuple(merged)}
    return out


@op("torch.unflatten", "torch.Tensor.unflatten")
def unflatten(ctx, input, dim, sizes):
    x = tensor(input)
    ss = as_seq(sizes)
    if ss is None:
        raise NotUnderstood("unflatten sizes are not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    d = norm_dim(ctx, dim, r)
    if not ss:
        ctx.fail(codes.ARGUMENTS, "unflatten: sizes must be non-empty")
    want = [as_dim(v) for v in ss]
    if any(w is None for w in want):
        raise NotUnderstood("unflatten sizes are not known")
    neg = [i for i, w in enumerate(want) if w.value == -1]  # type: ignore[union-attr]
    if len(neg) > 1:
        ctx.fail(codes.RESHAPE, "unflatten: only one dimension can be inferred")
    size_d = x.shape[d]
    if neg:
        known = prod(w for i, w in enumerate(want) if i != neg[0])  # type: ignore[misc]
        q = size_d.exact_div(known) if eq(known, 0) is not True else None
        if q is None:
            if size_d.value is not None and known.value is not None and known.value != 0 and size_d.value % known.value == 0:
                q = Dim.const(size_d.value // known.value)
            elif size_d.value is not None and known.value is not None:
                ctx.fail(codes.RESHAPE, f"unflatten: Provided sizes {_shown(want)} don't multiply up to the size of dim {d} "
                                        f"({size_d}) in the input tensor {fmt(x.shape)}")
            else:
                q = ctx.unknown_dim("unflatten")
        want[neg[0]] = q
    else:
        ctx.require_eq(prod(want), size_d, codes.RESHAPE, lambda: (  # type: ignore[arg-type]
            f"unflatten: Provided sizes {_shown(want)} don't multiply up to the size of dim {d} ({size_d}) in the input tensor {fmt(x.shape)}"))
    return reshape_to(ctx, x, list(x.shape[:d]) + want + list(x.shape[d + 1:]), "unflatten", False)


# ---------------------------------------------------------------------------------------------
# dim order
# ---------------------------------------------------------------------------------------------


@op("torch.Tensor.permute", "torch.permute")
def permute(ctx, input, *dims, **kw):
    x = tensor(input)
    if "dims" in kw:
        dims = (kw.pop("dims"),)
    if kw:
        raise NotUnderstood(f"unexpected arguments {sorted(kw)}")
    ds = sizes_arg(ctx, dims, "permute")
    if ds is None or any(d is None for d in ds):
        raise NotUnderstood("permutation is not known")
    order = [d.value for d in ds]  # type: ignore[union-attr]
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if len(order) != r:
        ctx.fail(codes.ARGUMENTS,
                 f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {r} is not equal to len(dims) = {len(order)}: "
                 f"{ctx.arg_text(0)} has shape {fmt(x.shape)}")
    norm = [norm_dim(ctx, d, r) for d in order]  # type: ignore[arg-type]
    if len(set(norm)) != len(norm):
        ctx.fail(codes.ARGUMENTS, f"permute(): duplicate dims are not allowed: {order}")
    return permuted(x, norm)


@op("torch.Tensor.transpose", "torch.transpose", "torch.Tensor.swapaxes", "torch.swapaxes", "torch.Tensor.swapdims", "torch.swapdims")
def transpose(ctx, input, dim0, dim1):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    a, b = norm_dim(ctx, dim0, r), norm_dim(ctx, dim1, r)
    order = list(range(r))
    if r:
        order[a], order[b] = order[b], order[a]
    return permuted(x, order)


@op("torch.Tensor.t", "torch.t")
def t(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if len(x.shape) > 2:
        ctx.fail(codes.RANK, f"t() expects a tensor with <= 2 dimensions, but self is {len(x.shape)}D: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    return permuted(x, list(reversed(range(len(x.shape)))))


@op("torch.Tensor.T")
def T(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    return permuted(x, list(reversed(range(len(x.shape)))))


@op("torch.Tensor.mT", "torch.Tensor.mH")
def mT(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if r == 0:
        return x
    if r < 2:
        ctx.fail(codes.RANK, f"tensor.mT is only supported on matrices or batches of matrices. Got {r}-D tensor.")
    return permuted(x, list(range(r - 2)) + [r - 1, r - 2])


def _dim_list(v: Value | None) -> list[int]:
    seq = as_seq(v)
    vals = [as_int(i) for i in seq] if seq is not None else [as_int(v)]
    if any(i is None for i in vals):
        raise NotUnderstood("dims are not known")
    return vals  # type: ignore[return-value]


@op("torch.movedim", "torch.Tensor.movedim", "torch.moveaxis", "torch.Tensor.moveaxis")
def movedim(ctx, input, source, destination):
    x = tensor(input)
    src, dst = _dim_list(source), _dim_list(destination)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if len(src) != len(dst):
        ctx.fail(codes.ARGUMENTS, f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number "
                                  f"of dims as destination ({dst} dims)")
    s = [norm_dim(ctx, d, r) for d in src]
    t_ = [norm_dim(ctx, d, r) for d in dst]
    if len(set(s)) != len(s):
        ctx.fail(codes.ARGUMENTS, f"movedim: repeated dim in `source` ({src})")
    if len(set(t_)) != len(t_):
        ctx.fail(codes.ARGUMENTS, f"movedim: repeated dim in `destination` ({dst})")
    if r == 0:
        return x
    order: list[int | None] = [None] * r
    for a, b in zip(s, t_):
        order[b] = a
    rest = iter(i for i in range(r) if i not in s)
    full = [o if o is not None else next(rest) for o in order]
    return permuted(x, full)


# ---------------------------------------------------------------------------------------------
# squeeze / unsqueeze / expand / repeat
# ---------------------------------------------------------------------------------------------


def _drop(x: TensorV, drop: set[int], contiguous: bool) -> TensorV:
    if not drop:
        return x
    st = strides_of(x)
    keep = [i for i in range(len(x.shape)) if i not in drop]  # type: ignore[arg-type]
    return laid_out(tuple(x.shape[i] for i in keep), x.dtype, None if st is None else tuple(st[i] for i in keep),  # type: ignore[index]
                    contiguous)


@op("torch.Tensor.squeeze", "torch.squeeze")
def squeeze(ctx, input, dim=None):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if dim is None:
        cand = list(range(r))
    else:
        cand = sorted(_check_dims(ctx, x, _dim_list(dim), "squeeze"))
        if r == 0:
            return x
    drop: set[int] = set()
    for i in cand:
        one = eq(x.shape[i], 1)
        if one is None:
            return TensorV(None, x.dtype)  # whether it is removed depends on the size
        if one:
            drop.add(i)
    return _drop(x, drop, x.contiguous)


@op("torch.Tensor.unsqueeze", "torch.unsqueeze")
def unsqueeze(ctx, input, dim):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    d = norm_dim(ctx, dim, len(x.shape) + 1)
    shape = list(x.shape)
    shape.insert(d, Dim.const(1))
    st = strides_of(x)
    new_st = None
    if st is not None:
        sizes = concrete(x.shape)
        inner = st[d] * sizes[d] if d < len(st) else 1  # type: ignore[index]
        new_st = st[:d] + (inner,) + st[d:]
    return laid_out(tuple(shape), x.dtype, new_st, x.contiguous)


@op("torch.Tensor.expand")
def expand(ctx, self, *sizes, implicit=False):
    x = tensor(self)
    want = sizes_arg(ctx, sizes, "expand")
    if want is None:
        raise NotUnderstood("expand sizes are not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    return expand_to(ctx, x, want)


def expand_to(ctx, x: TensorV, want: list[Dim | None]) -> TensorV:
    r, n = len(x.shape), len(want)  # type: ignore[arg-type]
    shown = _shown(want)
    if n < r:
        ctx.fail(codes.ARGUMENTS, f"expand: the number of sizes provided ({n}) must be greater or equal to the number of "
                                  f"dimensions in the tensor ({r}): {ctx.arg_text(0)} has shape {fmt(x.shape)}, sizes {shown}")
    st = strides_of(x)
    out: list[Dim] = []
    out_st: list[int] = []
    for i, w in enumerate(want):
        j = i - (n - r)
        if j < 0:
            if w is None:
                out.append(ctx.unknown_dim("expand"))
            elif w.value is not None and w.value < 0:
                ctx.fail(codes.ARGUMENTS, f"The expanded size of the tensor ({w.value}) isn't allowed in a leading, non-existing dimension {i}")
            else:
                out.append(w)
            out_st.append(0)
            continue
        have = x.shape[j]  # type: ignore[index]
        if w is None:
            out.append(ctx.unknown_dim("expand"))
            out_st.append(0)
            continue
        if w.value == -1:
            out.append(have)
            out_st.append(st[j] if st else 0)
            continue
        same_ = eq(have, w)
        if same_ is True:
            out.append(have)
            out_st.append(st[j] if st else 0)
            continue
        one = eq(have, 1)
        if one is True:
            if w.value is not None and w.value < 0:
                ctx.fail(codes.ARGUMENTS, f"expand: the expanded size {w.value} at dimension {i} is invalid (sizes {shown})")
            out.append(w)
            out_st.append(0)
            continue
        if one is False and same_ is False:
            ctx.fail(codes.ARGUMENTS, f"The expanded size of the tensor ({w}) must match the existing size ({have}) at "
                                      f"non-singleton dimension {i}.  Target sizes: {shown}.  Tensor sizes: {fmt(x.shape)}")
        out.append(w)  # either equal to the size or expanded from 1: the target either way
        out_st.append(0)
    return laid_out(tuple(out), x.dtype, tuple(out_st) if st is not None else None,
                    x.contiguous and all(eq(a, b) is True for a, b in zip(out[n - r:], x.shape)) and n == r)  # type: ignore[arg-type]


@op("torch.Tensor.expand_as")
def expand_as(ctx, self, other):
    x, o = tensor(self), tensor(other, "other")
    if x.shape is None or o.shape is None:
        return TensorV(None, x.dtype)
    return expand_to(ctx, x, list(o.shape))


@op("torch.Tensor.repeat")
def repeat(ctx, self, *sizes):
    x = tensor(self)
    reps = sizes_arg(ctx, sizes, "repeat")
    if reps is None:
        raise NotUnderstood("repeat sizes are not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    return _repeat(ctx, x, reps)


def _repeat(ctx, x: TensorV, reps: list[Dim | None]) -> TensorV:
    r = len(x.shape)  # type: ignore[arg-type]
    if len(reps) < r:
        ctx.fail(codes.ARGUMENTS, f"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor: "
                                  f"{len(reps)} repeat sizes for {ctx.arg_text(0)} of shape {fmt(x.shape)}")
    for p in reps:
        if p is not None and p.value is not None and p.value < 0:
            ctx.fail(codes.INVALID_ARG, f"Trying to create tensor with negative dimension {p.value}: repeats {_shown(reps)}")
    padded = (Dim.const(1),) * (len(reps) - r) + tuple(x.shape)  # type: ignore[arg-type]
    return TensorV(tuple(a * p if p is not None else ctx.unknown_dim("repeat") for a, p in zip(padded, reps)), x.dtype)


@op("torch.tile", "torch.Tensor.tile")
def tile(ctx, input, *dims):
    x = tensor(input)
    reps = sizes_arg(ctx, dims, "tile")
    if reps is None:
        raise NotUnderstood("tile dims are not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if len(reps) < r:
        reps = [Dim.const(1)] * (r - len(reps)) + list(reps)
    return _repeat(ctx, x, reps)


@op("torch.repeat_interleave", "torch.Tensor.repeat_interleave")
def repeat_interleave(ctx, input, repeats=None, dim=None, *, output_size=None):
    x = tensor(input)
    if repeats is None:  # repeat_interleave(repeats_tensor): data-dependent length
        if x.shape is not None and len(x.shape) > 1:
            ctx.fail(codes.RANK, f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got shape {fmt(x.shape)}")
        return TensorV((as_dim(output_size) or ctx.unknown_dim("sum of the repeats"),), "int64")
    if x.shape is None:
        return TensorV(None, x.dtype)
    if dim is None:
        base: Dim = prod(x.shape)
        shape: list[Dim] = []
        d = 0
    else:
        d = norm_dim(ctx, dim, len(x.shape))
        if not x.shape:  # torch indexes the unsqueezed repeats one dim too far
            ctx.fail(codes.DIM_RANGE, "repeat_interleave with a dim on a 0-dim tensor: Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        shape = list(x.shape)
        base = shape[d]
    if isinstance(repeats, TensorV):
        rs = repeats.shape
        if rs is not None and len(rs) > 1:
            ctx.fail(codes.RANK, f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got shape {fmt(rs)}")
        if rs is not None and len(rs) == 1 and eq(rs[0], 1) is not True:
            ctx.require_eq(rs[0], base, codes.ARGUMENTS, lambda: (
                f"repeat_interleave: repeats must have the same size as input along dim: repeats {fmt(rs)} for size {base}"))
        n = as_dim(output_size) or ctx.unknown_dim("sum of the repeats")
    else:
        k = as_dim(repeats)
        if k is None:
            raise NotUnderstood("repeats is not known")
        if k.value is not None and k.value < 0:
            ctx.fail(codes.INVALID_ARG, f"repeat_interleave: repeats can not be negative, got {k.value}")
        n = base * k
    if dim is None:
        return TensorV((n,), x.dtype)
    shape[d] = n
    return TensorV(tuple(shape), x.dtype)


# ---------------------------------------------------------------------------------------------
# sub-views: narrow, select, unfold, diagonal
# ---------------------------------------------------------------------------------------------


@op("torch.narrow", "torch.Tensor.narrow")
def narrow(ctx, input, dim, start, length):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if not x.shape:
        ctx.fail(codes.RANK, "narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(ctx, dim, len(x.shape))
    n = x.shape[d]
    s, ln = as_dim(start), as_dim(length)
    if s is None or ln is None:
        raise NotUnderstood("narrow start/length are not known")
    if ln.value is not None and ln.value < 0:
        ctx.fail(codes.INDEX, f"narrow(): length must be non-negative, got {ln.value}")
    if s.value is not None and s.value < 0:
        if n.value is not None and -s.value > n.value:
            ctx.fail(codes.INDEX, f"start out of range (expected to be in range of [{-n.value}, {n.value}], but got {s.value})")
        s = s + n
    if lt(n, s) is True:
        ctx.fail(codes.INDEX, f"start out of range (expected to be in range of [-{n}, {n}], but got {start.describe()})")
    if lt(n, s + ln) is True:
        ctx.fail(codes.INDEX, f"start ({start.describe()}) + length ({ln}) exceeds dimension size ({n}): {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    shape = list(x.shape)
    shape[d] = ln
    st = strides_of(x)
    return laid_out(tuple(shape), x.dtype, st, x.contiguous and (d == 0 or eq(ln, n) is True))


@op("torch.select", "torch.Tensor.select")
def select(ctx, input, dim, index):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if not x.shape:
        ctx.fail(codes.INDEX, "select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(ctx, dim, len(x.shape))
    i = as_dim(index)
    if i is None:
        raise NotUnderstood("index is not known")
    n = x.shape[d]
    if i.value is not None:
        bad = (n.value is not None and not -n.value <= i.value < n.value) or (i.value >= 0 and le(n, i) is True)
        if bad:
            ctx.fail(codes.INDEX, f"select(): index {i.value} out of range for tensor of size {fmt(x.shape)} at dimension {d}")
    return _drop(x, {d}, x.contiguous and all(eq(n_, 1) is True for n_ in x.shape[:d]))


@op("torch.Tensor.unfold")
def unfold(ctx, self, dimension, size, step):
    x = tensor(self)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    d = norm_dim(ctx, dimension, r)
    k, s = as_dim(size), as_dim(step)
    if k is None or s is None:
        raise NotUnderstood("unfold size/step are not known")
    n = x.shape[d] if r else Dim.const(1)
    if k.value is not None and k.value < 0:
        ctx.fail(codes.INVALID_ARG, f"size is {k.value} but must be >= 0")
    if lt(n, k) is True:
        ctx.fail(codes.INVALID_ARG, f"maximum size for tensor at dimension {d} is {n} but size is {k}: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if s.value is not None and s.value <= 0:
        ctx.fail(codes.INVALID_ARG, f"step is {s.value} but must be > 0")
    if s.value is None:
        raise NotUnderstood("unfold step is symbolic")
    count = (n - k) // s + 1
    if r == 0:
        return TensorV((k,), x.dtype)
    shape = list(x.shape)
    shape[d] = count
    st = strides_of(x)
    new_st = None if st is None else tuple(st[i] * (s.value if i == d else 1) for i in range(r)) + (st[d],)
    return laid_out(tuple(shape) + (k,), x.dtype, new_st, False)


def _diag_len(rows: Dim, cols: Dim, k: int) -> Dim:
    a, b = (rows, cols - k) if k >= 0 else (rows + k, cols)
    small = a if le(a, b) is True else (b if le(b, a) is True else None)
    if small is None:
        if rows.value is not None and cols.value is not None:
            small = Dim.const(min(a.value, b.value))  # type: ignore[type-var]
        else:
            return Dim.unknown("diagonal length")
    if le(small, 0) is True:
        return Dim.const(0)
    if le(Dim.const(0), small) is True:
        return small
    return Dim.unknown("diagonal length")


@op("torch.diagonal", "torch.Tensor.diagonal")
def diagonal(ctx, input, offset=0, dim1=0, dim2=1):
    x = tensor(input)
    k = as_int(offset)
    if k is None:
        raise NotUnderstood("offset is not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    a, b = norm_dim(ctx, dim1, r), norm_dim(ctx, dim2, r)
    if a == b:
        ctx.fail(codes.ARGUMENTS, f"diagonal dimensions cannot be identical {as_int(dim1)}, {as_int(dim2)}")
    rest = [d for i, d in enumerate(x.shape) if i not in (a, b)]
    st = strides_of(x)
    new_st = None if st is None else tuple(v for i, v in enumerate(st) if i not in (a, b)) + (st[a] + st[b],)
    return laid_out(tuple(rest) + (_diag_len(x.shape[a], x.shape[b], k),), x.dtype, new_st, False)


@op("torch.diag", "torch.Tensor.diag")
def diag(ctx, input, diagonal=0, *, out=None):
    x = tensor(input)
    k = as_int(diagonal)
    if k is None:
        raise NotUnderstood("diagonal is not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    if len(x.shape) == 1:
        n = x.shape[0] + abs(k)
        return TensorV((n, n), x.dtype)
    if len(x.shape) == 2:
        return TensorV((_diag_len(x.shape[0], x.shape[1], k),), x.dtype)
    ctx.fail(codes.RANK, f"diag(): Supports 1D or 2D tensors. Got {len(x.shape)}D: {ctx.arg_text(0)} has shape {fmt(x.shape)}")


@op("torch.diag_embed", "torch.Tensor.diag_embed")
def diag_embed(ctx, input, offset=0, dim1=-2, dim2=-1):
    x = tensor(input)
    k = as_int(offset)
    if k is None or x.shape is None:
        raise NotUnderstood("diag_embed arguments")
    r = len(x.shape) + 1
    a, b = norm_dim(ctx, dim1, r), norm_dim(ctx, dim2, r)
    if a == b:
        ctx.fail(codes.ARGUMENTS, f"diagonal dimensions cannot be identical {as_int(dim1)}, {as_int(dim2)}")
    if not x.shape:
        raise NotUnderstood("diag_embed of a 0-dim tensor")
    n = x.shape[-1] + abs(k)
    rest = list(x.shape[:-1])
    out: list[Dim] = []
    for i in range(r):
        out.append(n if i in (a, b) else rest.pop(0))
    return TensorV(tuple(out), x.dtype)


@op("torch.triu", "torch.Tensor.triu", "torch.tril", "torch.Tensor.tril", "torch.Tensor.triu_", "torch.Tensor.tril_")
def triu(ctx, input, diagonal=0, *, out=None):
    x = tensor(input)
    if x.shape is not None and len(x.shape) < 2:
        ctx.fail(codes.RANK, f"tril/triu: input tensor must have at least 2 dimensions: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    return TensorV(x.shape, x.dtype)


# ---------------------------------------------------------------------------------------------
# shape-keeping reorderings
# ---------------------------------------------------------------------------------------------


def _check_dims(ctx, x: TensorV, dims: list[int], what: str) -> list[int]:
    r = len(x.shape)  # type: ignore[arg-type]
    norm = [norm_dim(ctx, d, r) for d in dims]
    if len(set(norm)) != len(norm):
        dup = next(d for d in norm if norm.count(d) > 1)
        ctx.fail(codes.DIM_RANGE, f"{what}: dim {dup} appears multiple times in the list of dims")
    return norm


@op("torch.flip", "torch.Tensor.flip")
def flip(ctx, input, *dims):
    x = tensor(input)
    ds = _dim_list(dims[0]) if len(dims) == 1 else _dim_list(TupleV(tuple(dims)))
    if x.shape is None:
        return TensorV(None, x.dtype)
    _check_dims(ctx, x, ds, "flip")
    return fresh_layout(x.shape, x.dtype, [x])  # the result keeps the input's dim order


@op("torch.fliplr", "torch.Tensor.fliplr")
def fliplr(ctx, input):
    x = tensor(input)
    if x.shape is not None and len(x.shape) < 2:
        ctx.fail(codes.RANK, f"fliplr: Input must be >= 2-d: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    return fresh_layout(x.shape, x.dtype, [x])


@op("torch.flipud", "torch.Tensor.flipud")
def flipud(ctx, input):
    x = tensor(input)
    if x.shape is not None and len(x.shape) < 1:
        ctx.fail(codes.RANK, f"flipud: Input must be >= 1-d: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    return fresh_layout(x.shape, x.dtype, [x])


@op("torch.roll", "torch.Tensor.roll")
def roll(ctx, input, shifts, dims=None):
    x = tensor(input)
    sh = _dim_list(shifts)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if dims is None or (as_seq(dims) is not None and not as_seq(dims)):
        if len(sh) != 1:
            ctx.fail(codes.ARGUMENTS, f"roll: shifts {sh} must be a single number when no dims are given")
        return TensorV(x.shape, x.dtype)
    ds = _dim_list(dims)
    if len(sh) != len(ds):
        ctx.fail(codes.ARGUMENTS, f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    if not x.shape:
        ctx.fail(codes.DIM_RANGE, f"roll: Dimension specified as {ds[0]} but tensor has no dimensions")
    for d in ds:
        norm_dim(ctx, d, len(x.shape))
    return TensorV(x.shape, x.dtype)


@op("torch.rot90", "torch.Tensor.rot90")
def rot90(ctx, input, k=1, dims=(0, 1)):
    x = tensor(input)
    kk = as_int(k)
    ds = _dim_list(dims)
    if kk is None:
        raise NotUnderstood("k is not known")
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if len(ds) != 2:
        ctx.fail(codes.ARGUMENTS, f"expected total rotation dims == 2, but got dims = {len(ds)}")
    if r < 2:
        ctx.fail(codes.RANK, f"expected total dims >= 2, but got total dims = {r}: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    a, b = norm_dim(ctx, ds[0], r), norm_dim(ctx, ds[1], r)
    if a == b:
        ctx.fail(codes.ARGUMENTS, f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}")
    k4 = kk % 4
    if k4 == 0:
        return TensorV(x.shape, x.dtype)  # a contiguous clone
    flipped = fresh_layout(x.shape, x.dtype, [x])  # flip keeps the input's dim order
    if k4 == 2:
        return flipped
    order = list(range(r))
    order[a], order[b] = order[b], order[a]
    return permuted(flipped, order)  # then a transposed view
