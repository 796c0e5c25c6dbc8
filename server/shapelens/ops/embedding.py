"""Embeddings: integer indices in, one vector per index out (Embedding, F.embedding), one
vector per bag (EmbeddingBag, F.embedding_bag), and F.one_hot."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops import common
from shapelens.ops.common import arg_const, arg_dim, const_value, fmt, maybe_tensor, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import NONE, ModuleV, TensorV, Value, as_int

INDEX_DTYPES = ("int64", "int32")


def index_dtype(ctx, x: TensorV, label: str, what: str = "indices") -> None:
    if x.dtype is not None and x.dtype not in INDEX_DTYPES:
        ctx.fail(codes.DTYPE, f"{label} needs integer {what} (Long or Int) but {ctx.arg_text(0)} has dtype {x.dtype}")


def embed(ctx, x: TensorV, dim, label: str) -> TensorV:
    index_dtype(ctx, x, label)
    if x.shape is None:
        return TensorV(None, "float32")
    d = dim if dim is not None else ctx.unknown_dim("embedding_dim")
    return TensorV(tuple(x.shape) + (d,), "float32")


def check_table(ctx, num_embeddings: Value | None, embedding_dim: Value | None, padding_idx: Value | None) -> None:
    n, d, p = as_int(num_embeddings), as_int(embedding_dim), as_int(padding_idx)
    for what, v in (("num_embeddings", n), ("embedding_dim", d)):
        if v is not None and v < 0:
            ctx.fail(codes.INVALID_ARG, f"{what} must not be negative, got {v} (torch cannot create the weight)")
    if n is not None and p is not None and not -n <= p < n:
        ctx.fail(codes.INVALID_ARG, f"Padding_idx must be within num_embeddings (padding_idx={p}, num_embeddings={n})")


@layer("torch.nn.Embedding")
class Embedding(Layer):
    def build(self, ctx, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        check_table(ctx, num_embeddings, embedding_dim, padding_idx)
        return None

    def forward(self, ctx, m: ModuleV, input):
        return embed(ctx, tensor(input), arg_dim(m, "embedding_dim"), m.label())

    def params(self, m: ModuleV):
        n, d = arg_dim(m, "num_embeddings"), arg_dim(m, "embedding_dim")
        return None if n is None or d is None else {"weight": (n, d)}

    def describe(self, m: ModuleV) -> str:
        return f"Embedding({arg_dim(m, 'num_embeddings')}, {arg_dim(m, 'embedding_dim')})"

    def input_template(self, m: ModuleV):
        return ["B", "T"]

    input_dtype = "int64"


@op("torch.nn.functional.embedding")
def f_embedding(ctx, input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    x, w = tensor(input), tensor(weight, "weight")
    if w.shape is None:
        index_dtype(ctx, x, "embedding")
        return TensorV(None, w.dtype)
    if len(w.shape) != 2:
        ctx.fail(codes.RANK, f"embedding: 'weight' must be 2-D, got {len(w.shape)}-D: shape {fmt(w.shape)}")
    n, p = w.shape[0], as_int(padding_idx)
    if n.value is not None and p is not None and not -n.value <= p < n.value:
        ctx.fail(codes.INVALID_ARG, f"Padding_idx must be within num_embeddings (padding_idx={p}, num_embeddings={n})")
    out = embed(ctx, x, w.shape[1], "embedding")
    return TensorV(out.shape, w.dtype)


def bag(ctx, x: TensorV, offsets: Value | None, psw: Value | None, dim: Dim | None, mode, include_last: bool,
        label: str, dtype: str | None = "float32") -> TensorV:
    mode_s = const_value(mode, "mean") if mode is not None else "mean"
    if isinstance(mode_s, str) and mode_s not in ("sum", "mean", "max"):
        ctx.fail(codes.INVALID_ARG, f"{label}: mode has to be one of sum, mean or max, got {mode_s!r}")
    if x.is_float:
        index_dtype(ctx, x, label)
    off = maybe_tensor(offsets)
    w = maybe_tensor(psw)
    if w is not None and isinstance(mode_s, str) and mode_s != "sum":
        ctx.fail(codes.INVALID_ARG, f"{label}: per_sample_weights is only supported for mode='sum' (got mode={mode_s!r})")
    if x.shape is None:
        return TensorV(None, dtype)
    r = len(x.shape)
    if r not in (1, 2):
        ctx.fail(codes.RANK, f"{label}: input has to be 1D or 2D Tensor, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    has_off = off is not None or (offsets is not None and offsets is not NONE)
    if not (r == 1 and has_off):
        # With offsets, 1-D indices of any integer dtype are converted on CPU; 2-D ones must be Long/Int.
        index_dtype(ctx, x, label)
    if r == 2:
        if has_off:
            ctx.fail(codes.ARGUMENTS, f"{label}: if input is 2D, then offsets has to be None, as input is treated is a"
                                      f" mini-batch of fixed length sequences (input {fmt(x.shape)})")
        bags: Dim = x.shape[0]
    else:
        if not has_off:
            ctx.fail(codes.ARGUMENTS, f"{label}: a 1-D input {fmt(x.shape)} needs offsets (where each bag starts)")
        if off is None or off.shape is None:
            raise NotUnderstood("offsets is not a known tensor")
        if len(off.shape) != 1:
            ctx.fail(codes.RANK, f"{label}: offsets has to be a 1D Tensor, got shape {fmt(off.shape)}")
        if off.dtype is not None and off.dtype not in INDEX_DTYPES:
            ctx.fail(codes.DTYPE, f"{label}: offsets must be Long or Int, got dtype {off.dtype}")
        bags = off.shape[0] - 1 if include_last else off.shape[0]
    if w is not None and w.shape is not None:
        msg = lambda: (f"{label}: If per_sample_weights {fmt(w.shape)} is not None, then it must have the same shape as"
                       f" the input {fmt(x.shape)}")
        if len(w.shape) != r:
            ctx.fail(codes.ARGUMENTS, msg())
        for a, b in zip(w.shape, x.shape):
            ctx.require_eq(a, b, codes.ARGUMENTS, msg)
    return TensorV((bags, dim if dim is not None else ctx.unknown_dim("embedding_dim")), dtype)


@layer("torch.nn.EmbeddingBag")
class EmbeddingBag(Layer):
    def build(self, ctx, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
              dtype=None):
        check_table(ctx, num_embeddings, embedding_dim, padding_idx)
        return None

    def forward(self, ctx, m: ModuleV, input, offsets=None, per_sample_weights=None):
        return bag(ctx, tensor(input), offsets, per_sample_weights, arg_dim(m, "embedding_dim"), m.args.get("mode"),
                   bool(arg_const(m, "include_last_offset", False)), m.label())

    def params(self, m: ModuleV):
        n, d = arg_dim(m, "num_embeddings"), arg_dim(m, "embedding_dim")
        return None if n is None or d is None else {"weight": (n, d)}

    def describe(self, m: ModuleV) -> str:
        return f"EmbeddingBag({arg_dim(m, 'num_embeddings')}, {arg_dim(m, 'embedding_dim')}, {arg_const(m, 'mode', 'mean')})"

    def input_template(self, m: ModuleV):
        return ["B", "T"]

    input_dtype = "int64"


@op("torch.nn.functional.embedding_bag")
def f_embedding_bag(ctx, input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                    sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    x, w = tensor(input), tensor(weight, "weight")
    d = None
    if w.shape is not None:
        if len(w.shape) != 2:
            ctx.fail(codes.RANK, f"embedding_bag: weight has to be a 2D Tensor, got shape {fmt(w.shape)}")
        d = w.shape[1]
    return bag(ctx, x, offsets, per_sample_weights, d, mode, bool(const_value(include_last_offset, False)),
               "embedding_bag", w.dtype)


@op("torch.nn.functional.one_hot")
def one_hot(ctx, tensor, num_classes=-1):
    x = common.tensor(tensor)
    if x.dtype is not None and x.dtype != "int64":
        ctx.fail(codes.DTYPE, f"one_hot is only applicable to index tensor of type LongTensor, but {ctx.arg_text(0)} has"
                              f" dtype {x.dtype}")
    c = as_int(num_classes)
    if x.shape is None:
        return TensorV(None, "int64")
    if c is None or c == -1:
        # One more than the largest index: a value, not a shape.
        return TensorV(tuple(x.shape) + (ctx.unknown_dim("num_classes from the data"),), "int64")
    if c < -1:
        ctx.fail(codes.INVALID_ARG, f"one_hot: num_classes should be -1 or a non-negative number, got {c}")
    if c == 0 and any(eq(d, 0) is True for d in x.shape) is False and all(d.value is not None for d in x.shape):
        ctx.fail(codes.INVALID_ARG, f"one_hot: num_classes=0 leaves no class for the indices of {ctx.arg_text(0)}"
                                    " (Class values must be smaller than num_classes.)")
    return TensorV(tuple(x.shape) + (Dim.const(c),), "int64")
