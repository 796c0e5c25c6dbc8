"""Normalization layers: BatchNorm1d/2d/3d and LayerNorm (channel / trailing-dim checks)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim
from shapelens.ops.common import arg_const, arg_dim, arg_value, fmt, same, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, as_dim, as_dims


class _BatchNorm(Layer):
    ranks: tuple[int, ...] = (4,)

    def build(self, ctx, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is None:
            return same(x)
        r = len(x.shape)
        if r not in self.ranks:
            want = " or ".join(f"{k}D" for k in self.ranks)
            ctx.fail(codes.RANK, f"{m.label()} expected {want} input (got {r}D input of shape {fmt(x.shape)})")
        n = arg_dim(m, "num_features")
        c = x.shape[1]
        if n is not None:
            ctx.require_eq(c, n, codes.NORM_FEATURES, lambda: (
                f"{m.label()} was built for {n} features but {ctx.arg_text(0)} has {c} channels: shape {fmt(x.shape)}"
                f" (running_mean should contain {c} elements not {n})"))
        return same(x)

    def params(self, m: ModuleV):
        n = arg_dim(m, "num_features")
        if n is None:
            return None
        return {"weight": (n,), "bias": (n,)} if arg_const(m, "affine", True) else {}

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}({arg_dim(m, 'num_features')})"

    def input_template(self, m: ModuleV):
        n = arg_dim(m, "num_features")
        c = n if n is not None else "C"
        return {2: ["B", c], 3: ["B", c, "L"], 4: ["B", c, "H", "W"], 5: ["B", c, "D", "H", "W"]}[self.ranks[-1]]


@layer("torch.nn.BatchNorm1d")
class BatchNorm1d(_BatchNorm):
    ranks = (2, 3)


@layer("torch.nn.BatchNorm2d")
class BatchNorm2d(_BatchNorm):
    ranks = (4,)


@layer("torch.nn.BatchNorm3d")
class BatchNorm3d(_BatchNorm):
    ranks = (5,)


def normalized_shape_dims(v) -> list[Dim] | None:
    d = as_dim(v)
    if d is not None:
        return [d]
    ds = as_dims(v)
    if ds is None or any(x is None for x in ds):
        return None
    return ds  # type: ignore[return-value]


def layer_norm_check(ctx, x: TensorV, norm: list[Dim], label: str) -> TensorV:
    if x.shape is None:
        return same(x)
    k = len(norm)
    tail = x.shape[-k:] if k else ()
    msg = lambda: (f"{label}: given normalized_shape={fmt(tuple(norm))}, expected input with shape (*, "
                   f"{', '.join(str(d) for d in norm)}), but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if len(x.shape) < k:
        ctx.fail(codes.NORM_FEATURES, msg())
    for a, b in zip(tail, norm):
        ctx.require_eq(a, b, codes.NORM_FEATURES, msg)
    return same(x)


@layer("torch.nn.LayerNorm")
class LayerNorm(Layer):
    def build(self, ctx, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        if norm is None:
            raise NotUnderstood("normalized_shape is not known")
        return layer_norm_check(ctx, x, norm, m.label())

    def params(self, m: ModuleV):
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        if norm is None:
            return None
        if not arg_const(m, "elementwise_affine", True):
            return {}
        out = {"weight": tuple(norm)}
        if arg_const(m, "bias", True):
            out["bias"] = tuple(norm)
        return out

    def describe(self, m: ModuleV) -> str:
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        return f"LayerNorm({fmt(tuple(norm)) if norm else '?'})"

    def input_template(self, m: ModuleV):
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        if norm is None:
            return None
        return ["B", "T"][: max(0, 3 - len(norm))] + list(norm) if len(norm) == 1 else ["B"] + list(norm)


@op("torch.nn.functional.layer_norm", "torch.layer_norm")
def f_layer_norm(ctx, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    norm = normalized_shape_dims(normalized_shape)
    if norm is None:
        raise NotUnderstood("normalized_shape is not known")
    return layer_norm_check(ctx, tensor(input), norm, "layer_norm")


@op("torch.nn.functional.batch_norm", "torch.batch_norm")
def f_batch_norm(ctx, input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    x = tensor(input)
    rm = running_mean if isinstance(running_mean, TensorV) else None
    if x.shape is not None and len(x.shape) >= 2 and rm is not None and rm.shape is not None and len(rm.shape) == 1:
        c, n = x.shape[1], rm.shape[0]
        ctx.require_eq(c, n, codes.NORM_FEATURES, lambda: f"running_mean should contain {c} elements not {n}")
    return same(x)
