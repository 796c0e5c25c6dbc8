"""Transformer rules against torch: encoder/decoder layers and stacks, nn.Transformer's batch and
d_model checks, masks, and parameter shapes."""

import torch
from hypothesis import given, strategies as st

from tests.ops.harness import check, run_engine


def _off(draw, n):
    return n + 1 if draw(st.integers(0, 7)) == 0 else n


@st.composite
def layer_cfg(draw):
    H = draw(st.integers(1, 2))
    d = H * draw(st.integers(1, 3)) + (1 if draw(st.integers(0, 15)) == 0 else 0)
    return {"d": d, "H": H, "dff": draw(st.integers(1, 6)), "bf": draw(st.booleans()), "nf": draw(st.booleans()),
            "bias": draw(st.booleans())}


def _args(c):
    return (f"{c['d']}, {c['H']}, dim_feedforward={c['dff']}, batch_first={c['bf']}, norm_first={c['nf']},"
            f" bias={c['bias']}")


def _seq(draw, c, L, N, batched):
    if not batched:
        return (L, _off(draw, c["d"]))
    return (N, L, _off(draw, c["d"])) if c["bf"] else (L, N, _off(draw, c["d"]))


@st.composite
def encoder_case(draw):
    c = draw(layer_cfg())
    L, N = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batched = draw(st.integers(0, 3)) > 0
    inputs = {"x": (_seq(draw, c, L, N, batched), "float32")}
    kw = []
    if draw(st.integers(0, 2)) == 0:
        inputs["m"] = ((L, _off(draw, L)), draw(st.sampled_from(["bool", "float32"])))
        kw.append("m")
    if draw(st.integers(0, 2)) == 0:
        inputs["kpm"] = (((_off(draw, N), L) if batched else (L,)), "bool")
        kw.append("kpm")
    stack = draw(st.sampled_from(["layer", "stack", "stack_norm"]))
    n = draw(st.integers(1, 2))
    if stack == "layer":
        call = "enc(x" + (", src_mask=m" if "m" in kw else "") + (", src_key_padding_mask=kpm" if "kpm" in kw else "") + ")"
        code = f"enc = nn.TransformerEncoderLayer({_args(c)})\ny = {call}"
    else:
        norm = f", norm=nn.LayerNorm({c['d']})" if stack == "stack_norm" else ""
        # is_causal given: otherwise torch inspects the mask's values (.item(), which meta tensors cannot do).
        call = "enc(x" + (", mask=m, is_causal=False" if "m" in kw else "") + (", src_key_padding_mask=kpm" if "kpm" in kw else "") + ")"
        code = (f"layer = nn.TransformerEncoderLayer({_args(c)})\nenc = nn.TransformerEncoder(layer, {n}{norm})\n"
                f"y = {call}")
    return code, inputs


@given(encoder_case())
def test_encoder_matches_torch(case):
    check(*case)


@st.composite
def decoder_case(draw):
    c = draw(layer_cfg())
    L, S, N = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batched = draw(st.integers(0, 3)) > 0
    inputs = {"t": (_seq(draw, c, L, N, batched), "float32"),
              "mem": (_seq(draw, c, S, _off(draw, N), draw(st.integers(0, 8)) > 0 and batched or
                           (not batched and draw(st.integers(0, 8)) == 0)), "float32")}
    kw = []
    if draw(st.integers(0, 2)) == 0:
        inputs["tm"] = ((L, _off(draw, L)), "bool")
        kw.append("tgt_mask=tm, tgt_is_causal=False")
    if draw(st.integers(0, 2)) == 0:
        inputs["mm"] = ((L, _off(draw, S)), "bool")
        kw.append("memory_mask=mm")
    if draw(st.integers(0, 3)) == 0:
        inputs["mkpm"] = (((N, _off(draw, S)) if batched else (S,)), "bool")
        kw.append("memory_key_padding_mask=mkpm")
    if draw(st.booleans()):
        code = f"dec = nn.TransformerDecoderLayer({_args(c)})\n"
    else:
        code = f"dec = nn.TransformerDecoder(nn.TransformerDecoderLayer({_args(c)}), {draw(st.integers(1, 2))})\n"
    return code + f"y = dec(t, mem{''.join(', ' + k for k in kw)})", inputs


@given(decoder_case())
def test_decoder_matches_torch(case):
    check(*case)


@st.composite
def transformer_case(draw):
    c = draw(layer_cfg())
    S, L, N = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    batched = draw(st.integers(0, 4)) > 0
    src = _seq(draw, c, S, N, batched)
    tgt = _seq(draw, c, L, _off(draw, N), batched)
    inputs = {"s": (src, "float32"), "t": (tgt, "float32")}
    kw = []
    if draw(st.integers(0, 2)) == 0:
        inputs["tm"] = ((L, _off(draw, L)), "float32")
        kw.append("tgt_mask=tm")
    kw.append(f"tgt_is_causal={draw(st.integers(0, 4)) == 0}")
    code = (f"model = nn.Transformer({c['d']}, {c['H']}, num_encoder_layers=1, num_decoder_layers=1,"
            f" dim_feedforward={c['dff']}, batch_first={c['bf']}, norm_first={c['nf']}, bias={c['bias']})\n"
            f"y = model(s, t{''.join(', ' + k for k in kw)})")
    return code, inputs


@given(transformer_case())
def test_transformer_matches_torch(case):
    check(*case)


def test_transformer_d_model_mismatch_message():
    code = "model = nn.Transformer(16, 4, 1, 1, 32)\ny = model(s, t)"
    check(code, {"s": ((5, 2, 16), "float32"), "t": ((3, 2, 12), "float32")}, code_expected="SL101")
    e = run_engine(code, {"s": ((5, 2, 16), "float32"), "t": ((3, 2, 12), "float32")})
    assert "the feature number of src and tgt must be equal to d_model" in e.errors[0].message


@st.composite
def params_case(draw):
    c = draw(layer_cfg())
    c["d"] = c["H"] * (c["d"] // c["H"])
    kind = draw(st.sampled_from(["enc_layer", "dec_layer", "encoder", "decoder", "transformer"]))
    n = draw(st.integers(1, 2))
    return {
        "enc_layer": f"nn.TransformerEncoderLayer({_args(c)})",
        "dec_layer": f"nn.TransformerDecoderLayer({_args(c)})",
        "encoder": f"nn.TransformerEncoder(nn.TransformerEncoderLayer({_args(c)}), {n}, norm=nn.LayerNorm({c['d']}))",
        "decoder": f"nn.TransformerDecoder(nn.TransformerDecoderLayer({_args(c)}), {n})",
        "transformer": f"nn.Transformer({c['d']}, {c['H']}, {n}, {3 - n}, {c['dff']}, bias={c['bias']})",
    }[kind]


@given(params_case())
def test_parameters_match_torch(ctor):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = eval(ctor, {"nn": torch.nn})
    want = {n: tuple(p.shape) for n, p in m.named_parameters()}
    e = run_engine(f"m = {ctor}", {}, result="m")
    got = e.value.rule.params(e.value)
    assert {n: tuple(d.value for d in s) for n, s in got.items()} == want


@given(st.integers(1, 5), st.integers(1, 5))
def test_causal_mask_from_generate_square_subsequent_mask(L, sz):
    code = f"m = nn.TransformerEncoderLayer(8, 2)\nmask = nn.Transformer.generate_square_subsequent_mask({sz})\ny = m(x, src_mask=mask)"
    check(code, {"x": ((L, 2, 8), "float32")})


def test_symbolic_formulas_match_torch():
    from tests.ops.harness import check_symbolic

    for env in ({"B": 2, "L": 5, "S": 3}, {"B": 1, "L": 1, "S": 4}):
        check_symbolic("y = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)(x)",
                       {"x": (("B", "L", 8), "float32")}, env)
        check_symbolic("y = nn.Transformer(8, 2, 1, 1, 16)(s, t)",
                       {"s": (("S", "B", 8), "float32"), "t": (("L", "B", 8), "float32")}, env)
