"""Embedding: integer indices in, one vector per index out."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import lt
from shapelens.ops.common import arg_dim, arg_int, fmt, tensor
from shapelens.ops.registry import Layer, layer, op
from shapelens.values import ModuleV, TensorV, as_dim, as_int


def embed(ctx, x: TensorV, dim, label: str) -> TensorV:
    if x.is_float:
        ctx.fail(codes.DTYPE,
                 f"{label} needs integer indices (Long or Int) but {ctx.arg_text(0)} has dtype {x.dtype}")
    if x.shape is None:
        return TensorV(None, "float32")
    d = dim if dim is not None else ctx.unknown_dim("embedding_dim")
    return TensorV(tuple(x.shape) + (d,), "float32")


@layer("torch.nn.Embedding")
class Embedding(Layer):
    def build(self, ctx, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        n, p = as_int(num_embeddings), as_int(padding_idx)
        if n is not None and p is not None and not -n <= p < n:
            ctx.fail(codes.INVALID_ARG, f"Padding_idx must be within num_embeddings (padding_idx={p}, num_embeddings={n})")
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
    if w.shape is None or len(w.shape) != 2:
        return TensorV(None, "float32")
    return embed(ctx, x, w.shape[1], "embedding")
