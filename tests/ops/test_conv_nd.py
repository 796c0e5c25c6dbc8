"""Conv1d/2d/3d (padding modes, 'same', groups, lazy) and ConvTranspose1d/2d/3d against torch."""

from hypothesis import given, reject, strategies as st

from tests.ops.harness import check, check_symbolic, run_engine


def check_transposed(code, inputs):
    """Whether torch accepts a partly empty transposed-convolution output depends on the device
    and on the CPU backend it picks; the engine leaves those to torch, so they are skipped."""
    e = run_engine(code, inputs)
    if not e.errors and isinstance(e.shapes, tuple) and 0 in e.shapes:
        reject()
    check(code, inputs)

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def _shape(draw, n, c, lo=1, hi=9):
    hi = hi if n < 3 else 6
    batched = draw(st.booleans())
    spatial = tuple(draw(st.integers(lo, hi)) for _ in range(n))
    rank_err = draw(st.integers(0, 12)) == 0
    if rank_err:
        return (2, 1, c) + spatial
    return ((2, c) if batched else (c,)) + spatial


@st.composite
def conv_case(draw):
    n = draw(st.integers(1, 3))
    cin = draw(st.integers(1, 6))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if cin % g == 0] + [draw(st.integers(0, 4))]))
    cout = max(groups, 1) * draw(st.integers(1, 3)) + draw(st.sampled_from([0, 0, 0, 0, 1]))
    k = draw(st.one_of(st.integers(1, 4), st.tuples(*[st.integers(1, 4)] * n)))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["'same'", "'valid'"])))
    if draw(st.integers(0, 6)) == 0:  # sequences of 1, n or n+1 values
        which = draw(st.sampled_from(["k", "stride", "padding", "dilation"]))
        seq = tuple(draw(st.integers(1, 2)) for _ in range(draw(st.sampled_from([1, n, n + 1]))))
        k, stride, padding, dilation = (seq if which == w else v for w, v in
                                        (("k", k), ("stride", stride), ("padding", padding), ("dilation", dilation)))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    if padding == "'same'" and draw(st.integers(0, 5)):
        stride = 1
    lazy = draw(st.integers(0, 4)) == 0
    x_c = draw(st.sampled_from([cin, cin, cin, cin + 1]))
    shape = _shape(draw, n, x_c)
    args = f"{k}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, padding_mode='{mode}'"
    if lazy:
        code = f"m = nn.LazyConv{n}d({cout}, {args})\ny = m(x)"
    else:
        code = f"y = nn.Conv{n}d({cin}, {cout}, {args})(x)"
    return code, {"x": (shape, draw(st.sampled_from(["float32"] * 8 + ["int64", "uint8"])))}


@given(conv_case())
def test_conv_nd_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def functional_conv_case(draw):
    n = draw(st.integers(1, 3))
    g = draw(st.integers(1, 3))
    cin_g = draw(st.integers(1, 3))
    cout = draw(st.integers(1, 3)) * g + draw(st.sampled_from([0, 0, 0, 1]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(n))
    x_c = cin_g * g + draw(st.sampled_from([0, 0, 0, 1]))
    shape = _shape(draw, n, x_c)
    bias = draw(st.sampled_from([None, cout, cout + 1]))
    stride, padding = draw(st.integers(1, 2)), draw(st.one_of(st.integers(0, 2), st.just("'same'")))
    if draw(st.integers(0, 5)) == 0:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(draw(st.sampled_from([1, n, n + 1]))))
    inputs = {"x": (shape, "float32"), "w": ((cout, cin_g) + k, "float32")}
    b = ""
    if bias is not None:
        inputs["b"] = ((bias,), "float32")
        b = ", b"
    code = f"y = F.conv{n}d(x, w{b}, stride={stride}, padding={padding}, groups={g})"
    return code, inputs


@given(functional_conv_case())
def test_functional_conv_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def conv_transpose_case(draw):
    n = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 0, 1]))
    cout = groups * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 0, 1]))
    k = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.integers(0, 3))
    output_padding = draw(st.integers(0, 2))
    lazy = draw(st.integers(0, 4)) == 0
    bias = draw(st.booleans())
    x_c = draw(st.sampled_from([cin, cin, cin, cin + 1]))
    shape = _shape(draw, n, x_c, hi=6)
    args = f"{k}, stride={stride}, padding={padding}, output_padding={output_padding}, groups={groups}, bias={bias}, dilation={dilation}"
    ctor = f"nn.LazyConvTranspose{n}d({cout}, {args})" if lazy else f"nn.ConvTranspose{n}d({cin}, {cout}, {args})"
    call = "m(x)"
    if draw(st.booleans()):
        # output_size= in forward: in range, or just outside it
        spatial = shape[-n:]
        base = [(L - 1) * stride - 2 * padding + dilation * (k - 1) + 1 for L in spatial]
        extra = draw(st.integers(-1, stride))
        sizes = [b + extra for b in base]
        if draw(st.booleans()):
            sizes = list(shape[: len(shape) - n]) + sizes
        call = f"m(x, output_size={sizes})"
    code = f"m = {ctor}\ny = {call}"
    return code, {"x": (shape, draw(st.sampled_from(["float32"] * 8 + ["int64", "bool"])))}


@given(conv_transpose_case())
def test_conv_transpose_matches_torch(case):
    code, inputs = case
    check_transposed(code, inputs)


@st.composite
def functional_conv_transpose_case(draw):
    n = draw(st.integers(1, 3))
    g = draw(st.integers(1, 2))
    cin = g * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 1]))
    cout_g = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(n))
    x_c = draw(st.sampled_from([cin, cin, cin, cin + 1]))
    shape = _shape(draw, n, x_c, hi=6)
    stride, padding, op_ = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(0, 2))
    if draw(st.integers(0, 5)) == 0:
        stride = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.sampled_from([1, n, n + 1]))))
    code = f"y = F.conv_transpose{n}d(x, w, stride={stride}, padding={padding}, output_padding={op_}, groups={g})"
    return code, {"x": (shape, "float32"), "w": ((cin, cout_g) + k, "float32")}


@given(functional_conv_transpose_case())
def test_functional_conv_transpose_matches_torch(case):
    code, inputs = case
    check_transposed(code, inputs)


def test_conv_transpose_wrong_in_channels_is_the_cpu_error():
    # meta accepts it; CPU does not — the engine must side with CPU.
    t = check("y = nn.ConvTranspose2d(3, 4, 3)(x)", {"x": ((1, 5, 4, 4), "float32")}, code_expected="SL102")
    assert t.error is not None


def test_conv_padding_mode_checks():
    t = check("y = nn.Conv1d(2, 2, 3, padding=3, padding_mode='reflect')(x)", {"x": ((1, 2, 3), "float32")})
    assert t.error is not None
    check("y = nn.Conv1d(2, 2, 3, padding=3, padding_mode='circular')(x)", {"x": ((1, 2, 3), "float32")})
    check("y = nn.Conv2d(2, 2, 4, padding='same', dilation=2, padding_mode='reflect')(x)", {"x": ((1, 2, 5, 6), "float32")})
    t = check("y = nn.Conv2d(2, 2, 3, padding_mode='mirror')(x)", {"x": ((1, 2, 5, 6), "float32")}, code_expected="SL112")
    assert t.error is not None


def test_conv_symbolic_formulas():
    for n in (1, 2, 3):
        names = SPATIAL[n].split(", ")
        inputs = {"x": (("B", 3, *names), "float32")}
        for code in (f"y = nn.Conv{n}d(3, 4, 3, stride=2, padding=1, dilation=2)(x)",
                     f"y = nn.Conv{n}d(3, 4, 4, padding='same', padding_mode='replicate')(x)",
                     f"y = nn.ConvTranspose{n}d(3, 4, 3, stride=2, padding=1, output_padding=1)(x)",
                     f"y = nn.LazyConv{n}d(4, 2, stride=3)(x)"):
            for v in (7, 8, 13):
                check_symbolic(code, inputs, {"B": 2, **{s: v for s in names}})


def test_lazy_conv_infers_in_channels_and_checks_later_calls():
    from shapelens.analysis.analyze import eval_snippet
    from tests.ops.harness import abstract_inputs

    res = eval_snippet("m = nn.LazyConv2d(8, 3)\ny = m(x)\nz = m(x2)",
                       abstract_inputs({"x": ((2, 3, 8, 8), "float32"), "x2": ((2, 4, 8, 8), "float32")}))
    m = res.value("m")
    assert {k: tuple(d.value for d in v) for k, v in m.rule.params(m).items()} == {"weight": (8, 3, 3, 3), "bias": (8,)}
    assert any(f.code == "SL102" for f in res.errors)
