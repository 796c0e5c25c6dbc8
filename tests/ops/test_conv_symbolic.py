"""Symbolic size formulas of this area's rules, drawn at random and evaluated against torch at
drawn sizes: convolutions, transposed convolutions, pooling, interpolation, padding, unfold."""

from hypothesis import given, strategies as st

from tests.ops.harness import check_symbolic

NAMES = {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}


@st.composite
def symbolic_case(draw):
    n = draw(st.integers(1, 3))
    names = NAMES[n]
    k, s, p, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["conv", "conv_same", "convT", "max", "avg", "lp", "interp", "pad", "adaptive", "unfold"]))
    if kind == "conv":
        mode = draw(st.sampled_from(["zeros", "replicate", "circular", "reflect"]))
        code = f"y = nn.Conv{n}d(3, 4, {k}, stride={s}, padding={p}, dilation={d}, padding_mode='{mode}')(x)"
    elif kind == "conv_same":
        code = f"y = nn.Conv{n}d(3, 4, {k}, padding='same', dilation={d}, padding_mode='{draw(st.sampled_from(['zeros', 'reflect']))}')(x)"
    elif kind == "convT":
        op_ = draw(st.integers(0, max(s, d) - 1))
        code = f"y = nn.ConvTranspose{n}d(3, 4, {k}, stride={s}, padding={p}, output_padding={op_}, dilation={d})(x)"
    elif kind in ("max", "avg"):
        p = min(p, k // 2)
        if kind == "avg":
            d = 1
        # ceil_mode has a closed form only when the last window cannot start in the right
        # padding (p + s <= effective kernel); otherwise the engine honestly says unknown.
        ceil = draw(st.booleans()) and p + s <= d * (k - 1) + 1
        dil = f", dilation={d}" if kind == "max" else ""
        code = f"y = nn.{kind.title()}Pool{n}d({k}, {s}, {p}{dil}, ceil_mode={ceil})(x)"
    elif kind == "lp":
        code = f"y = nn.LPPool{n}d(2, {k}, {s})(x)"
    elif kind == "interp":
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[n] if draw(st.booleans()) else "nearest"
        sf = draw(st.sampled_from([2, 0.5, 1.5, 3.0, 0.25]))
        code = f"y = F.interpolate(x, scale_factor={sf}, mode='{mode}')"
    elif kind == "pad":
        pads = tuple(draw(st.integers(0, 2)) for _ in range(2 * n))
        code = f"y = F.pad(x, {pads}, mode='{draw(st.sampled_from(['constant', 'replicate', 'reflect', 'circular']))}')"
    elif kind == "adaptive":
        code = f"y = nn.AdaptiveMaxPool{n}d({draw(st.integers(1, 3))})(x)"
    else:
        n, names = 2, NAMES[2]
        code = f"y = F.unfold(x, {k}, dilation={d}, padding={p}, stride={s})"
    env = {"B": draw(st.integers(1, 3))}
    for nm in names:
        env[nm] = draw(st.integers(1, 12 if n < 3 else 6))
    return code, {"x": (("B", 3, *names), "float32")}, env


@given(symbolic_case())
def test_symbolic_formulas_match_torch(case):
    code, inputs, env = case
    check_symbolic(code, inputs, env)
