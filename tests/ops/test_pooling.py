"""Pooling against torch: max/avg/LP pooling 1d/2d/3d, adaptive pooling, MaxUnpool."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic


def _shape(draw, n, hi=8):
    hi = hi if n < 3 else 5
    rank = draw(st.sampled_from([n + 1, n + 2, n + 2, n + 2, n, n + 3]))
    return tuple(draw(st.integers(1, 3)) for _ in range(max(rank - n, 0))) + tuple(draw(st.integers(1, hi)) for _ in range(min(rank, n)))


def _tup(draw, n, lo, hi):
    return draw(st.one_of(st.integers(lo, hi), st.tuples(*[st.integers(lo, hi)] * n), st.tuples(st.integers(lo, hi)),
                          st.tuples(*[st.integers(lo, hi)] * (n + 1))))


@st.composite
def pool_case(draw):
    n = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["max", "avg", "lp"]))
    k = _tup(draw, n, 0, 4) if draw(st.integers(0, 8)) == 0 else draw(st.one_of(st.integers(1, 4), st.tuples(*[st.integers(1, 4)] * n)))
    stride = draw(st.sampled_from([None, 1, 2, 3, (2,) * n, 0]))
    padding = draw(st.sampled_from([0, 0, 1, 2, (1,) * n, -1]))
    ceil = draw(st.booleans())
    shape = _shape(draw, n)
    functional = draw(st.booleans())
    if kind == "max":
        dil = draw(st.sampled_from([1, 1, 2, (1,) * n]))
        ri = draw(st.booleans())
        if functional:
            code = f"y = F.max_pool{n}d(x, {k}, stride={stride}, padding={padding}, dilation={dil}, ceil_mode={ceil}, return_indices={ri})"
        else:
            code = f"y = nn.MaxPool{n}d({k}, stride={stride}, padding={padding}, dilation={dil}, return_indices={ri}, ceil_mode={ceil})(x)"
    elif kind == "avg":
        cip = draw(st.booleans())
        div = "" if n == 1 else f", divisor_override={draw(st.sampled_from([None, None, 2, 0]))}"
        if functional:
            code = f"y = F.avg_pool{n}d(x, {k}, stride={stride}, padding={padding}, ceil_mode={ceil}, count_include_pad={cip}{div})"
        else:
            code = f"y = nn.AvgPool{n}d({k}, stride={stride}, padding={padding}, ceil_mode={ceil}, count_include_pad={cip}{div})(x)"
    else:
        p = draw(st.sampled_from([1, 2, 3.0]))
        if functional:
            code = f"y = F.lp_pool{n}d(x, {p}, {k}, stride={stride}, ceil_mode={ceil})"
        else:
            code = f"y = nn.LPPool{n}d({p}, {k}, stride={stride}, ceil_mode={ceil})(x)"
    return code, {"x": (shape, "float32")}


@given(pool_case())
def test_pooling_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def adaptive_case(draw):
    n = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["Avg", "Max"]))
    vals = st.integers(-1, 6) if draw(st.integers(0, 6)) == 0 else st.integers(0, 6)
    if n > 1 and draw(st.booleans()):
        size = tuple(draw(st.one_of(vals, st.none())) for _ in range(draw(st.sampled_from([n, n, n, n - 1]))))
    else:
        size = draw(vals)
    shape = _shape(draw, n)
    if draw(st.booleans()):
        ri = ", return_indices=True" if kind == "Max" and draw(st.booleans()) else ""
        code = f"y = nn.Adaptive{kind}Pool{n}d({size}{ri})(x)"
    else:
        code = f"y = F.adaptive_{kind.lower()}_pool{n}d(x, {size})"
    return code, {"x": (shape, "float32")}


@given(adaptive_case())
def test_adaptive_pooling_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def unpool_case(draw):
    n = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    spatial = tuple(draw(st.integers(k, 7)) for _ in range(n))
    shape = (2, 2) + spatial
    mode = draw(st.sampled_from(["exact", "default_fit", "bad", "wrong_len"]))
    if mode == "exact":
        osz = ", output_size=x.shape[2:]"
    elif mode == "bad":
        osz = f", output_size={tuple(v + 3 * s for v in spatial)}"
    elif mode == "wrong_len":
        osz = f", output_size={spatial + (1,)}"
    else:
        osz = ""
        # the default size covers the pooled input only when the windows tile it exactly
        spatial = tuple(((v + 2 * p - k) // s) * s + k - 2 * p for v in spatial)
        shape = (2, 2) + spatial
    layer = draw(st.booleans())
    pool = f"y0, i = F.max_pool{n}d(x, {k}, {s}, {p}, return_indices=True)\n"
    if layer:
        code = pool + f"y = nn.MaxUnpool{n}d({k}, {s}, {p})(y0, i{osz})"
    else:
        code = pool + f"y = F.max_unpool{n}d(y0, i, {k}, {s}, {p}{osz})"
    return code, {"x": (shape, "float32")}


@given(unpool_case())
def test_max_unpool_matches_torch(case):
    code, inputs = case
    check(code, inputs)


def test_max_unpool_indices_must_match_input():
    t = check("y = F.max_unpool2d(x, i, 2)", {"x": ((1, 2, 3, 3), "float32"), "i": ((1, 2, 3, 4), "int64", "randint:1")})
    assert t.error is not None


def test_pooling_symbolic():
    inputs = {"x": (("B", 3, "H", "W"), "float32")}
    for code in ("y = nn.MaxPool2d(3, 2, 1)(x)", "y = nn.AvgPool2d(2)(x)", "y = nn.MaxPool2d(2, dilation=2, padding=1)(x)",
                 "y = nn.LPPool2d(2, 3, stride=2)(x)", "y = nn.AdaptiveAvgPool2d((None, 3))(x)"):
        for h, w in ((7, 9), (16, 16), (5, 12)):
            check_symbolic(code, inputs, {"B": 2, "H": h, "W": w})
