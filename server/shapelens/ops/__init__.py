"""Shape rules, one module per op family, registered by qualified torch name.

Importing this package registers every family; `REGISTRY` answers by name.
"""

from shapelens.ops.registry import REGISTRY, Layer, NotUnderstood, OpContext, ShapeError, layer, op

# Families register themselves on import. Keep this list sorted.
from shapelens.ops import (  # noqa: E402,F401
    activation,
    attention,
    containers,
    conv,
    conv_transpose,
    creation,
    einops_ops,
    einsum,
    elementwise,
    embedding,
    gather,
    indexing,
    joining,
    linear,
    loss,
    matmul,
    misc_vision,
    norm,
    padding,
    pooling,
    recurrent,
    reduction,
    reshape,
    sorting,
    splitting,
    transformer,
    upsample,
    vision,
)

__all__ = ["REGISTRY", "Layer", "NotUnderstood", "OpContext", "ShapeError", "layer", "op"]
