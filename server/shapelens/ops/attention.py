"""Attention: nn.MultiheadAttention, F.multi_head_attention_forward and
F.scaled_dot_product_attention — how query, key, value and the masks must fit, and the shapes
of the output and the attention weights."""

from __future__ import annotations

from dataclasses import dataclass

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import arg_const, arg_dim, broadcast_shapes, const_value, fmt, maybe_tensor, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import NONE, ModuleV, Shape, TensorV, TupleV, Value, as_bool, as_int


def _is_none(v: Value | None) -> bool:
    return v is None or v is NONE


def mask_dtype(ctx, t: TensorV, what: str) -> None:
    if t.dtype is not None and t.dtype != "bool" and t.is_float is False:
        ctx.fail(codes.DTYPE, f"only bool and floating types of {what} are supported, but it has dtype {t.dtype}")


def shape_is(ctx, got: Shape, want: Shape, code, msg) -> None:
    if len(got) != len(want):
        ctx.fail(code, msg())
    for a, b in zip(got, want):
        ctx.require_eq(a, b, code, msg)


@dataclass
class MHASpec:
    label: str
    E: Dim | None
    H: Dim | None
    kdim: Dim | None
    vdim: Dim | None
    same_dims: bool  # one packed in-projection (kdim == vdim == embed_dim)
    bias_kv: bool
    zero_attn: bool
    batch_first: bool


def mha(ctx, s: MHASpec, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
        average_attn_weights=True, is_causal=False) -> Value:
    q, k, v = tensor(query, "query"), tensor(key, "key"), tensor(value, "value")
    kpm, am = maybe_tensor(key_padding_mask), maybe_tensor(attn_mask)
    need = as_bool(need_weights)
    if need is None:
        raise NotUnderstood("need_weights is not a known constant")
    if q.shape is None or k.shape is None or v.shape is None:
        return TupleV((TensorV(None, q.dtype), TensorV(None, q.dtype) if need else NONE))
    r = len(q.shape)
    if r not in (2, 3):
        ctx.fail(codes.RANK, f"{s.label}: query should be unbatched 2D or batched 3D tensor but received {r}-D query"
                             f" tensor {fmt(q.shape)}")
    batched = r == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if len(k.shape) != r or len(v.shape) != r:
        ctx.fail(codes.RANK, f"{s.label}: For {kind} `query`, expected `key` and `value` to be {r}-D but found"
                             f" {len(k.shape)}-D and {len(v.shape)}-D tensors respectively")
    if kpm is not None and kpm.shape is not None and len(kpm.shape) != r - 1:
        ctx.fail(codes.RANK, f"{s.label}: For {kind} `query`, expected `key_padding_mask` to be `None` or {r - 1}-D but"
                             f" found {len(kpm.shape)}-D tensor instead")
    if am is not None and am.shape is not None and len(am.shape) not in (2, 3):
        ctx.fail(codes.RANK, f"{s.label}: For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found"
                             f" {len(am.shape)}-D tensor instead")
    H = s.H if s.H is not None else ctx.unknown_dim("num_heads")
    # Work in torch's (L, N, E) layout.
    def lne(t: TensorV) -> Shape:
        if not batched:
            return (t.shape[0], Dim.const(1), t.shape[1])
        return (t.shape[1], t.shape[0], t.shape[2]) if s.batch_first else tuple(t.shape)

    qs, ks, vs = lne(q), lne(k), lne(v)
    L, N, Eq = qs
    S = ks[0]
    if not batched and am is not None and am.shape is not None and len(am.shape) == 3:
        want = (H, L, S)
        shape_is(ctx, am.shape, want, codes.ARGUMENTS, lambda: (
            f"{s.label}: Expected `attn_mask` shape to be {fmt(want)} but got {fmt(am.shape)}"))
    if s.E is not None:
        ctx.require_eq(Eq, s.E, codes.LINEAR_FEATURES, lambda: (
            f"{s.label}: was expecting embedding dimension of {s.E}, but {ctx.arg_text(0)} has {Eq}: shape {fmt(q.shape)}"))
    if s.same_dims:
        shape_is(ctx, k.shape, v.shape, codes.ARGUMENTS, lambda: (
            f"{s.label}: key shape {fmt(k.shape)} does not match value shape {fmt(v.shape)}"))
        if s.E is not None:
            ctx.require_eq(ks[2], s.E, codes.LINEAR_FEATURES, lambda: (
                f"{s.label}: key/value have {ks[2]} features but the layer projects {s.E} (embed_dim)"))
    else:
        shape_is(ctx, ks[:2], vs[:2], codes.ARGUMENTS, lambda: (
            f"{s.label}: key's sequence and batch dims {fmt(ks[:2])} do not match value's {fmt(vs[:2])}"))
        for t_, want, what in ((ks, s.kdim, "kdim"), (vs, s.vdim, "vdim")):
            if want is not None:
                ctx.require_eq(t_[2], want, codes.LINEAR_FEATURES, lambda t_=t_, want=want, what=what: (
                    f"{s.label}: {'key' if what == 'kdim' else 'value'} has {t_[2]} features but {what} is {want}"))
    ctx.require_eq(ks[1], N, codes.ARGUMENTS, lambda: (
        f"{s.label}: key has batch size {ks[1]} but query has {N} (query {fmt(q.shape)}, key {fmt(k.shape)})"))
    causal = as_bool(is_causal)
    if causal and am is None and _is_none(attn_mask):
        ctx.fail(codes.ARGUMENTS, f"{s.label}: Need attn_mask if specifying the is_causal hint; pass the causal mask too"
                                  " (e.g. nn.Transformer.generate_square_subsequent_mask(L))")
    if causal and kpm is None and _is_none(key_padding_mask) and not need:
        am = None  # torch drops the mask and trusts the is_causal hint
    if am is not None and am.shape is not None:
        mask_dtype(ctx, am, "attn_mask")
        if len(am.shape) == 2:
            want = (L, S)
            shape_is(ctx, am.shape, want, codes.ARGUMENTS, lambda: (
                f"{s.label}: The shape of the 2D attn_mask is {fmt(am.shape)}, but should be {fmt(want)}."))
        elif batched:
            want = (N * H, L, S)
            shape_is(ctx, am.shape, want, codes.ARGUMENTS, lambda: (
                f"{s.label}: The shape of the 3D attn_mask is {fmt(am.shape)}, but should be {fmt(want)}"
                " (batch * num_heads, target length, source length)."))
    if kpm is not None and kpm.shape is not None:
        mask_dtype(ctx, kpm, "key_padding_mask")
        want = (N, S) if batched else (S,)
        shape_is(ctx, kpm.shape, want, codes.ARGUMENTS, lambda: (
            f"{s.label}: expecting key_padding_mask shape of {fmt(want)}, but got {fmt(kpm.shape)}"))
    E = s.E if s.E is not None else Eq
    if batched:
        out = TensorV((N, L, E) if s.batch_first else (L, N, E), q.dtype)
    else:
        out = TensorV((L, E), q.dtype)
    if not need:
        return TupleV((out, NONE))
    S2 = S + int(s.bias_kv) + int(s.zero_attn)
    avg = as_bool(average_attn_weights)
    if avg is None:
        w = TensorV(None, q.dtype)
    else:
        wshape = (L, S2) if avg else (H, L, S2)
        w = TensorV(((N,) if batched else ()) + wshape, q.dtype)
    return TupleV((out, w))


@layer("torch.nn.MultiheadAttention")
class MultiheadAttention(Layer):
    def build(self, ctx, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
              kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        E, H = as_int(embed_dim), as_int(num_heads)
        if E is not None and H is not None:
            if E <= 0 or H <= 0:
                ctx.fail(codes.INVALID_ARG, f"embed_dim and num_heads must be greater than 0, got embed_dim={E} and"
                                            f" num_heads={H} instead")
            if E % H:
                ctx.fail(codes.INVALID_ARG, f"embed_dim must be divisible by num_heads: embed_dim={E}, num_heads={H}"
                                            f" (remainder {E % H})")
        return None

    def spec(self, m: ModuleV) -> MHASpec:
        E = arg_dim(m, "embed_dim")
        kd = arg_dim(m, "kdim") if arg_value_present(m, "kdim") else E
        vd = arg_dim(m, "vdim") if arg_value_present(m, "vdim") else E
        same = E is not None and kd is not None and vd is not None and eq(kd, E) is True and eq(vd, E) is True
        return MHASpec(m.label(), E, arg_dim(m, "num_heads"), kd, vd, same, bool(arg_const(m, "add_bias_kv", False)),
                       bool(arg_const(m, "add_zero_attn", False)), bool(arg_const(m, "batch_first", False)))

    def forward(self, ctx, m: ModuleV, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        # nn.MultiheadAttention canonicalises both masks before the functional form may drop one.
        for mask, what in ((key_padding_mask, "key_padding_mask"), (attn_mask, "attn_mask")):
            if isinstance(mask, TensorV):
                mask_dtype(ctx, mask, what)
        return mha(ctx, self.spec(m), query, key, value, key_padding_mask, need_weights, attn_mask,
                   average_attn_weights, is_causal)

    def params(self, m: ModuleV):
        s = self.spec(m)
        if s.E is None or s.kdim is None or s.vdim is None:
            return None
        E = s.E
        out: dict[str, tuple] = {}
        if s.same_dims:
            out["in_proj_weight"] = (3 * E, E)
        else:
            out["q_proj_weight"] = (E, E)
            out["k_proj_weight"] = (E, s.kdim)
            out["v_proj_weight"] = (E, s.vdim)
        bias = arg_const(m, "bias", True)
        if bias:
            out["in_proj_bias"] = (3 * E,)
        if s.bias_kv:
            out["bias_k"] = (Dim.const(1), Dim.const(1), E)
            out["bias_v"] = (Dim.const(1), Dim.const(1), E)
        out["out_proj.weight"] = (E, E)
        if bias:
            out["out_proj.bias"] = (E,)
        return out

    def describe(self, m: ModuleV) -> str:
        return f"MultiheadAttention({arg_dim(m, 'embed_dim')}, heads {arg_dim(m, 'num_heads')})"

    def input_template(self, m: ModuleV):
        E = arg_dim(m, "embed_dim")
        e = E if E is not None else "E"
        return ["B", "L", e] if arg_const(m, "batch_first", False) else ["L", "B", e]


def arg_value_present(m: ModuleV, name: str) -> bool:
    return not _is_none(m.args.get(name))


@op("torch.nn.functional.multi_head_attention_forward")
def multi_head_attention_forward(ctx, query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    if static_k is not None or static_v is not None:
        raise NotUnderstood("static_k/static_v are not modelled")
    E = as_int(embed_dim_to_check)
    sep = bool(const_value(use_separate_proj_weight, False))
    kw, vw = maybe_tensor(k_proj_weight), maybe_tensor(v_proj_weight)
    kd = kw.shape[1] if sep and kw is not None and kw.shape is not None and len(kw.shape) == 2 else None
    vd = vw.shape[1] if sep and vw is not None and vw.shape is not None and len(vw.shape) == 2 else None
    Ed = Dim.const(E) if E is not None else None
    s = MHASpec("multi_head_attention_forward", Ed, as_dim_or_none(num_heads), kd, vd, not sep,
                isinstance(bias_k, TensorV), bool(const_value(add_zero_attn, False)), False)
    return mha(ctx, s, query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)


def as_dim_or_none(v: Value | None) -> Dim | None:
    i = as_int(v)
    return None if i is None else Dim.const(i)


@op("torch.nn.functional.scaled_dot_product_attention")
def scaled_dot_product_attention(ctx, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    q, k, v = tensor(query, "query"), tensor(key, "key"), tensor(value, "value")
    am = maybe_tensor(attn_mask)
    if as_bool(is_causal) and attn_mask is not None:
        ctx.fail(codes.ARGUMENTS, "scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if q.shape is None or k.shape is None or v.shape is None:
        return TensorV(None, q.dtype)
    if min(len(q.shape), len(k.shape), len(v.shape)) < 2:
        ctx.fail(codes.RANK, f"scaled_dot_product_attention: Expected query, key, and value to all be at least 2"
                             f" dimensional, but got query {fmt(q.shape)}, key {fmt(k.shape)} and value {fmt(v.shape)}")
    if None not in (q.dtype, k.dtype, v.dtype) and not q.dtype == k.dtype == v.dtype:
        ctx.fail(codes.DTYPE, f"scaled_dot_product_attention: Expected query, key, and value to have the same dtype, but"
                              f" got {q.dtype}, {k.dtype} and {v.dtype}")
    L, Eq = q.shape[-2], q.shape[-1]
    S, Ek = k.shape[-2], k.shape[-1]
    Sv, Ev = v.shape[-2], v.shape[-1]
    ctx.require_eq(Ek, Eq, codes.MATMUL, lambda: (
        f"scaled_dot_product_attention: query has {Eq} features per head but key has {Ek}: query {fmt(q.shape)},"
        f" key {fmt(k.shape)}"))
    ctx.require_eq(Sv, S, codes.MATMUL, lambda: (
        f"scaled_dot_product_attention: key has {S} positions but value has {Sv}: key {fmt(k.shape)},"
        f" value {fmt(v.shape)}"))
    qb, kb, vb = tuple(q.shape[:-2]), tuple(k.shape[:-2]), tuple(v.shape[:-2])
    if const_value(enable_gqa, False):
        if min(len(qb), len(kb), len(vb)) < 1:
            ctx.fail(codes.DIM_RANGE, f"scaled_dot_product_attention: enable_gqa needs a heads dimension (-3) in query,"
                                      f" key and value, got query {fmt(q.shape)}, key {fmt(k.shape)}, value {fmt(v.shape)}")
        Hq = qb[-1]
        for what, b in (("key", kb), ("value", vb)):
            if Hq.value is not None and b[-1].value is not None and (b[-1].value == 0 or Hq.value % b[-1].value):
                ctx.fail(codes.ARGUMENTS, f"scaled_dot_product_attention: Number of heads in key and value must divide"
                                          f" the number of heads in query: query has {Hq}, {what} has {b[-1]}")
            if Hq.value is None or b[-1].value is None:
                raise NotUnderstood("grouped-query head counts are not known")
        kb, vb = kb[:-1] + (Hq,), vb[:-1] + (Hq,)
    ab = broadcast_shapes(ctx, qb, kb, f"query batch dims {fmt(qb)} and key batch dims {fmt(kb)}")
    ob = broadcast_shapes(ctx, ab, vb, f"attention batch dims {fmt(ab)} and value batch dims {fmt(vb)}")
    if am is not None and am.shape is not None:
        if am.dtype is not None and am.dtype != "bool" and am.is_float is False and am.dtype != q.dtype:
            ctx.fail(codes.DTYPE, f"scaled_dot_product_attention: Expected attn_mask dtype to be bool or float or to"
                                  f" match query dtype, but got {am.dtype}")
        scores = ab + (L, S)
        msg = lambda: (f"scaled_dot_product_attention: attn_mask {fmt(am.shape)} does not broadcast to the attention"
                       f" scores {fmt(scores)}")
        # Choosing the fused kernel (4-D inputs with equal batch and heads) reads the mask's last
        # two dims; the math path broadcasts any mask.
        flash = (len(q.shape) == len(k.shape) == len(v.shape) == 4
                 and all(eq(a, b) is True and eq(a, c) is True for a, b, c in zip(qb, kb, vb)))
        if (flash and len(am.shape) < 2) or len(am.shape) > len(scores):
            ctx.fail(codes.BROADCAST, msg())
        b = broadcast_shapes(ctx, scores, am.shape, f"attention scores {fmt(scores)} and attn_mask {fmt(am.shape)}")
        for x, y in zip(b, scores):
            ctx.require_eq(x, y, codes.BROADCAST, msg)
    return TensorV(ob + (L, Ev), q.dtype)
