"""Matrix products: matmul / @ with every rank combination and batch broadcasting, mm, bmm,
mv, dot/vdot, outer/ger, inner, kron, tensordot, the add* fused forms (addmm, addmv, addr,
baddbmm, addbmm), chain_matmul/multi_dot and linalg.vecdot."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import broadcast_shapes, fmt, norm_dim, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, Value, as_int, as_seq


def _same_dtype(ctx, a: TensorV, b: TensorV, label: str) -> str | None:
    if a.dtype is not None and b.dtype is not None and a.dtype != b.dtype:
        ctx.fail(codes.DTYPE, f"{label}: expected both operands to have the same dtype, but got {a.dtype} != {b.dtype}")
    return a.dtype if a.dtype == b.dtype else None


def _inner(ctx, a: TensorV, b: TensorV, ka, kb, label: str) -> None:
    def msg() -> str:
        if len(a.shape) == 2 and len(b.shape) == 2:  # type: ignore[arg-type]
            return (f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}): "  # type: ignore[index]
                    f"{label} needs {fmt(a.shape)}[-1] == {fmt(b.shape)}[-2]")
        return f"{label}: inner dimensions differ: {fmt(a.shape)} and {fmt(b.shape)} ({ka} vs {kb})"

    ctx.require_eq(ka, kb, codes.MATMUL, msg)


def matmul_shape(ctx, a: TensorV, b: TensorV, label: str = "matmul") -> TensorV:
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype if a.dtype == b.dtype else None)
    ra, rb = len(a.shape), len(b.shape)
    if ra == 0 or rb == 0:
        ctx.fail(codes.RANK, f"both arguments to {label} need to be at least 1D, but they are {ra}D and {rb}D")
    dtype = _same_dtype(ctx, a, b, label)
    if ra == 1 and rb == 1:
        _inner(ctx, a, b, a.shape[0], b.shape[0], label)
        return TensorV((), dtype)
    if ra == 2 and rb == 1:
        _inner(ctx, a, b, a.shape[1], b.shape[0], label)
        return TensorV((a.shape[0],), dtype)
    if ra == 1 and rb == 2:
        _inner(ctx, a, b, a.shape[0], b.shape[0], label)
        return TensorV((b.shape[1],), dtype)
    if ra == 2 and rb == 2:
        _inner(ctx, a, b, a.shape[1], b.shape[0], label)
        return TensorV((a.shape[0], b.shape[1]), dtype)
    # Batched: 1-D operands are promoted to matrices, then the added dim removed.
    ka = a.shape[-1]
    kb = b.shape[-2] if rb >= 2 else b.shape[0]
    _inner(ctx, a, b, ka, kb, label)
    batch_a = a.shape[:-2] if ra >= 2 else ()
    batch_b = b.shape[:-2] if rb >= 2 else ()
    batch = broadcast_shapes(ctx, batch_a, batch_b, f"batch dimensions of {fmt(a.shape)} and {fmt(b.shape)}")
    tail = []
    if ra >= 2:
        tail.append(a.shape[-2])
    if rb >= 2:
        tail.append(b.shape[-1])
    return TensorV(tuple(batch) + tuple(tail), dtype)


@op("torch.matmul", "torch.Tensor.matmul", "torch.Tensor.__matmul__", "torch.linalg.matmul")
def matmul(ctx, input, other, *, out=None):
    if not isinstance(input, TensorV) or not isinstance(other, TensorV):
        raise NotUnderstood("matmul of a non-tensor")
    return matmul_shape(ctx, input, other, "matmul")


@op("torch.Tensor.__rmatmul__")
def rmatmul(ctx, self, other):
    if not isinstance(other, TensorV):
        raise NotUnderstood("matmul of a non-tensor")
    return matmul_shape(ctx, other, tensor(self), "matmul")


def _rank(ctx, t: TensorV, n: int, what: str, label: str) -> None:
    if t.shape is not None and len(t.shape) != n:
        ctx.fail(codes.RANK, f"{label}: {what} must be a {n}D tensor, got shape {fmt(t.shape)}")


@op("torch.mm", "torch.Tensor.mm")
def mm(ctx, input, mat2, *, out=None):
    a, b = tensor(input), tensor(mat2, "mat2")
    _rank(ctx, a, 2, "self", "mm")
    _rank(ctx, b, 2, "mat2", "mm")
    return matmul_shape(ctx, a, b, "mm")


def bmm_shape(ctx, a: TensorV, b: TensorV, label: str) -> TensorV:
    _rank(ctx, a, 3, "batch1", label)
    _rank(ctx, b, 3, "batch2", label)
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    dtype = _same_dtype(ctx, a, b, label)
    msg = lambda: (f"{label}: Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
                   f"but got: [{b.shape[0]}, {b.shape[1]}] (batch1 {fmt(a.shape)}, batch2 {fmt(b.shape)})")
    ctx.require_eq(b.shape[0], a.shape[0], codes.MATMUL, msg)
    ctx.require_eq(b.shape[1], a.shape[2], codes.MATMUL, msg)
    return TensorV((a.shape[0], a.shape[1], b.shape[2]), dtype)


@op("torch.bmm", "torch.Tensor.bmm")
def bmm(ctx, input, mat2, *, out=None):
    return bmm_shape(ctx, tensor(input), tensor(mat2, "mat2"), "bmm")


@op("torch.mv", "torch.Tensor.mv")
def mv(ctx, input, vec, *, out=None):
    a, v = tensor(input), tensor(vec, "vec")
    if a.shape is not None and v.shape is not None and (len(a.shape) != 2 or len(v.shape) != 1):
        ctx.fail(codes.RANK, f"vector + matrix @ vector expected, got {len(a.shape)}, {len(v.shape)} dims: "
                             f"shapes {fmt(a.shape)} and {fmt(v.shape)}")
    return matmul_shape(ctx, a, v, "mv")


def _vectors(ctx, a: TensorV, b: TensorV, label: str) -> None:
    if a.shape is not None and b.shape is not None and (len(a.shape) != 1 or len(b.shape) != 1):
        ctx.fail(codes.RANK, f"1D tensors expected, but got {len(a.shape)}D and {len(b.shape)}D tensors ({label})")


@op("torch.dot", "torch.Tensor.dot", "torch.vdot", "torch.Tensor.vdot")
def dot(ctx, input, tensor_, *, out=None):
    a, b = tensor(input), tensor(tensor_, "tensor")
    _vectors(ctx, a, b, "dot")
    if a.shape is None or b.shape is None:
        return TensorV((), a.dtype)
    dtype = _same_dtype(ctx, a, b, "dot")
    ctx.require_eq(a.shape[0], b.shape[0], codes.MATMUL, lambda: (
        f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements"))
    return TensorV((), dtype)


@op("torch.outer", "torch.Tensor.outer", "torch.ger", "torch.Tensor.ger")
def outer(ctx, input, vec2, *, out=None):
    a, b = tensor(input), tensor(vec2, "vec2")
    for t, what in ((a, "self"), (b, "vec2")):
        if t.shape is not None and len(t.shape) != 1:
            ctx.fail(codes.RANK, f"outer: Expected 1-D argument {what}, but got {len(t.shape)}-D (shape {fmt(t.shape)})")
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    from shapelens.ops.elementwise import promote

    return TensorV((a.shape[0], b.shape[0]), promote(a.dtype, b.dtype))


@op("torch.inner", "torch.Tensor.inner")
def inner(ctx, input, other, *, out=None):
    a, b = tensor(input), tensor(other, "other")
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    if not a.shape or not b.shape:
        from shapelens.ops.elementwise import binary

        return binary(ctx, a, b, "mul")
    dtype = _same_dtype(ctx, a, b, "inner")
    ctx.require_eq(a.shape[-1], b.shape[-1], codes.MATMUL, lambda: (
        f"inner() the last dimension must match on both input tensors but got shapes {fmt(a.shape)} and {fmt(b.shape)}"))
    return TensorV(tuple(a.shape[:-1]) + tuple(b.shape[:-1]), dtype)


@op("torch.kron", "torch.Tensor.kron")
def kron(ctx, input, other, *, out=None):
    a, b = tensor(input), tensor(other, "other")
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    n = max(len(a.shape), len(b.shape))
    pa = (Dim.const(1),) * (n - len(a.shape)) + tuple(a.shape)
    pb = (Dim.const(1),) * (n - len(b.shape)) + tuple(b.shape)
    from shapelens.ops.elementwise import promote

    return TensorV(tuple(x * y for x, y in zip(pa, pb)), promote(a.dtype, b.dtype))


def _dim_list(ctx, v: Value, rank: int, what: str) -> list[int]:
    seq = as_seq(v)
    raw = [as_int(i) for i in seq] if seq is not None else [as_int(v)]
    if any(d is None for d in raw):
        raise NotUnderstood(f"tensordot {what} dims are not known")
    if raw and rank == 0:
        ctx.fail(codes.DIM_RANGE, f"Dimension specified as {raw[0]} but tensor has no dimensions ({what} operand of tensordot)")
    out = [norm_dim(ctx, d, rank) for d in raw]  # type: ignore[arg-type]
    if len(set(out)) != len(out):
        ctx.fail(codes.DIM_RANGE, f"tensordot: dim {next(d for d in out if out.count(d) > 1)} appears multiple times in the list of dims")
    return out


@op("torch.tensordot")
def tensordot(ctx, a, b, dims=2, out=None):
    x, y = tensor(a), tensor(b, "b")
    if x.shape is None or y.shape is None:
        return TensorV(None, x.dtype)
    ra, rb = len(x.shape), len(y.shape)
    if isinstance(dims, TensorV):
        raise NotUnderstood("tensordot with dims given as a tensor")
    seq = as_seq(dims)
    if seq is None:
        n = as_int(dims)
        if n is None:
            raise NotUnderstood("tensordot dims are not known")
        if n < 0:
            ctx.fail(codes.ARGUMENTS, f"tensordot expects dims >= 0, but got dims={n}")
        if n > ra or n > rb:
            ctx.fail(codes.ARGUMENTS, f"tensordot expects dims < ndim_a or ndim_b, but got dims={n} for shapes {fmt(x.shape)} and {fmt(y.shape)}")
        da, db = list(range(ra - n, ra)), list(range(n))
    else:
        if len(seq) != 2:
            raise NotUnderstood("tensordot dims must be a pair of lists")
        da, db = _dim_list(ctx, seq[0], ra, "first"), _dim_list(ctx, seq[1], rb, "second")
        if len(da) != len(db):
            ctx.fail(codes.ARGUMENTS, f"both dimension lists should have same length: {da} and {db}")
    dtype = _same_dtype(ctx, x, y, "tensordot")
    for i, j in zip(da, db):
        s1, s2 = x.shape[i], y.shape[j]
        # A size-1 dim on either side is summed out first (torch broadcasts it).
        if eq(s1, s2) is True or eq(s1, 1) is True or eq(s2, 1) is True:
            continue
        ctx.require_eq(s1, s2, codes.MATMUL, lambda i=i, j=j, s1=s1, s2=s2: (
            f"contracted dimensions need to match, but first has size {s1} in dim {i} and second has size {s2} in dim {j}"))
    free_a = [x.shape[i] for i in range(ra) if i not in da]
    free_b = [y.shape[j] for j in range(rb) if j not in db]
    return TensorV(tuple(free_a) + tuple(free_b), dtype)


def _add_to(ctx, inp: TensorV, shape: tuple, label: str) -> None:
    """The added tensor must broadcast to the product's shape (without growing it)."""
    if inp.shape is None:
        return
    out = broadcast_shapes(ctx, inp.shape, shape, f"{label}: the added tensor {fmt(inp.shape)} and the product {fmt(shape)}")
    if len(out) != len(shape) or any(eq(p, q) is False for p, q in zip(out, shape)):
        ctx.fail(codes.BROADCAST, f"{label}: the added tensor {fmt(inp.shape)} does not broadcast to the product's shape {fmt(shape)}")


def _plus_product(ctx, t: TensorV, p: TensorV, label: str) -> TensorV:
    """`input + product` of the fused add-product ops: input must broadcast to the product."""
    if p.shape is not None:
        _add_to(ctx, t, p.shape, label)
    return TensorV(p.shape, p.dtype)


@op("torch.addmm", "torch.Tensor.addmm")
def addmm(ctx, input, mat1, mat2, *, beta=1, alpha=1, out=None):
    return _plus_product(ctx, tensor(input), mm(ctx, mat1, mat2), "addmm")


@op("torch.addmv", "torch.Tensor.addmv")
def addmv(ctx, input, mat, vec, *, beta=1, alpha=1, out=None):
    return _plus_product(ctx, tensor(input), mv(ctx, mat, vec), "addmv")


@op("torch.addr", "torch.Tensor.addr")
def addr(ctx, input, vec1, vec2, *, beta=1, alpha=1, out=None):
    return _plus_product(ctx, tensor(input), outer(ctx, vec1, vec2), "addr")


@op("torch.baddbmm", "torch.Tensor.baddbmm")
def baddbmm(ctx, input, batch1, batch2, *, beta=1, alpha=1, out=None):
    p = bmm_shape(ctx, tensor(batch1, "batch1"), tensor(batch2, "batch2"), "baddbmm")
    return _plus_product(ctx, tensor(input), p, "baddbmm")


@op("torch.addbmm", "torch.Tensor.addbmm")
def addbmm(ctx, input, batch1, batch2, *, beta=1, alpha=1, out=None):
    t = tensor(input)
    p = bmm_shape(ctx, tensor(batch1, "batch1"), tensor(batch2, "batch2"), "addbmm")
    if p.shape is None:
        return TensorV(None, p.dtype)
    _add_to(ctx, t, p.shape[1:], "addbmm")
    return TensorV(p.shape[1:], p.dtype)


def _chain(ctx, ts: list[TensorV], label: str, ends_may_be_vectors: bool) -> TensorV:
    if any(t.shape is None for t in ts):
        return TensorV(None, ts[0].dtype if ts else None)
    if len(ts) < 2 and label == "multi_dot":
        ctx.fail(codes.ARGUMENTS, f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    if len(ts) == 1:
        _rank(ctx, ts[0], 2, "the matrix", label)
        return ts[0]
    mats = list(ts)
    first_vec = ends_may_be_vectors and len(mats[0].shape) == 1  # type: ignore[arg-type]
    last_vec = ends_may_be_vectors and len(mats[-1].shape) == 1  # type: ignore[arg-type]
    if first_vec:
        mats[0] = TensorV((Dim.const(1),) + tuple(mats[0].shape), mats[0].dtype)  # type: ignore[arg-type]
    if last_vec:
        mats[-1] = TensorV(tuple(mats[-1].shape) + (Dim.const(1),), mats[-1].dtype)  # type: ignore[arg-type]
    for i, m in enumerate(mats):
        if len(m.shape) != 2:  # type: ignore[arg-type]
            ctx.fail(codes.RANK, f"{label}(): tensor {i} must be 2D (the first and last may be 1D for multi_dot) "
                                 f"but got {len(ts[i].shape)}D")  # type: ignore[arg-type]
    acc = mats[0]
    for m in mats[1:]:
        acc = matmul_shape(ctx, acc, m, label)
    shape = list(acc.shape)  # type: ignore[arg-type]
    if last_vec:
        shape.pop(1)
    if first_vec:
        shape.pop(0)
    return TensorV(tuple(shape), acc.dtype)


@op("torch.linalg.multi_dot")
def multi_dot(ctx, tensors, *, out=None):
    seq = as_seq(tensors)
    if seq is None or not all(isinstance(t, TensorV) for t in seq):
        raise NotUnderstood("multi_dot: the tensors are not known")
    return _chain(ctx, seq, "multi_dot", True)  # type: ignore[arg-type]


@op("torch.chain_matmul")
def chain_matmul(ctx, *matrices, out=None):
    if not all(isinstance(t, TensorV) for t in matrices) or not matrices:
        raise NotUnderstood("chain_matmul: the matrices are not known")
    return _chain(ctx, list(matrices), "chain_matmul", False)  # type: ignore[arg-type]


@op("torch.linalg.vecdot")
def vecdot(ctx, x, y, *, dim=-1, out=None):
    a, b = tensor(x), tensor(y, "y")
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    dtype = _same_dtype(ctx, a, b, "linalg.vecdot")
    if len(a.shape) == 1 and len(b.shape) == 1:
        # Two vectors go through vdot, which does not broadcast.
        ctx.require_eq(b.shape[0], a.shape[0], codes.MATMUL, lambda: (
            f"inconsistent tensor size: linalg.vecdot of {fmt(a.shape)} and {fmt(b.shape)} needs vectors of the same length"))
    shape = broadcast_shapes(ctx, a.shape, b.shape, f"linalg.vecdot of {fmt(a.shape)} and {fmt(b.shape)}")
    d = norm_dim(ctx, dim, len(shape))
    return TensorV(tuple(s for i, s in enumerate(shape) if i != d), dtype)

