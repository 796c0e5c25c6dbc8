"""Transformers: TransformerEncoderLayer/DecoderLayer, TransformerEncoder/Decoder and
nn.Transformer. Every sublayer keeps the model width, so the output has the shape of `src`/`tgt`;
the checks are those of the attention blocks (ops/attention.py) and of nn.Transformer's own
batch and d_model checks. Parameter shapes follow torch's names (`layers.0.self_attn...`)."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim
from shapelens.ops.attention import MHASpec, mha
from shapelens.ops.common import arg_const, arg_dim, fmt, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import FALSE, TRUE, Const, ModuleV, TensorV, TorchRef, Value, as_dim, as_int


def _check_ctor(ctx, d_model, nhead, activation) -> None:
    E, H = as_int(d_model), as_int(nhead)
    if E is not None and H is not None:
        if E <= 0 or H <= 0:
            ctx.fail(codes.INVALID_ARG, f"embed_dim and num_heads must be greater than 0, got d_model={E} and nhead={H}")
        if E % H:
            ctx.fail(codes.INVALID_ARG, f"embed_dim must be divisible by num_heads: d_model={E} is not divisible by"
                                        f" nhead={H}")
    if isinstance(activation, Const) and isinstance(activation.value, str) and activation.value not in ("relu", "gelu"):
        ctx.fail(codes.INVALID_ARG, f"activation should be relu/gelu, not {activation.value}")


def _attn_params(d: Dim, bias: bool, prefix: str) -> dict[str, tuple]:
    out: dict[str, tuple] = {f"{prefix}in_proj_weight": (3 * d, d)}
    if bias:
        out[f"{prefix}in_proj_bias"] = (3 * d,)
    out[f"{prefix}out_proj.weight"] = (d, d)
    if bias:
        out[f"{prefix}out_proj.bias"] = (d,)
    return out


def _layer_params(d: Dim, dff: Dim, bias: bool, decoder: bool) -> dict[str, tuple]:
    out = _attn_params(d, bias, "self_attn.")
    if decoder:
        out.update(_attn_params(d, bias, "multihead_attn."))
    out["linear1.weight"] = (dff, d)
    if bias:
        out["linear1.bias"] = (dff,)
    out["linear2.weight"] = (d, dff)
    if bias:
        out["linear2.bias"] = (d,)
    for i in range(1, 4 if decoder else 3):
        out[f"norm{i}.weight"] = (d,)
        if bias:
            out[f"norm{i}.bias"] = (d,)
    return out


def _spec(m: ModuleV, label: str) -> MHASpec:
    d = arg_dim(m, "d_model")
    return MHASpec(label, d, arg_dim(m, "nhead"), d, d, True, False, False, bool(arg_const(m, "batch_first", False)))


def _width_check(ctx, label: str, x: TensorV, d: Dim | None, what: str) -> None:
    if x.shape is not None and len(x.shape) in (2, 3) and d is not None:
        ctx.require_eq(x.shape[-1], d, codes.LINEAR_FEATURES, lambda: (
            f"{label}: {what} {fmt(x.shape)} has {x.shape[-1]} features but d_model is {d}"))


def encoder_layer_forward(ctx, m: ModuleV, label: str, src, src_mask=None, src_key_padding_mask=None,
                          is_causal=False) -> TensorV:
    x = tensor(src, "src")
    _width_check(ctx, label, x, arg_dim(m, "d_model"), "src")
    mha(ctx, _spec(m, f"{label} (self-attention)"), x, x, x, src_key_padding_mask, FALSE, src_mask, TRUE, is_causal)
    return TensorV(x.shape, x.dtype)


def decoder_layer_forward(ctx, m: ModuleV, label: str, tgt, memory, tgt_mask=None, memory_mask=None,
                          tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
                          memory_is_causal=False) -> TensorV:
    x, mem = tensor(tgt, "tgt"), tensor(memory, "memory")
    _width_check(ctx, label, x, arg_dim(m, "d_model"), "tgt")
    mha(ctx, _spec(m, f"{label} (self-attention)"), x, x, x, tgt_key_padding_mask, FALSE, tgt_mask, TRUE,
        tgt_is_causal)
    mha(ctx, _spec(m, f"{label} (attention over memory)"), x, mem, mem, memory_key_padding_mask, FALSE, memory_mask,
        TRUE, memory_is_causal)
    return TensorV(x.shape, x.dtype)


class _TransformerLayer(Layer):
    decoder = False

    def build(self, ctx, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
              batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        _check_ctor(ctx, d_model, nhead, activation)
        return None

    def params(self, m: ModuleV):
        d, dff = arg_dim(m, "d_model"), arg_dim(m, "dim_feedforward")
        if d is None or dff is None:
            return None
        return _layer_params(d, dff, bool(arg_const(m, "bias", True)), self.decoder)

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}(d_model {arg_dim(m, 'd_model')}, heads {arg_dim(m, 'nhead')})"

    def input_template(self, m: ModuleV):
        d = arg_dim(m, "d_model")
        e = d if d is not None else "E"
        return ["B", "L", e] if arg_const(m, "batch_first", False) else ["L", "B", e]


@layer("torch.nn.TransformerEncoderLayer")
class TransformerEncoderLayer(_TransformerLayer):
    def forward(self, ctx, m: ModuleV, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        return encoder_layer_forward(ctx, m, m.label(), src, src_mask, src_key_padding_mask, is_causal)


@layer("torch.nn.TransformerDecoderLayer")
class TransformerDecoderLayer(_TransformerLayer):
    decoder = True

    def forward(self, ctx, m: ModuleV, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        return decoder_layer_forward(ctx, m, m.label(), tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                                     memory_key_padding_mask, tgt_is_causal, memory_is_causal)


def _child(m: ModuleV, name: str, kind: str) -> ModuleV:
    c = m.args.get(name)
    if not isinstance(c, ModuleV) or c.kind != kind:
        raise NotUnderstood(f"{name} is not a known {kind.rsplit('.', 1)[-1]}")
    return c


def _num_layers(ctx, m: ModuleV, label: str) -> int | None:
    n = as_int(m.args.get("num_layers"))
    if n is not None and n <= 0:
        ctx.fail(codes.INVALID_ARG, f"{label} has num_layers={n}: its forward reads layers[0], which does not exist")
    return n


def _run_norm(ctx, norm: Value | None, x: TensorV) -> TensorV:
    if isinstance(norm, ModuleV) and isinstance(norm.rule, Layer):
        out = norm.rule.forward(ctx, norm, x)
        return out if isinstance(out, TensorV) else TensorV(None, x.dtype)
    if norm is None or (isinstance(norm, Const) and norm.value is None):
        return x
    raise NotUnderstood("norm is not a known layer")


def _stack_params(child: ModuleV, n: int | None, norm: Value | None) -> dict[str, tuple] | None:
    if n is None or not isinstance(child.rule, Layer):
        return None
    one = child.rule.params(child)
    if one is None:
        return None
    out = {f"layers.{i}.{k}": v for i in range(n) for k, v in one.items()}
    if isinstance(norm, ModuleV) and isinstance(norm.rule, Layer):
        np_ = norm.rule.params(norm)
        if np_ is None:
            return None
        out.update({f"norm.{k}": v for k, v in np_.items()})
    return out


@layer("torch.nn.TransformerEncoder")
class TransformerEncoder(Layer):
    def build(self, ctx, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        return None

    def forward(self, ctx, m: ModuleV, src, mask=None, src_key_padding_mask=None, is_causal=None):
        child = _child(m, "encoder_layer", "torch.nn.TransformerEncoderLayer")
        _num_layers(ctx, m, m.label())
        x = encoder_layer_forward(ctx, child, f"{m.label()} layer", src, mask, src_key_padding_mask, is_causal)
        return _run_norm(ctx, m.args.get("norm"), x)

    def params(self, m: ModuleV):
        c = m.args.get("encoder_layer")
        return _stack_params(c, as_int(m.args.get("num_layers")), m.args.get("norm")) if isinstance(c, ModuleV) else None

    def describe(self, m: ModuleV) -> str:
        return f"TransformerEncoder({as_int(m.args.get('num_layers'))} layers)"


@layer("torch.nn.TransformerDecoder")
class TransformerDecoder(Layer):
    def build(self, ctx, decoder_layer, num_layers, norm=None):
        return None

    def forward(self, ctx, m: ModuleV, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        child = _child(m, "decoder_layer", "torch.nn.TransformerDecoderLayer")
        _num_layers(ctx, m, m.label())
        x = decoder_layer_forward(ctx, child, f"{m.label()} layer", tgt, memory, tgt_mask, memory_mask,
                                  tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal, memory_is_causal)
        return _run_norm(ctx, m.args.get("norm"), x)

    def params(self, m: ModuleV):
        c = m.args.get("decoder_layer")
        return _stack_params(c, as_int(m.args.get("num_layers")), m.args.get("norm")) if isinstance(c, ModuleV) else None

    def describe(self, m: ModuleV) -> str:
        return f"TransformerDecoder({as_int(m.args.get('num_layers'))} layers)"


@layer("torch.nn.Transformer")
class Transformer(Layer):
    def build(self, ctx, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
              dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
              batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        if custom_encoder is None or custom_decoder is None:
            _check_ctor(ctx, d_model, nhead, activation)
        return None

    def forward(self, ctx, m: ModuleV, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None,
                tgt_is_causal=None, memory_is_causal=False):
        if m.args.get("custom_encoder") is not None or m.args.get("custom_decoder") is not None:
            raise NotUnderstood("custom encoders/decoders are not modelled")
        s, t = tensor(src, "src"), tensor(tgt, "tgt")
        d = arg_dim(m, "d_model")
        bf = bool(arg_const(m, "batch_first", False))
        label = m.label()
        if s.shape is not None and t.shape is not None:
            if len(s.shape) == 3 and len(t.shape) >= 2:
                i = 0 if bf else 1
                ctx.require_eq(s.shape[i], t.shape[i], codes.ARGUMENTS, lambda: (
                    f"{label}: the batch number of src and tgt must be equal: src {fmt(s.shape)} has {s.shape[i]},"
                    f" tgt {fmt(t.shape)} has {t.shape[i]}"))
            if len(s.shape) == 3 and len(t.shape) < 2:
                ctx.fail(codes.RANK, f"{label}: tgt {fmt(t.shape)} has no batch dimension {1 if not bf else 0}")
            if len(s.shape) == 0 or len(t.shape) == 0:
                ctx.fail(codes.RANK, f"{label}: src {fmt(s.shape)} and tgt {fmt(t.shape)} need a feature dimension")
            if d is not None:
                for what, x in (("src", s), ("tgt", t)):
                    ctx.require_eq(x.shape[-1], d, codes.LINEAR_FEATURES, lambda x=x, what=what: (
                        f"{label}: the feature number of src and tgt must be equal to d_model ({d}), but {what}"
                        f" {fmt(x.shape)} has {x.shape[-1]}"))
        n_enc = as_int(m.args.get("num_encoder_layers"))
        n_dec = as_int(m.args.get("num_decoder_layers"))
        for n, what in ((n_enc, "num_encoder_layers"), (n_dec, "num_decoder_layers")):
            if n is not None and n <= 0:
                ctx.fail(codes.INVALID_ARG, f"{label} has {what}={n}: its forward reads layers[0], which does not exist")
        memory = encoder_layer_forward(ctx, m, f"{label} encoder", s, src_mask, src_key_padding_mask, src_is_causal)
        out = decoder_layer_forward(ctx, m, f"{label} decoder", t, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                                    memory_key_padding_mask, tgt_is_causal, memory_is_causal)
        return out

    def params(self, m: ModuleV):
        if m.args.get("custom_encoder") is not None or m.args.get("custom_decoder") is not None:
            return None
        d, dff = arg_dim(m, "d_model"), arg_dim(m, "dim_feedforward")
        ne, nd = as_int(m.args.get("num_encoder_layers")), as_int(m.args.get("num_decoder_layers"))
        if d is None or dff is None or ne is None or nd is None:
            return None
        bias = bool(arg_const(m, "bias", True))
        out: dict[str, tuple] = {}
        for part, n, dec in (("encoder", ne, False), ("decoder", nd, True)):
            one = _layer_params(d, dff, bias, dec)
            for i in range(n):
                out.update({f"{part}.layers.{i}.{k}": v for k, v in one.items()})
            out[f"{part}.norm.weight"] = (d,)
            if bias:
                out[f"{part}.norm.bias"] = (d,)
        return out

    def describe(self, m: ModuleV) -> str:
        return (f"Transformer(d_model {arg_dim(m, 'd_model')}, heads {arg_dim(m, 'nhead')},"
                f" {as_int(m.args.get('num_encoder_layers'))}+{as_int(m.args.get('num_decoder_layers'))} layers)")


@op("torch.nn.Transformer.generate_square_subsequent_mask")
def generate_square_subsequent_mask(ctx, sz, device=None, dtype=None):
    """The (sz, sz) causal mask (-inf above the diagonal)."""
    d = as_dim(sz)
    if d is None:
        raise NotUnderstood("sz is not a known integer")
    dt = dtype.qualname.split(".", 1)[1] if isinstance(dtype, TorchRef) and dtype.qualname.startswith("torch.") else "float32"
    return TensorV((d, d), dt)
