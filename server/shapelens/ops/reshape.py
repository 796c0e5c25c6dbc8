"""Reshaping and tensor geometry: size/shape/dim/numel, view/reshape (with -1), flatten,
permute/transpose/t/T/mT, squeeze/unsqueeze, contiguous."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, fmt_shape, prod
from shapelens.ops.common import fmt, norm_dim, size_from_args, tensor
from shapelens.ops.linear import flatten_shape
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import IntV, TensorV, TupleV, Value, as_dim, as_int, as_seq, size_value


@op("torch.Tensor.size")
def size(ctx, self, dim=None):
    x = tensor(self)
    if x.shape is None:
        raise NotUnderstood("rank unknown")
    if dim is None or (hasattr(dim, "value") and getattr(dim, "value", 0) is None):
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
    return TensorV(x.shape, x.dtype, meta=x.meta)


def reshape_to(ctx, x: TensorV, sizes: list[Dim | None] | None, name: str, check_contiguous: bool) -> TensorV:
    if sizes is None:
        raise NotUnderstood("the new shape is not known")
    if x.shape is None:
        # Without the input's rank only explicit sizes are known.
        if all(s is not None and s.value != -1 for s in sizes):
            return TensorV(tuple(sizes), x.dtype)  # type: ignore[arg-type]
        return TensorV(tuple(s if s is not None and s.value != -1 else ctx.unknown_dim("view") for s in sizes), x.dtype)
    total = prod(x.shape)
    neg = [i for i, s in enumerate(sizes) if s is not None and s.value == -1]
    if len(neg) > 1:
        ctx.fail(codes.RESHAPE, "only one dimension can be inferred")
    for s in sizes:
        if s is not None and s.value is not None and s.value < -1:
            ctx.fail(codes.RESHAPE, f"invalid shape dimension {s.value}")
    if check_contiguous and not x.contiguous:
        ctx.warn(codes.VIEW_NONCONTIGUOUS,
                 f"{name}() on a tensor that was transposed or permuted {fmt(x.shape)} may raise "
                 f"\"view size is not compatible with input tensor's size and stride\"; use reshape() or .contiguous()")
    shown = "[" + ", ".join(str(s) if s is not None else "?" for s in sizes) + "]"
    if any(s is None for s in sizes):
        out = [s if s is not None and s.value != -1 else ctx.unknown_dim("view") for s in sizes]
        return TensorV(tuple(out), x.dtype)
    if neg:
        known = prod(s for i, s in enumerate(sizes) if i != neg[0])  # type: ignore[misc]
        q = total.exact_div(known)
        if q is None:
            if total.value is not None and known.value is not None:
                if known.value == 0 or total.value % known.value:
                    ctx.fail(codes.RESHAPE, f"shape '{shown}' is invalid for input of size {total}: {ctx.arg_text(0)} has shape {fmt(x.shape)}")
            if known.value == 0:
                ctx.fail(codes.RESHAPE, f"shape '{shown}' is invalid for input of size {total}")
            # Exact by torch's own check, so a floor division names the size without guessing.
            q = total // known
            if eq(q * known, total) is False and total.is_known and known.is_known and not total.has_unknown():
                ctx.require_eq(q * known, total, codes.RESHAPE, lambda: f"shape '{shown}' is invalid for input of size {total}")
        out = list(sizes)
        out[neg[0]] = q
        result = TensorV(tuple(out), x.dtype)  # type: ignore[arg-type]
    else:
        new_total = prod(sizes)  # type: ignore[arg-type]
        ctx.require_eq(new_total, total, codes.RESHAPE, lambda: (
            f"shape '{shown}' is invalid for input of size {total}: the tensor has shape {fmt(x.shape)}"))
        result = TensorV(tuple(sizes), x.dtype)  # type: ignore[arg-type]
    # view(B, -1) after (B, C, H, W): remember what was multiplied, for a Linear quick fix.
    if len(result.shape) == 2 and len(x.shape) > 2 and eq(result.shape[0], x.shape[0]) is True:
        result.meta = {"flat_factors": tuple(x.shape[1:])}
    return result


@op("torch.Tensor.view")
def view(ctx, self, *shape, dtype=None):
    x = tensor(self)
    if len(shape) == 1 and not isinstance(shape[0], (IntV, TupleV)) and as_seq(shape[0]) is None:
        # view(dtype): same shape for same-size dtypes; not modelled further.
        raise NotUnderstood("view(dtype) is not modelled")
    return reshape_to(ctx, x, size_from_args(shape), "view", True)


@op("torch.Tensor.reshape")
def reshape(ctx, self, *shape):
    return reshape_to(ctx, tensor(self), size_from_args(shape), "reshape", False)


@op("torch.reshape")
def torch_reshape(ctx, input, shape):
    return reshape_to(ctx, tensor(input), size_from_args((shape,)), "reshape", False)


@op("torch.Tensor.view_as", "torch.Tensor.reshape_as")
def view_as(ctx, self, other):
    x, o = tensor(self), tensor(other, "other")
    if o.shape is None:
        return TensorV(None, x.dtype)
    return reshape_to(ctx, x, list(o.shape), "view_as", False)


@op("torch.flatten", "torch.Tensor.flatten")
def flatten(ctx, input, start_dim=0, end_dim=-1):
    return flatten_shape(ctx, tensor(input), as_int(start_dim), as_int(end_dim))


@op("torch.Tensor.permute", "torch.permute")
def permute(ctx, input, *dims):
    x = tensor(input)
    ds = size_from_args(dims)
    if ds is None or any(d is None for d in ds):
        raise NotUnderstood("permutation is not known")
    order = [d.value for d in ds]  # type: ignore[union-attr]
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if len(order) != r:
        ctx.fail(codes.ARGUMENTS,
                 f"permute: the tensor {fmt(x.shape)} has {r} dimensions but {len(order)} were given ({', '.join(map(str, order))})")
    norm = [norm_dim(ctx, d, r) for d in order]
    if len(set(norm)) != len(norm):
        ctx.fail(codes.ARGUMENTS, f"permute(): duplicate dims are not allowed: {order}")
    return TensorV(tuple(x.shape[i] for i in norm), x.dtype, contiguous=norm == sorted(norm) and x.contiguous)


@op("torch.Tensor.transpose", "torch.transpose", "torch.Tensor.swapaxes", "torch.swapaxes", "torch.Tensor.swapdims", "torch.swapdims")
def transpose(ctx, input, dim0, dim1):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    a, b = norm_dim(ctx, dim0, r), norm_dim(ctx, dim1, r)
    shape = list(x.shape)
    shape[a], shape[b] = shape[b], shape[a]
    return TensorV(tuple(shape), x.dtype, contiguous=x.contiguous and (a == b or eq(x.shape[a], 1) is True or eq(x.shape[b], 1) is True))


@op("torch.Tensor.t", "torch.t")
def t(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if len(x.shape) > 2:
        ctx.fail(codes.RANK, f"t() expects a tensor with <= 2 dimensions, but self is {len(x.shape)}D: shape {fmt(x.shape)}")
    return TensorV(tuple(reversed(x.shape)), x.dtype, contiguous=len(x.shape) < 2)


@op("torch.Tensor.T")
def T(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    return TensorV(tuple(reversed(x.shape)), x.dtype, contiguous=len(x.shape) < 2)


@op("torch.Tensor.mT", "torch.Tensor.mH")
def mT(ctx, input):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    if len(x.shape) < 2:
        ctx.fail(codes.RANK, f"tensor.mT is only supported on matrices or batches of matrices. Got {len(x.shape)}-D tensor.")
    return TensorV(tuple(x.shape[:-2]) + (x.shape[-1], x.shape[-2]), x.dtype, contiguous=False)


@op("torch.Tensor.squeeze", "torch.squeeze")
def squeeze(ctx, input, dim=None):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    r = len(x.shape)
    if dim is None or (hasattr(dim, "value") and getattr(dim, "value", 0) is None):
        out = []
        for d in x.shape:
            one = eq(d, 1)
            if one is None:
                return TensorV(None, x.dtype)  # whether it is removed depends on the size
            if not one:
                out.append(d)
        return TensorV(tuple(out), x.dtype)
    seq = as_seq(dim)
    dims = [as_int(v) for v in seq] if seq is not None else [as_int(dim)]
    if any(d is None for d in dims):
        raise NotUnderstood("dim is not known")
    norm = {norm_dim(ctx, d, r) for d in dims}  # type: ignore[arg-type]
    out = []
    for i, d in enumerate(x.shape):
        if i in norm:
            one = eq(d, 1)
            if one is None:
                return TensorV(None, x.dtype)  # whether it is removed depends on the size
            if one:
                continue
        out.append(d)
    return TensorV(tuple(out), x.dtype)


@op("torch.Tensor.unsqueeze", "torch.unsqueeze")
def unsqueeze(ctx, input, dim):
    x = tensor(input)
    if x.shape is None:
        return TensorV(None, x.dtype)
    d = norm_dim(ctx, dim, len(x.shape) + 1)
    shape = list(x.shape)
    shape.insert(d, Dim.const(1))
    return TensorV(tuple(shape), x.dtype)
