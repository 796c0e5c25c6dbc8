"""Losses: how input and target must fit together, and the shape of the result (a scalar, or
the per-element loss with reduction='none'). Input/target mismatches are SL114."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import broadcast_shapes, const_value, fmt, maybe_tensor, numel, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, Shape, TensorV, Value, as_float, as_int

REDUCTIONS = ("none", "mean", "sum")


def who(ctx, fn: str) -> str:
    """How messages name the loss: the layer (`criterion (CrossEntropyLoss)`) or the function."""
    m = getattr(ctx, "module", None)
    if isinstance(m, ModuleV):
        return f"{m.name} ({m.short})" if m.name else m.short
    return fn


def same_shape(a: Shape, b: Shape) -> bool | None:
    """Three-valued: are the two shapes equal?"""
    if len(a) != len(b):
        return False
    rs = [eq(x, y) for x, y in zip(a, b)]
    if any(r is False for r in rs):
        return False
    return True if all(r is True for r in rs) else None


def reduction_of(ctx, reduction: Value | None, size_average: Value | None = None, reduce: Value | None = None,
                 allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """torch's reduction string, from `reduction` or the legacy `size_average`/`reduce` pair."""
    sa, rd = const_value(size_average), const_value(reduce)
    if sa is not None or rd is not None:
        if not isinstance(sa, (bool, int, type(None))) or not isinstance(rd, (bool, int, type(None))):
            raise NotUnderstood("size_average/reduce are not known constants")
        sa = True if sa is None else bool(sa)
        rd = True if rd is None else bool(rd)
        return ("mean" if sa else "sum") if rd else "none"
    r = const_value(reduction, "mean") if reduction is not None else "mean"
    if not isinstance(r, str):
        raise NotUnderstood("reduction is not a known string")
    if r not in allowed:
        ctx.fail(codes.INVALID_ARG, f"{r} is not a valid value for reduction (expected one of {', '.join(allowed)})")
    return r


def reduced(x_dtype: str | None, shape: Shape | None, reduction: str) -> TensorV:
    if reduction == "none":
        return TensorV(shape, x_dtype)
    return TensorV((), x_dtype)


def _pair(input, target) -> tuple[TensorV, TensorV]:
    return tensor(input), tensor(target, "target")


def fits_into(ctx, big: Shape, small: Shape, what: str, msg) -> None:
    """`small` must broadcast to `big` without growing it (an in-place/expand style broadcast)."""
    b = broadcast_shapes(ctx, big, small, what)
    if len(b) != len(big):
        ctx.fail(codes.LOSS_TARGET, msg())
    for x, y in zip(b, big):
        ctx.require_eq(x, y, codes.LOSS_TARGET, msg)


def pointwise(ctx, name: str, x: TensorV, t: TensorV, reduction: str, warn_broadcast: bool = True) -> TensorV:
    """Losses that broadcast input against target (torch warns when the sizes differ)."""
    name = who(ctx, name)
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, reduction)
    shape = broadcast_shapes(ctx, x.shape, t.shape, f"{name} input {fmt(x.shape)} and target {fmt(t.shape)}")
    if warn_broadcast and same_shape(x.shape, t.shape) is False:
        ctx.warn(codes.SILENT_BROADCAST,
                 f"{name}: target size {fmt(t.shape)} differs from input size {fmt(x.shape)}; torch broadcasts them to"
                 f" {fmt(shape)}, which is likely not what was meant")
    return reduced(x.dtype, shape, reduction)


def _weighted(ctx, name: str, x: TensorV, weight: Value | None) -> None:
    name = who(ctx, name)
    w = maybe_tensor(weight)
    if w is not None and w.shape is not None and x.shape is not None and same_shape(w.shape, x.shape) is False:
        ctx.fail(codes.LOSS_TARGET, f"{name}: weight {fmt(w.shape)} must have the same size as the input {fmt(x.shape)}"
                                    " (Weights and input must have the same size.)")


@op("torch.nn.functional.mse_loss")
def mse_loss(ctx, input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    x, t = _pair(input, target)
    out = pointwise(ctx, "mse_loss", x, t, reduction_of(ctx, reduction, size_average, reduce))
    _weighted(ctx, "mse_loss", x, weight)
    return out


@op("torch.nn.functional.l1_loss")
def l1_loss(ctx, input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    x, t = _pair(input, target)
    out = pointwise(ctx, "l1_loss", x, t, reduction_of(ctx, reduction, size_average, reduce))
    _weighted(ctx, "l1_loss", x, weight)
    return out


@op("torch.nn.functional.smooth_l1_loss")
def smooth_l1_loss(ctx, input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    x, t = _pair(input, target)
    return pointwise(ctx, "smooth_l1_loss", x, t, reduction_of(ctx, reduction, size_average, reduce))


@op("torch.nn.functional.huber_loss")
def huber_loss(ctx, input, target, reduction="mean", delta=1.0, weight=None):
    x, t = _pair(input, target)
    out = pointwise(ctx, "huber_loss", x, t, reduction_of(ctx, reduction))
    _weighted(ctx, "huber_loss", x, weight)
    return out


@op("torch.nn.functional.kl_div")
def kl_div(ctx, input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce, REDUCTIONS + ("batchmean",))
    return pointwise(ctx, "kl_div", x, t, r, warn_broadcast=False)


@op("torch.nn.functional.poisson_nll_loss")
def poisson_nll_loss(ctx, input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    x, t = _pair(input, target)
    return pointwise(ctx, "poisson_nll_loss", x, t, reduction_of(ctx, reduction, size_average, reduce), warn_broadcast=False)


@op("torch.nn.functional.soft_margin_loss")
def soft_margin_loss(ctx, input, target, size_average=None, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    if x.shape is not None and t.shape is not None:
        # The CPU kernel writes into a buffer of the input's shape: the target may not grow it.
        fits_into(ctx, x.shape, t.shape, f"soft_margin_loss input {fmt(x.shape)} and target {fmt(t.shape)}",
                  lambda: f"soft_margin_loss: target {fmt(t.shape)} broadcasts beyond the input size {fmt(x.shape)}")
    return reduced(x.dtype, x.shape, r)


@op("torch.nn.functional.hinge_embedding_loss")
def hinge_embedding_loss(ctx, input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    return pointwise(ctx, "hinge_embedding_loss", x, t, reduction_of(ctx, reduction, size_average, reduce),
                     warn_broadcast=False)


@op("torch.nn.functional.gaussian_nll_loss")
def gaussian_nll_loss(ctx, input, target, var, full=False, eps=1e-6, reduction="mean"):
    x, t = _pair(input, target)
    v = maybe_tensor(var)
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, reduction_of(ctx, reduction))
    if v is None:
        if as_float(var) is None:
            raise NotUnderstood("var is neither a tensor nor a number")
        v = TensorV(x.shape, x.dtype)
    if v.shape is None:
        return reduced(x.dtype, None, reduction_of(ctx, reduction))
    vs = v.shape
    if same_shape(vs, x.shape) is not True:
        bad = lambda: (f"gaussian_nll_loss: var {fmt(vs)} fits neither the input {fmt(x.shape)} nor its shape without"
                       " the last dim, nor the input with one dim of size 1 (var is of incorrect size)")
        if same_shape(x.shape[:-1], vs) is True:
            vs = tuple(vs) + (Dim.const(1),)
        elif len(vs) == len(x.shape):
            # Exactly one mismatching dim, and it must be var's 1.
            diff = [(a, b) for a, b in zip(x.shape, vs) if eq(a, b) is not True]
            if any(eq(a, b) is None for a, b in diff):
                raise NotUnderstood("var's size depends on unknown dims")
            if sum(b.value for _, b in diff) != 1:
                ctx.fail(codes.LOSS_TARGET, bad())
        elif same_shape(x.shape[:-1], vs) is None:
            raise NotUnderstood("var's size depends on unknown dims")
        else:
            ctx.fail(codes.LOSS_TARGET, bad())
    r = reduction_of(ctx, reduction)
    diff = broadcast_shapes(ctx, x.shape, t.shape, f"gaussian_nll_loss input {fmt(x.shape)} and target {fmt(t.shape)}")
    shape = broadcast_shapes(ctx, vs, diff, f"gaussian_nll_loss var {fmt(vs)} and (input - target) {fmt(diff)}")
    return reduced(x.dtype, shape, r)


# ---------------------------------------------------------------------------------------------
# Binary cross entropy: target exactly the input's size
# ---------------------------------------------------------------------------------------------


def _same_size(ctx, name: str, x: TensorV, t: TensorV) -> None:
    name = who(ctx, name)
    if x.shape is None or t.shape is None:
        return
    msg = lambda: f"{name}: target size {fmt(t.shape)} must be the same as the input size {fmt(x.shape)}"
    if len(x.shape) != len(t.shape):
        ctx.fail(codes.LOSS_TARGET, msg())
    for a, b in zip(t.shape, x.shape):
        ctx.require_eq(a, b, codes.LOSS_TARGET, msg)


@op("torch.nn.functional.binary_cross_entropy")
def binary_cross_entropy(ctx, input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    _same_size(ctx, "binary_cross_entropy", x, t)
    w = maybe_tensor(weight)
    if w is not None and w.shape is not None and x.shape is not None:
        fits_into(ctx, x.shape, w.shape, f"weight {fmt(w.shape)} and input {fmt(x.shape)}",
                  lambda: f"binary_cross_entropy: weight {fmt(w.shape)} does not broadcast to the input size {fmt(x.shape)}")
    return reduced(x.dtype, x.shape, r)


@op("torch.nn.functional.binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(ctx, input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    _same_size(ctx, "binary_cross_entropy_with_logits", x, t)
    for what, v in (("weight", weight), ("pos_weight", pos_weight)):
        w = maybe_tensor(v)
        if w is not None and w.shape is not None and x.shape is not None:
            fits_into(ctx, x.shape, w.shape, f"{what} {fmt(w.shape)} and input {fmt(x.shape)}",
                      lambda w=w, what=what: f"binary_cross_entropy_with_logits: {what} {fmt(w.shape)} does not broadcast"
                                             f" to the input size {fmt(x.shape)}")
    return reduced(x.dtype, x.shape, r)


# ---------------------------------------------------------------------------------------------
# Classification: nll_loss and cross_entropy
# ---------------------------------------------------------------------------------------------


def _check_weight(ctx, weight: Value | None, C: Dim, one_d: bool, name: str) -> None:
    w = maybe_tensor(weight)
    if w is None or w.shape is None:
        return
    msg = lambda: (f"{name}: weight tensor should be defined either for all {C} classes or no classes but got weight"
                   f" tensor of shape: {fmt(w.shape)}")
    if one_d:
        if len(w.shape) != 1:
            ctx.fail(codes.LOSS_TARGET, msg())
        ctx.require_eq(w.shape[0], C, codes.LOSS_TARGET, msg)
    else:
        ctx.require_eq(numel(w.shape), C, codes.LOSS_TARGET, msg)


def _index_target_dtype(ctx, t: TensorV, rank: int, name: str) -> None:
    ok = ("int64",) if rank > 2 else ("int64", "uint8")
    if t.dtype is not None and t.dtype not in ok:
        ctx.fail(codes.DTYPE, f"{name}: class-index target {ctx.arg_text(1)} must have dtype Long (int64)"
                              f"{' or Byte' if rank <= 2 else ''}, but it has dtype {t.dtype}")


def nll_nd(ctx, x: TensorV, t: TensorV, weight: Value | None, reduction: str, name: str,
           smoothing: bool = False) -> TensorV:
    """torch's nll_loss_nd: (C,) / (N, C) / (N, C, d1, ...) scores against class indices."""
    name = who(ctx, name)
    xs, ts = x.shape, t.shape
    assert xs is not None and ts is not None
    r = len(xs)
    if r < 1:
        ctx.fail(codes.RANK, f"{name}: Expected 1 or more dimensions (got 0) for input {ctx.arg_text(0)}")
    if r != 1:
        if len(ts) == 0:
            ctx.fail(codes.LOSS_TARGET, f"{name}: input {fmt(xs)} has a batch of {xs[0]} but the target is a 0-d tensor")
        ctx.require_eq(xs[0], ts[0], codes.LOSS_TARGET,
                       lambda: f"{name}: Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0]}):"
                               f" {ctx.arg_text(0)} has shape {fmt(xs)}, {ctx.arg_text(1)} has shape {fmt(ts)}")
    C = xs[1] if r >= 2 else xs[0]
    if r <= 2:
        if len(ts) > 1:
            ctx.fail(codes.LOSS_TARGET, f"{name}: 0D or 1D target tensor expected, multi-target not supported"
                                        f" (input {fmt(xs)}, target {fmt(ts)})")
        if r == 1 and len(ts) == 1:
            # Unbatched scores take one index; torch's CPU kernel also accepts a target of size 1.
            ctx.require_eq(ts[0], Dim.const(1), codes.LOSS_TARGET,
                           lambda: f"{name}: For 1D input, 1D target must have size 1, but got target size: {ts[0]}")
        _index_target_dtype(ctx, t, r, name)
        _check_weight(ctx, weight, C, True, name)
        out: Shape = (xs[0],) if r == 2 else ()
    else:
        want = (xs[0],) + tuple(xs[2:])
        if r == 4 and len(ts) != 3:
            ctx.fail(codes.LOSS_TARGET, f"{name}: only batches of spatial targets supported (3D tensors) but got targets"
                                        f" of dimension: {len(ts)} (input {fmt(xs)}, target {fmt(ts)})")
        msg = lambda: f"{name}: Expected target size {fmt(want)}, got {fmt(ts)} for input {fmt(xs)}"
        if len(ts) != len(want):
            ctx.fail(codes.LOSS_TARGET, msg())
        for a, b in zip(ts[1:], want[1:]):
            ctx.require_eq(a, b, codes.LOSS_TARGET, msg)
        _index_target_dtype(ctx, t, r, name)
        # Label smoothing's mean gathers from the weight by class index: only a 1-D weight fits.
        _check_weight(ctx, weight, C, smoothing, name)
        out = want
    return reduced(x.dtype, out, reduction)


@op("torch.nn.functional.nll_loss")
def nll_loss(ctx, input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, r)
    return nll_nd(ctx, x, t, weight, r, "nll_loss")


@op("torch.nn.functional.cross_entropy")
def cross_entropy(ctx, input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    ls = as_float(label_smoothing)
    if ls is not None and not 0.0 <= ls <= 1.0:
        ctx.fail(codes.INVALID_ARG, f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, r)
    xs, ts = x.shape, t.shape
    if len(xs) == 0:
        ctx.fail(codes.RANK, f"cross_entropy: input {ctx.arg_text(0)} is a 0-d tensor; it needs a class dimension")
    same = same_shape(xs, ts)
    if same is None:
        raise NotUnderstood("cannot tell whether the target holds class indices or class probabilities")
    if same:
        # Class probabilities: one distribution per position, same shape as the scores.
        if t.is_float is False:
            ctx.fail(codes.DTYPE, f"{who(ctx, 'cross_entropy')}: Expected floating point type for target with class probabilities,"
                                  f" got {t.dtype} ({ctx.arg_text(1)} has the input's shape {fmt(xs)}, so it is read"
                                  " as probabilities)")
        ii = as_int(ignore_index)
        if ii is not None and ii >= 0:
            ctx.fail(codes.INVALID_ARG, "ignore_index is not supported for floating point target")
        C = xs[1] if len(xs) >= 2 else xs[0]
        _check_weight(ctx, weight, C, True, who(ctx, "cross_entropy"))
        out = tuple(xs[:1]) + tuple(xs[2:]) if len(xs) >= 2 else ()
        return reduced(x.dtype, out, r)
    return nll_nd(ctx, x, t, weight, r, "cross_entropy", smoothing=(ls is None or ls > 0) and r == "mean")


# ---------------------------------------------------------------------------------------------
# Pairs and triplets
# ---------------------------------------------------------------------------------------------


@op("torch.nn.functional.cosine_embedding_loss")
def cosine_embedding_loss(ctx, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    a, b, t = tensor(input1), tensor(input2, "input2"), tensor(target, "target")
    r = reduction_of(ctx, reduction, size_average, reduce)
    if a.shape is None or b.shape is None or t.shape is None:
        return reduced(a.dtype, None, r)
    if len(t.shape) > 1:
        ctx.fail(codes.LOSS_TARGET, f"cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not"
                                    f" supported (target {fmt(t.shape)})")
    want = 2 if len(t.shape) == 1 else 1
    if len(a.shape) != want or len(b.shape) != want:
        ctx.fail(codes.LOSS_TARGET, f"cosine_embedding_loss: {len(t.shape)}D target tensor expects {want}D input tensors,"
                                    f" but found inputs with sizes {fmt(a.shape)} and {fmt(b.shape)}")
    broadcast_shapes(ctx, a.shape, b.shape, f"input1 {fmt(a.shape)} and input2 {fmt(b.shape)}")
    cos = broadcast_shapes(ctx, a.shape[:-1], b.shape[:-1])
    out = broadcast_shapes(ctx, cos, t.shape, f"cosine similarities {fmt(cos)} and target {fmt(t.shape)}")
    return reduced(a.dtype, out, r)


@op("torch.nn.functional.margin_ranking_loss")
def margin_ranking_loss(ctx, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    a, b, t = tensor(input1), tensor(input2, "input2"), tensor(target, "target")
    r = reduction_of(ctx, reduction, size_average, reduce)
    if a.shape is None or b.shape is None or t.shape is None:
        return reduced(a.dtype, None, r)
    if not len(a.shape) == len(b.shape) == len(t.shape):
        ctx.fail(codes.LOSS_TARGET, f"margin_ranking_loss: All input tensors should have same dimension but got sizes:"
                                    f" input1: {fmt(a.shape)}, input2: {fmt(b.shape)}, target: {fmt(t.shape)}")
    ab = broadcast_shapes(ctx, a.shape, b.shape, f"input1 {fmt(a.shape)} and input2 {fmt(b.shape)}")
    out = broadcast_shapes(ctx, ab, t.shape, f"inputs {fmt(ab)} and target {fmt(t.shape)}")
    return reduced(a.dtype, out, r)


def _pairwise(ctx, x: Shape, y: Shape, what: str) -> Shape:
    s = broadcast_shapes(ctx, x, y, what)
    return tuple(s[:-1]) if s else ()


@op("torch.nn.functional.triplet_margin_loss")
def triplet_margin_loss(ctx, anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    a, pos, neg = tensor(anchor), tensor(positive, "positive"), tensor(negative, "negative")
    r = reduction_of(ctx, reduction, size_average, reduce)
    mg = as_float(margin)
    if mg is not None and mg <= 0:
        ctx.fail(codes.INVALID_ARG, f"margin must be greater than 0, got {mg}")
    if a.shape is None or pos.shape is None or neg.shape is None:
        return reduced(a.dtype, None, r)
    if not len(a.shape) == len(pos.shape) == len(neg.shape):
        ctx.fail(codes.LOSS_TARGET, f"triplet_margin_loss: The anchor, positive, and negative tensors are expected to have"
                                    f" the same number of dimensions, but got: anchor {len(a.shape)}D, positive"
                                    f" {len(pos.shape)}D, and negative {len(neg.shape)}D inputs")
    if len(a.shape) == 0:
        ctx.fail(codes.RANK, "triplet_margin_loss: the inputs are 0-d tensors; they need a feature dimension")
    dp = _pairwise(ctx, a.shape, pos.shape, f"anchor {fmt(a.shape)} and positive {fmt(pos.shape)}")
    dn = _pairwise(ctx, a.shape, neg.shape, f"anchor {fmt(a.shape)} and negative {fmt(neg.shape)}")
    if const_value(swap, False):
        ds = _pairwise(ctx, pos.shape, neg.shape, f"positive {fmt(pos.shape)} and negative {fmt(neg.shape)}")
        dn = broadcast_shapes(ctx, dn, ds)
    out = broadcast_shapes(ctx, dp, dn)
    return reduced(a.dtype, out, r)


@op("torch.nn.functional.triplet_margin_with_distance_loss")
def triplet_margin_with_distance_loss(ctx, anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if distance_function is not None:
        raise NotUnderstood("a custom distance_function is not modelled")
    return triplet_margin_loss(ctx, anchor, positive, negative, margin=margin, swap=swap, reduction=reduction)


# ---------------------------------------------------------------------------------------------
# Multi-class / multi-label margins
# ---------------------------------------------------------------------------------------------


def _margin_input(ctx, x: TensorV, name: str) -> None:
    if len(x.shape) > 2:
        ctx.fail(codes.RANK, f"{name}: Expected non-empty vector or matrix with optional 0-dim batch size, but got"
                             f" {fmt(x.shape)}")


@op("torch.nn.functional.multi_margin_loss")
def multi_margin_loss(ctx, input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    pv = as_int(p)
    if pv is not None and pv not in (1, 2):
        ctx.fail(codes.INVALID_ARG, f"multi_margin_loss: only p == 1 and p == 2 supported, got p={pv}")
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, r)
    _margin_input(ctx, x, "multi_margin_loss")
    N = x.shape[0] if len(x.shape) == 2 else Dim.const(1)
    C = x.shape[-1] if x.shape else Dim.const(1)
    msg = lambda: (f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples"
                   f" (batch size). Expected target of size {N}, got {fmt(t.shape)} for input {fmt(x.shape)}")
    if len(t.shape) > 1:
        ctx.fail(codes.LOSS_TARGET, msg())
    ctx.require_eq(numel(t.shape), N, codes.LOSS_TARGET, msg)
    _index_target_dtype(ctx, t, 3, "multi_margin_loss")
    w = maybe_tensor(weight)
    if w is not None and w.shape is not None:
        if len(w.shape) != 1:
            ctx.fail(codes.LOSS_TARGET, f"multi_margin_loss: weight must be one-dimensional, got {fmt(w.shape)}")
        ctx.require_eq(w.shape[0], C, codes.LOSS_TARGET, lambda: (
            f"multi_margin_loss: inconsistent weight size, expected {C} but got {fmt(w.shape)}"))
    # One loss per sample, shaped like the target (torch's CPU kernel; meta differs for 0-d targets).
    return reduced(x.dtype, tuple(t.shape), r)


@op("torch.nn.functional.multilabel_margin_loss")
def multilabel_margin_loss(ctx, input, target, size_average=None, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, r)
    _margin_input(ctx, x, "multilabel_margin_loss")
    if same_shape(x.shape, t.shape) is False:
        ctx.fail(codes.LOSS_TARGET, f"multilabel_margin_loss: inconsistent target size: {fmt(t.shape)} for input of"
                                    f" size: {fmt(x.shape)}")
    _index_target_dtype(ctx, t, 3, "multilabel_margin_loss")
    return reduced(x.dtype, (x.shape[0],) if len(x.shape) == 2 else (), r)


@op("torch.nn.functional.multilabel_soft_margin_loss")
def multilabel_soft_margin_loss(ctx, input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    x, t = _pair(input, target)
    r = reduction_of(ctx, reduction, size_average, reduce)
    if x.shape is None or t.shape is None:
        return reduced(x.dtype, None, r)
    if not x.shape:
        ctx.fail(codes.RANK, "multilabel_soft_margin_loss: input is a 0-d tensor; it needs a class dimension")
    shape = broadcast_shapes(ctx, x.shape, t.shape, f"multilabel_soft_margin_loss input {fmt(x.shape)} and target"
                                                    f" {fmt(t.shape)}")
    w = maybe_tensor(weight)
    if w is not None and w.shape is not None:
        shape = broadcast_shapes(ctx, shape, w.shape, f"multilabel_soft_margin_loss loss {fmt(shape)} and weight"
                                                      f" {fmt(w.shape)}")
    k = len(x.shape) - 1  # torch sums over the input's last dim index of the broadcast loss
    return reduced(x.dtype, tuple(shape[:k]) + tuple(shape[k + 1:]), r)


# ---------------------------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------------------------


@op("torch.nn.functional.ctc_loss")
def ctc_loss(ctx, log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    lp, tg = tensor(log_probs, "log_probs"), tensor(targets, "targets")
    r = reduction_of(ctx, reduction)
    if lp.shape is None or tg.shape is None:
        return reduced(lp.dtype, None, r)
    if len(lp.shape) not in (2, 3):
        ctx.fail(codes.RANK, f"ctc_loss: log_probs {ctx.arg_text(0)} must be (T, N, C) or unbatched (T, C), got shape"
                             f" {fmt(lp.shape)}")
    batched = len(lp.shape) == 3
    N = lp.shape[1] if batched else Dim.const(1)
    C = lp.shape[-1]
    b = as_int(blank)
    if b is not None and C.value is not None and not 0 <= b < C.value:
        ctx.fail(codes.INVALID_ARG, f"ctc_loss: blank must be in label range: blank {b} with {C} classes")
    if batched:
        if len(tg.shape) not in (1, 2):
            ctx.fail(codes.LOSS_TARGET, f"ctc_loss: targets must be (N, S) or the concatenated 1-D targets, got shape"
                                        f" {fmt(tg.shape)}")
        if len(tg.shape) == 2:
            ctx.require_eq(tg.shape[0], N, codes.LOSS_TARGET,
                           lambda: f"ctc_loss: targets {fmt(tg.shape)} must have the batch size {N} of log_probs"
                                   f" {fmt(lp.shape)} in dimension 0")
    for what, v in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        lt_ = maybe_tensor(v)
        if lt_ is not None and lt_.shape is not None:
            # torch reads the lengths as a flat list: only the count matters.
            n = numel(lt_.shape)
            ctx.require_eq(n, N, codes.LOSS_TARGET,
                           lambda n=n, what=what: f"ctc_loss: {what} holds {n} lengths but log_probs {fmt(lp.shape)}"
                                                  f" has {N} sequence{'s' if N.value != 1 else ''}")
    return reduced(lp.dtype, (N,) if batched else (), r)


# ---------------------------------------------------------------------------------------------
# Layer forms: each stores its options and runs the functional rule
# ---------------------------------------------------------------------------------------------


class _Loss(Layer):
    fn = None  # the functional rule
    options: tuple[str, ...] = ()  # constructor arguments passed to it

    def run(self, ctx, m, *inputs):
        kw = {k: m.args.get(k) for k in self.options if k in m.args}
        return type(self).fn(ctx, *inputs, **kw)


def _loss(name: str, fn, build, forward_arity: int = 2, options: tuple[str, ...] | None = None):
    opts = options if options is not None else tuple(
        p for p in build.__code__.co_varnames[2:build.__code__.co_argcount] if p not in ("device", "dtype"))

    if forward_arity == 2:
        def forward(self, ctx, m, input, target):
            return self.run(ctx, m, input, target)
    elif forward_arity == 3 and name == "TripletMarginLoss":
        def forward(self, ctx, m, anchor, positive, negative):
            return self.run(ctx, m, anchor, positive, negative)
    elif forward_arity == 3:
        def forward(self, ctx, m, input1, input2, target):
            return self.run(ctx, m, input1, input2, target)
    else:
        def forward(self, ctx, m, log_probs, targets, input_lengths, target_lengths):
            return self.run(ctx, m, log_probs, targets, input_lengths, target_lengths)

    cls = type(name, (_Loss,), {"fn": staticmethod(fn), "options": opts, "build": build, "forward": forward,
                                "__module__": __name__})
    layer(f"torch.nn.{name}")(cls)
    return cls


def _b_ce(self, ctx, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
          label_smoothing=0.0):
    ls = as_float(label_smoothing)
    if ls is not None and not 0.0 <= ls <= 1.0:
        ctx.fail(codes.INVALID_ARG, f"label_smoothing must be between 0.0 and 1.0. Got: {ls}")


def _b_nll(self, ctx, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    return None


def _b_plain(self, ctx, size_average=None, reduce=None, reduction="mean"):
    return None


def _b_bce(self, ctx, weight=None, size_average=None, reduce=None, reduction="mean"):
    return None


def _b_bcel(self, ctx, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
    return None


def _b_smooth(self, ctx, size_average=None, reduce=None, reduction="mean", beta=1.0):
    return None


def _b_huber(self, ctx, reduction="mean", delta=1.0):
    return None


def _b_kl(self, ctx, size_average=None, reduce=None, reduction="mean", log_target=False):
    return None


def _b_poisson(self, ctx, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
    return None


def _b_margin(self, ctx, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    return None


def _b_hinge(self, ctx, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    return None


def _b_triplet(self, ctx, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
    return None


def _b_ctc(self, ctx, blank=0, reduction="mean", zero_infinity=False):
    return None


def _b_multi_margin(self, ctx, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    return None


_loss("CrossEntropyLoss", cross_entropy, _b_ce)
_loss("NLLLoss", nll_loss, _b_nll)
_loss("NLLLoss2d", nll_loss, _b_nll)  # deprecated alias of NLLLoss
_loss("MSELoss", mse_loss, _b_plain)
_loss("L1Loss", l1_loss, _b_plain)
_loss("SmoothL1Loss", smooth_l1_loss, _b_smooth)
_loss("HuberLoss", huber_loss, _b_huber)
_loss("BCELoss", binary_cross_entropy, _b_bce)
_loss("BCEWithLogitsLoss", binary_cross_entropy_with_logits, _b_bcel)
_loss("KLDivLoss", kl_div, _b_kl)
_loss("PoissonNLLLoss", poisson_nll_loss, _b_poisson)
_loss("SoftMarginLoss", soft_margin_loss, _b_plain)
_loss("HingeEmbeddingLoss", hinge_embedding_loss, _b_hinge)
_loss("CosineEmbeddingLoss", cosine_embedding_loss, _b_margin, 3)
_loss("MarginRankingLoss", margin_ranking_loss, _b_margin, 3)
_loss("TripletMarginLoss", triplet_margin_loss, _b_triplet, 3)
_loss("CTCLoss", ctc_loss, _b_ctc, 4)
_loss("MultiMarginLoss", multi_margin_loss, _b_multi_margin)
_loss("MultiLabelMarginLoss", multilabel_margin_loss, _b_plain)
_loss("MultiLabelSoftMarginLoss", multilabel_soft_margin_loss, _b_bce)


@layer("torch.nn.GaussianNLLLoss")
class GaussianNLLLoss(Layer):
    def build(self, ctx, *, full=False, eps=1e-6, reduction="mean"):
        return None

    def forward(self, ctx, m, input, target, var):
        return gaussian_nll_loss(ctx, input, target, var, m.args.get("full"), m.args.get("eps"), m.args.get("reduction"))


@layer("torch.nn.TripletMarginWithDistanceLoss")
class TripletMarginWithDistanceLoss(Layer):
    def build(self, ctx, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        return None

    def forward(self, ctx, m, anchor, positive, negative):
        return triplet_margin_with_distance_loss(ctx, anchor, positive, negative,
                                                 distance_function=m.args.get("distance_function"),
                                                 margin=m.args.get("margin"), swap=m.args.get("swap"),
                                                 reduction=m.args.get("reduction"))
