"""Attention rules against torch: MultiheadAttention (shapes, masks, weights, parameters) and
F.scaled_dot_product_attention (broadcast batch dims, masks, grouped-query heads)."""

import torch
from hypothesis import given, strategies as st

from tests.ops.harness import check, run_engine


def _off(draw, n, wrong=1):
    """n, or now and then a wrong size."""
    return n + wrong if draw(st.integers(0, 7)) == 0 else n


@st.composite
def mha_case(draw):
    H = draw(st.integers(1, 3))
    E = H * draw(st.integers(1, 3)) + (1 if draw(st.integers(0, 12)) == 0 else 0)  # sometimes not divisible
    sep = draw(st.integers(0, 3)) == 0
    kdim = draw(st.integers(1, 5)) if sep else E
    vdim = draw(st.integers(1, 5)) if sep else E
    bias_kv, zero_attn = draw(st.booleans()), draw(st.booleans())
    batch_first = draw(st.booleans())
    batched = draw(st.integers(0, 3)) > 0
    N, L, S = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))

    def shape(seq, feat, batch=N):
        if not batched:
            return (seq, feat)
        return (batch, seq, feat) if batch_first else (seq, batch, feat)

    q = shape(L, _off(draw, E))
    k = shape(_off(draw, S), _off(draw, kdim), _off(draw, N))
    v = shape(S, _off(draw, vdim))
    if draw(st.integers(0, 10)) == 0:
        k = k[1:]  # wrong rank
    inputs = {"q": (q, "float32"), "k": (k, "float32"), "v": (v, "float32")}
    opts = []
    mask = draw(st.sampled_from([None, None, "2d", "3d", "bad"]))
    if mask == "2d":
        inputs["am"] = ((_off(draw, L), S), draw(st.sampled_from(["bool", "float32", "float32", "int64"])))
    elif mask == "3d":
        inputs["am"] = (((N if batched else 1) * H, L, _off(draw, S)), "bool")
    elif mask == "bad":
        inputs["am"] = ((L,), "bool")
    if mask:
        opts.append("attn_mask=am")
    if draw(st.integers(0, 2)) == 0:
        kpm = (_off(draw, N), S) if batched else (_off(draw, S),)
        if draw(st.integers(0, 8)) == 0:
            kpm = (S,) if batched else (N, S)
        inputs["kpm"] = (kpm, "bool")
        opts.append("key_padding_mask=kpm")
    opts.append(f"need_weights={draw(st.booleans())}")
    opts.append(f"average_attn_weights={draw(st.booleans())}")
    if draw(st.integers(0, 5)) == 0:
        opts.append("is_causal=True")
    ctor = (f"nn.MultiheadAttention({E}, {H}, bias={draw(st.booleans())}, add_bias_kv={bias_kv},"
            f" add_zero_attn={zero_attn}, batch_first={batch_first}"
            + (f", kdim={kdim}, vdim={vdim}" if sep else "") + ")")
    return f"m = {ctor}\ny = m(q, k, v, {', '.join(opts)})", inputs


@given(mha_case())
def test_multihead_attention_matches_torch(case):
    code, inputs = case
    check(code, inputs)


def test_embed_dim_not_divisible_by_heads():
    t = check("y = nn.MultiheadAttention(10, 3)(q, q, q)", {"q": ((4, 2, 10), "float32")}, code_expected="SL112")
    assert "divisible" in str(t.error)


@st.composite
def mha_params_case(draw):
    H = draw(st.integers(1, 3))
    E = H * draw(st.integers(1, 4))
    sep = draw(st.booleans())
    extra = f", kdim={draw(st.integers(1, 6))}, vdim={draw(st.integers(1, 6))}" if sep else ""
    return (f"nn.MultiheadAttention({E}, {H}, bias={draw(st.booleans())}, add_bias_kv={draw(st.booleans())}"
            f"{extra})")


@given(mha_params_case())
def test_multihead_attention_parameters_match_torch(ctor):
    m = eval(ctor, {"nn": torch.nn})
    want = {n: tuple(p.shape) for n, p in m.named_parameters()}
    e = run_engine(f"m = {ctor}", {}, result="m")
    got = e.value.rule.params(e.value)
    assert {n: tuple(d.value for d in s) for n, s in got.items()} == want


@st.composite
def sdpa_case(draw):
    nb = draw(st.integers(0, 2))
    batch = [draw(st.integers(1, 3)) for _ in range(nb)]
    L, S, E, Ev = (draw(st.integers(1, 4)) for _ in range(4))

    def bdims():
        b = list(batch)
        if b and draw(st.integers(0, 3)) == 0:
            b[draw(st.integers(0, len(b) - 1))] = 1
        if b and draw(st.integers(0, 5)) == 0:
            b = b[1:]
        if b and draw(st.integers(0, 8)) == 0:
            b[-1] += 1
        return tuple(b)

    gqa = nb >= 1 and draw(st.integers(0, 3)) == 0
    qb = bdims()
    kb = bdims()
    vb = bdims()
    if gqa and qb and kb and vb:
        g = draw(st.integers(1, 3))
        qb = qb[:-1] + (kb[-1] * g,)
        vb = vb[:-1] + (kb[-1],)
    q = qb + (L, E)
    k = kb + (_off(draw, S), _off(draw, E))
    v = vb + (S, Ev)
    inputs = {"q": (q, "float32"), "k": (k, "float32"), "v": (v, "float32")}
    opts = []
    if draw(st.integers(0, 2)) == 0:
        m = list(draw(st.sampled_from([(L, S), (1, S), (L, 1), (S,), tuple(batch) + (L, S), (2,) + tuple(batch) + (L, S)])))
        if draw(st.integers(0, 6)) == 0:
            m[-1] += 1
        inputs["am"] = (tuple(m), draw(st.sampled_from(["bool", "float32", "int64"])))
        opts.append("attn_mask=am")
    if draw(st.integers(0, 4)) == 0:
        opts.append("is_causal=True")
    if gqa:
        opts.append("enable_gqa=True")
    return f"y = F.scaled_dot_product_attention(q, k, v{''.join(', ' + o for o in opts)})", inputs


@given(sdpa_case())
def test_scaled_dot_product_attention_matches_torch(case):
    check(*case)


def test_sdpa_symbolic():
    e = run_engine("y = F.scaled_dot_product_attention(q, k, v)",
                   {"q": (("B", 8, "L", 16), "float32"), "k": (("B", 8, "S", 16), "float32"),
                    "v": (("B", 8, "S", 32), "float32")})
    assert not e.errors and e.shapes == ("B", 8, "L", 32)


@st.composite
def mha_forward_case(draw):
    H = draw(st.integers(1, 3))
    E = H * draw(st.integers(1, 3))
    L, S, N = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    q = (L, N, _off(draw, E))
    k = (S, _off(draw, N), E)
    inputs = {"q": (q, "float32"), "k": (k, "float32"), "v": (k, "float32"), "w": ((3 * E, E), "float32"),
              "b": ((3 * E,), "float32"), "ow": ((E, E), "float32"), "ob": ((E,), "float32")}
    bias_kv = draw(st.booleans())
    if bias_kv:
        inputs["bk"] = ((1, 1, E), "float32")
        inputs["bv"] = ((1, 1, E), "float32")
    kv = "bk, bv" if bias_kv else "None, None"
    zero = draw(st.booleans())
    opts = f"need_weights={draw(st.booleans())}, average_attn_weights={draw(st.booleans())}"
    return (f"y = F.multi_head_attention_forward(q, k, v, {E}, {H}, w, b, {kv}, {zero}, 0.0, ow, ob, {opts})",
            inputs)


@given(mha_forward_case())
def test_multi_head_attention_forward_matches_torch(case):
    check(*case)


def test_multihead_attention_symbolic_batch():
    e = run_engine("y = nn.MultiheadAttention(16, 4, batch_first=True)(q, k, k, average_attn_weights=False)",
                   {"q": (("B", "L", 16), "float32"), "k": (("B", "S", 16), "float32")})
    assert not e.errors and e.shapes == (("B", "L", 16), ("B", 4, "L", "S"))


def test_symbolic_formulas_match_torch():
    from tests.ops.harness import check_symbolic

    for env in ({"B": 2, "L": 5, "S": 3}, {"B": 1, "L": 1, "S": 4}):
        check_symbolic("y = nn.MultiheadAttention(8, 2)(q, k, k)[1]",
                       {"q": (("L", "B", 8), "float32"), "k": (("S", "B", 8), "float32")}, env)
        check_symbolic("y = F.scaled_dot_product_attention(q, k, k)",
                       {"q": (("B", 2, "L", 8), "float32"), "k": (("B", 2, "S", 8), "float32")}, env)
