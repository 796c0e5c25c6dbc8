"""Normalization: BatchNorm, InstanceNorm (and their lazy forms), GroupNorm, LayerNorm, RMSNorm,
LocalResponseNorm, and the functional forms (batch_norm, instance_norm, group_norm, layer_norm,
rms_norm, local_response_norm, normalize). All keep the input's shape; the rules check ranks,
feature counts and torch's "more than one value per channel" guards."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq, prod
from shapelens.ops.common import arg_const, arg_dim, arg_value, fmt, norm_dim, same, tensor
from shapelens.ops.conv import infer, param_dim, shown
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import ModuleV, TensorV, as_const, as_dim, as_dims


def training(m: ModuleV) -> bool:
    """Layers are built in training mode; `.eval()` is not tracked, so only an explicit state says otherwise."""
    return m.state.get("training", True) is not False


def verify_batch_size(ctx, sizes: list[Dim], label: str, shape) -> None:
    """F.batch_norm/group_norm's `_verify_batch_size`: size[0] * prod(size[2:]) must not be 1."""
    n = sizes[0] * prod(sizes[2:])
    if eq(n, 1) is True:
        ctx.fail(codes.NORM_FEATURES, f"{label}: expected more than 1 value per channel when training, but {ctx.arg_text(0)} has"
                                      f" shape {fmt(shape)}")


def verify_spatial_size(ctx, x: TensorV, label: str) -> None:
    if eq(prod(x.shape[2:]), 1) is True:
        ctx.fail(codes.NORM_FEATURES, f"{label}: expected more than 1 spatial element when training, but {ctx.arg_text(0)} has"
                                      f" shape {fmt(x.shape)}")


def check_vector(ctx, v, c: Dim, what: str, label: str, x: TensorV) -> None:
    """A per-channel tensor argument (weight, bias, running stats) must hold C elements."""
    t = v if isinstance(v, TensorV) else None
    if t is None or t.shape is None:
        return
    n = prod(t.shape)
    ctx.require_eq(n, c, codes.NORM_FEATURES, lambda: (
        f"{label}: {what} should contain {c} elements (the channels of {ctx.arg_text(0)} {fmt(x.shape)}), not {n}"
        f" (shape {fmt(t.shape)})"))


class _BatchNorm(Layer):
    ranks: tuple[int, ...] = (4,)
    lazy = False

    def build(self, ctx, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        return None

    def has_stats(self, m: ModuleV) -> bool:
        return bool(arg_const(m, "affine", True)) or bool(arg_const(m, "track_running_stats", True))

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is None:
            return same(x)
        r = len(x.shape)
        if self.lazy and "num_features" not in m.state.get("inferred", {}) and self.has_stats(m):
            if r < 2:
                ctx.fail(codes.RANK, f"{m.label()} needs an input with a channel dimension, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
            infer(m, "num_features", x.shape[1])
        if r not in self.ranks:
            want = " or ".join(f"{k}D" for k in self.ranks)
            ctx.fail(codes.RANK, f"{m.label()} expected {want} input (got {r}D input {ctx.arg_text(0)} of shape {fmt(x.shape)})")
        if training(m):
            verify_batch_size(ctx, list(x.shape), m.label(), x.shape)
        n = param_dim(m, "num_features")
        c = x.shape[1]
        if n is not None and self.has_stats(m):
            ctx.require_eq(c, n, codes.NORM_FEATURES, lambda: (
                f"{m.label()} was built for {n} features but {ctx.arg_text(0)} has {c} channels: shape {fmt(x.shape)}"
                f" (running_mean should contain {c} elements not {n})"))
        return same(x)

    def params(self, m: ModuleV):
        n = param_dim(m, "num_features")
        if not arg_const(m, "affine", True):
            return {}
        if n is None:
            return None
        return {"weight": (n,), "bias": (n,)}

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}({shown(param_dim(m, 'num_features'))})"

    def input_template(self, m: ModuleV):
        n = param_dim(m, "num_features")
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


class _LazyBatchNorm(_BatchNorm):
    lazy = True

    def build(self, ctx, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        return None


@layer("torch.nn.LazyBatchNorm1d")
class LazyBatchNorm1d(_LazyBatchNorm):
    ranks = (2, 3)


@layer("torch.nn.LazyBatchNorm2d")
class LazyBatchNorm2d(_LazyBatchNorm):
    ranks = (4,)


@layer("torch.nn.LazyBatchNorm3d")
class LazyBatchNorm3d(_LazyBatchNorm):
    ranks = (5,)


class _InstanceNorm(Layer):
    n = 2
    lazy = False

    def build(self, ctx, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input):
        x = tensor(input)
        if x.shape is None:
            return same(x)
        r, n = len(x.shape), self.n
        affine, track = bool(arg_const(m, "affine", False)), bool(arg_const(m, "track_running_stats", False))
        if self.lazy and "num_features" not in m.state.get("inferred", {}) and (affine or track):
            if r < 2:
                ctx.fail(codes.RANK, f"{m.label()} needs an input with a channel dimension, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
            infer(m, "num_features", x.shape[1])  # torch takes dim 1 even for an unbatched input
        if r not in (n + 1, n + 2):
            ctx.fail(codes.RANK, f"{m.label()} expected {n + 1}D or {n + 2}D input (got {r}D input {ctx.arg_text(0)} of shape {fmt(x.shape)})")
        c = x.shape[r - n - 1]
        nf = param_dim(m, "num_features")
        if nf is not None and (affine or track):
            ctx.require_eq(c, nf, codes.NORM_FEATURES, lambda: (
                f"{m.label()} was built for {nf} features but {ctx.arg_text(0)} has {c} channels: shape {fmt(x.shape)}"))
        if training(m) or not track:
            if eq(prod(x.shape[r - n:]), 1) is True:
                ctx.fail(codes.NORM_FEATURES, f"{m.label()}: expected more than 1 spatial element when training, but"
                                              f" {ctx.arg_text(0)} has shape {fmt(x.shape)}")
        return same(x)

    def params(self, m: ModuleV):
        if not arg_const(m, "affine", False):
            return {}
        nf = param_dim(m, "num_features")
        return None if nf is None else {"weight": (nf,), "bias": (nf,)}

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}({shown(param_dim(m, 'num_features'))})"


@layer("torch.nn.InstanceNorm1d")
class InstanceNorm1d(_InstanceNorm):
    n = 1


@layer("torch.nn.InstanceNorm2d")
class InstanceNorm2d(_InstanceNorm):
    n = 2


@layer("torch.nn.InstanceNorm3d")
class InstanceNorm3d(_InstanceNorm):
    n = 3


class _LazyInstanceNorm(_InstanceNorm):
    lazy = True

    # unlike InstanceNorm, the lazy forms default to affine=True, track_running_stats=True
    def build(self, ctx, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        return None


@layer("torch.nn.LazyInstanceNorm1d")
class LazyInstanceNorm1d(_LazyInstanceNorm):
    n = 1


@layer("torch.nn.LazyInstanceNorm2d")
class LazyInstanceNorm2d(_LazyInstanceNorm):
    n = 2


@layer("torch.nn.LazyInstanceNorm3d")
class LazyInstanceNorm3d(_LazyInstanceNorm):
    n = 3


def group_norm_check(ctx, x: TensorV, groups: Dim, channels: Dim | None, label: str) -> TensorV:
    if x.shape is None:
        return same(x)
    if len(x.shape) < 2:
        ctx.fail(codes.RANK, f"{label}: expected at least 2 dimensions for input tensor but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    n, c = x.shape[0], x.shape[1]
    if groups.value is not None and groups.value > 0:
        verify_batch_size(ctx, [(n * c) // groups, groups] + list(x.shape[2:]), label, x.shape)
    if (c % groups).value not in (0, None):
        ctx.fail(codes.NORM_FEATURES, f"{label}: expected the number of channels of {ctx.arg_text(0)} to be divisible by"
                                      f" num_groups={groups}, but it has shape {fmt(x.shape)}")
    if channels is not None:
        ctx.require_eq(c, channels, codes.NORM_FEATURES, lambda: (
            f"{label} was built for {channels} channels but {ctx.arg_text(0)} has {c}: shape {fmt(x.shape)}"))
    return same(x)


@layer("torch.nn.GroupNorm")
class GroupNorm(Layer):
    def build(self, ctx, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        g, c = as_dim(num_groups), as_dim(num_channels)
        if g is not None and g.value == 0:
            ctx.fail(codes.INVALID_ARG, "GroupNorm: num_groups must not be 0")
        if g is not None and c is not None and (c % g).value not in (0, None):
            ctx.fail(codes.INVALID_ARG, f"num_channels must be divisible by num_groups (num_channels={c}, num_groups={g})")
        return None

    def forward(self, ctx, m: ModuleV, input):
        g = arg_dim(m, "num_groups")
        if g is None:
            raise NotUnderstood("num_groups is not known")
        channels = arg_dim(m, "num_channels") if arg_const(m, "affine", True) else None
        return group_norm_check(ctx, tensor(input), g, channels, m.label())

    def params(self, m: ModuleV):
        if not arg_const(m, "affine", True):
            return {}
        c = arg_dim(m, "num_channels")
        return None if c is None else {"weight": (c,), "bias": (c,)}

    def describe(self, m: ModuleV) -> str:
        return f"GroupNorm({arg_dim(m, 'num_groups')} groups, {arg_dim(m, 'num_channels')} channels)"

    def input_template(self, m: ModuleV):
        c = arg_dim(m, "num_channels")
        return ["B", c if c is not None else "C", "H", "W"]


def normalized_shape_dims(v) -> list[Dim] | None:
    d = as_dim(v)
    if d is not None:
        return [d]
    ds = as_dims(v)
    if ds is None or any(x is None for x in ds):
        return None
    return ds  # type: ignore[return-value]


def layer_norm_check(ctx, x: TensorV, norm: list[Dim], label: str, weight=None, bias=None) -> TensorV:
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
    for v, what in ((weight, "weight"), (bias, "bias")):
        if isinstance(v, TensorV) and v.shape is not None:
            wmsg = lambda: f"{label}: expected {what} of the same shape as normalized_shape {fmt(tuple(norm))}, but got {fmt(v.shape)}"
            if len(v.shape) != k:
                ctx.fail(codes.NORM_FEATURES, wmsg())
            for a, b in zip(v.shape, norm):
                ctx.require_eq(a, b, codes.NORM_FEATURES, wmsg)
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
        if not arg_const(m, "elementwise_affine", True):
            return {}
        if norm is None:
            return None
        out = {"weight": tuple(norm)}
        if arg_const(m, "bias", True):
            out["bias"] = tuple(norm)
        return out

    def describe(self, m: ModuleV) -> str:
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        return f"{m.short}({fmt(tuple(norm)) if norm else '?'})"

    def input_template(self, m: ModuleV):
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        if norm is None:
            return None
        return ["B", "T"][: max(0, 3 - len(norm))] + list(norm) if len(norm) == 1 else ["B"] + list(norm)


@layer("torch.nn.RMSNorm")
class RMSNorm(LayerNorm):
    def build(self, ctx, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        return None

    def params(self, m: ModuleV):
        norm = normalized_shape_dims(arg_value(m, "normalized_shape"))
        if not arg_const(m, "elementwise_affine", True):
            return {}
        return None if norm is None else {"weight": tuple(norm)}


def lrn_check(ctx, x: TensorV, size, label: str) -> TensorV:
    if x.shape is None:
        return same(x)
    if len(x.shape) < 3:
        ctx.fail(codes.RANK, f"{label}: expected 3D or higher dimensionality input, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    s = as_dim(size)
    if s is not None and s.value is not None and s.value <= 0 and eq(prod(x.shape), 0) is not True:
        ctx.fail(codes.INVALID_ARG, f"{label}: size must be positive, got {s}")
    return same(x)


@layer("torch.nn.LocalResponseNorm")
class LocalResponseNorm(Layer):
    def build(self, ctx, size, alpha=1e-4, beta=0.75, k=1.0):
        return None

    def forward(self, ctx, m: ModuleV, input):
        return lrn_check(ctx, tensor(input), arg_value(m, "size"), m.label())

    def describe(self, m: ModuleV) -> str:
        return f"LocalResponseNorm({as_const(arg_value(m, 'size'))})"


# functional forms ------------------------------------------------------------------------------

@op("torch.nn.functional.layer_norm", "torch.layer_norm")
def f_layer_norm(ctx, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    norm = normalized_shape_dims(normalized_shape)
    if norm is None:
        raise NotUnderstood("normalized_shape is not known")
    return layer_norm_check(ctx, tensor(input), norm, "layer_norm", weight, bias)


@op("torch.nn.functional.rms_norm", "torch.rms_norm")
def f_rms_norm(ctx, input, normalized_shape, weight=None, eps=None):
    norm = normalized_shape_dims(normalized_shape)
    if norm is None:
        raise NotUnderstood("normalized_shape is not known")
    return layer_norm_check(ctx, tensor(input), norm, "rms_norm", weight)


@op("torch.nn.functional.batch_norm")
def f_batch_norm(ctx, input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    x = tensor(input)
    if x.shape is None:
        return same(x)
    if len(x.shape) < 2:
        ctx.fail(codes.RANK, f"batch_norm: expected an input with at least 2 dimensions, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if as_const(training) is True:
        verify_batch_size(ctx, list(x.shape), "batch_norm", x.shape)
    c = x.shape[1]
    for v, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        check_vector(ctx, v, c, what, "batch_norm", x)
    return same(x)


@op("torch.nn.functional.instance_norm")
def f_instance_norm(ctx, input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                    momentum=0.1, eps=1e-5):
    x = tensor(input)
    if x.shape is None:
        return same(x)
    if len(x.shape) < 2:
        ctx.fail(codes.RANK, f"instance_norm: expected an input with at least 2 dimensions, but {ctx.arg_text(0)} has shape {fmt(x.shape)}")
    if as_const(use_input_stats) is not False:
        verify_spatial_size(ctx, x, "instance_norm")
    c = x.shape[1]
    for v, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        check_vector(ctx, v, c, what, "instance_norm", x)
    return same(x)


@op("torch.nn.functional.group_norm", "torch.group_norm")
def f_group_norm(ctx, input, num_groups, weight=None, bias=None, eps=1e-5):
    g = as_dim(num_groups)
    if g is None:
        raise NotUnderstood("num_groups is not known")
    x = tensor(input)
    out = group_norm_check(ctx, x, g, None, "group_norm")
    if x.shape is not None:
        for v, what in ((weight, "weight"), (bias, "bias")):
            check_vector(ctx, v, x.shape[1], what, "group_norm", x)
    return out


@op("torch.batch_norm")
def torch_batch_norm(ctx, input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """torch.batch_norm orders its arguments differently from F.batch_norm."""
    return f_batch_norm(ctx, input, running_mean, running_var, weight, bias, training, momentum, eps)


@op("torch.instance_norm")
def torch_instance_norm(ctx, input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return f_instance_norm(ctx, input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


@op("torch.nn.functional.local_response_norm")
def f_local_response_norm(ctx, input, size, alpha=1e-4, beta=0.75, k=1.0):
    return lrn_check(ctx, tensor(input), size, "local_response_norm")


@op("torch.nn.functional.normalize")
def f_normalize(ctx, input, p=2.0, dim=1, eps=1e-12, out=None):
    x = tensor(input)
    if x.shape is None:
        return same(x)
    norm_dim(ctx, dim, len(x.shape))
    return same(x)
