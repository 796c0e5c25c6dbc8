"""Ops real vision models use that no other family covers: `torch.meshgrid` (Swin's relative
position index)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim
from shapelens.ops.common import fmt
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import TensorV, TupleV, as_const, as_seq


@op("torch.meshgrid")
def meshgrid(ctx, *tensors, indexing=None):
    # meshgrid(a, b) and meshgrid([a, b]) are the same call.
    items = list(tensors)
    if len(items) == 1 and as_seq(items[0]) is not None:
        items = as_seq(items[0])
    if not all(isinstance(t, TensorV) for t in items):
        raise NotUnderstood("meshgrid: not every argument is a known tensor")
    mode = "ij" if indexing is None else as_const(indexing)
    if mode not in ("ij", "xy"):
        if not isinstance(mode, str):
            raise NotUnderstood("meshgrid: indexing is not known")
        ctx.fail(codes.INVALID_ARG, f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {mode}')
    if not items:
        ctx.fail(codes.INVALID_ARG, "meshgrid expects a non-empty TensorList")
    sizes: list[Dim] = []
    for i, t in enumerate(items):
        if t.shape is None:
            return TupleV(tuple(TensorV(None, t.dtype) for t in items))
        if len(t.shape) > 1:
            ctx.fail(codes.RANK, f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {fmt(t.shape)} "
                                 f"(argument {i})")
        sizes.append(t.shape[0] if t.shape else Dim.const(1))
    dtypes = {t.dtype for t in items}
    if len(dtypes) > 1 and None not in dtypes:
        ctx.fail(codes.DTYPE, f"torch.meshgrid: expects all tensors to have the same dtype, got {', '.join(sorted(dtypes))}")
    if mode == "xy" and len(sizes) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    return TupleV(tuple(TensorV(tuple(sizes), t.dtype) for t in items))
