"""Matrix products: matmul / @ with every rank combination and batch broadcasting, mm, bmm."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import eq
from shapelens.ops.common import broadcast_shapes, fmt, tensor
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, Value


def _inner(ctx, a: TensorV, b: TensorV, ka, kb, label: str) -> None:
    def msg() -> str:
        if len(a.shape) == 2 and len(b.shape) == 2:  # type: ignore[arg-type]
            return (f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]}): "  # type: ignore[index]
                    f"{label} needs {fmt(a.shape)}[-1] == {fmt(b.shape)}[-2]")
        return f"{label}: inner dimensions differ: {fmt(a.shape)} and {fmt(b.shape)} ({ka} vs {kb})"

    ctx.require_eq(ka, kb, codes.MATMUL, msg)


def matmul_shape(ctx, a: TensorV, b: TensorV, label: str = "matmul") -> TensorV:
    dtype = a.dtype if a.dtype == b.dtype else None
    if a.shape is None or b.shape is None:
        return TensorV(None, dtype)
    ra, rb = len(a.shape), len(b.shape)
    if ra == 0 or rb == 0:
        ctx.fail(codes.RANK, f"both arguments to matmul need to be at least 1D, but they are {ra}D and {rb}D")
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
    # Batched: 1-D operands are promoted then the added dim removed.
    a_mat = a.shape if ra >= 2 else (a.shape[0],)
    b_mat = b.shape if rb >= 2 else (b.shape[0],)
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


@op("torch.matmul", "torch.Tensor.matmul", "torch.Tensor.__matmul__", "torch.Tensor.__rmatmul__")
def matmul(ctx, input, other, *, out=None):
    if not isinstance(input, TensorV) or not isinstance(other, TensorV):
        raise NotUnderstood("matmul of a non-tensor")
    return matmul_shape(ctx, input, other, "matmul")


@op("torch.mm", "torch.Tensor.mm")
def mm(ctx, input, mat2, *, out=None):
    a, b = tensor(input), tensor(mat2, "mat2")
    if a.shape is not None and len(a.shape) != 2:
        ctx.fail(codes.RANK, f"self must be a matrix, got shape {fmt(a.shape)}")
    if b.shape is not None and len(b.shape) != 2:
        ctx.fail(codes.RANK, f"mat2 must be a matrix, got shape {fmt(b.shape)}")
    return matmul_shape(ctx, a, b, "mm")


@op("torch.bmm", "torch.Tensor.bmm")
def bmm(ctx, input, mat2, *, out=None):
    a, b = tensor(input), tensor(mat2, "mat2")
    if a.shape is None or b.shape is None:
        return TensorV(None, a.dtype)
    if len(a.shape) != 3:
        ctx.fail(codes.RANK, f"batch1 must be a 3D tensor, got shape {fmt(a.shape)}")
    if len(b.shape) != 3:
        ctx.fail(codes.RANK, f"batch2 must be a 3D tensor, got shape {fmt(b.shape)}")
    msg = lambda: (f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
                   f"but got: [{b.shape[0]}, {b.shape[1]}]")
    ctx.require_eq(b.shape[0], a.shape[0], codes.MATMUL, msg)
    ctx.require_eq(b.shape[1], a.shape[2], codes.MATMUL, msg)
    return TensorV((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
