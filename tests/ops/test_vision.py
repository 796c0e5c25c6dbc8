"""Fold/Unfold, PixelShuffle/PixelUnshuffle and ChannelShuffle against torch."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic


@st.composite
def unfold_case(draw):
    rank = draw(st.sampled_from([2, 3, 4, 4, 4, 5]))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(max(rank - 2, 0))) + tuple(draw(st.integers(1, 8)) for _ in range(min(rank, 2)))
    k = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(0, 4), st.integers(1, 4))))
    kw = f"kernel_size={k}, dilation={draw(st.integers(1, 2))}, padding={draw(st.integers(0, 2))}, stride={draw(st.integers(1, 3))}"
    if draw(st.booleans()):
        code = f"y = nn.Unfold({kw})(x)"
    else:
        code = f"y = F.unfold(x, {kw})"
    return code, {"x": (shape, "float32")}


@given(unfold_case())
def test_unfold_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def fold_case(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    oh, ow = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    d, p, s = draw(st.integers(1, 2)), draw(st.integers(0, 2)), draw(st.integers(1, 3))

    def blocks(o, k):
        return (o + 2 * p - (d * (k - 1) + 1)) // s + 1

    L = blocks(oh, kh) * blocks(ow, kw) + draw(st.sampled_from([0, 0, 0, 1, -1]))
    c = draw(st.integers(1, 3)) * kh * kw + draw(st.sampled_from([0, 0, 0, 1]))
    batched = draw(st.sampled_from([True, False]))
    shape = ((2,) if batched else ()) + (c, max(L, 1))
    args = f"output_size=({oh}, {ow}), kernel_size=({kh}, {kw}), dilation={d}, padding={p}, stride={s}"
    code = f"y = nn.Fold({args})(x)" if draw(st.booleans()) else f"y = F.fold(x, {args})"
    return code, {"x": (shape, "float32")}


@given(fold_case())
def test_fold_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def shuffle_case(draw):
    kind = draw(st.sampled_from(["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]))
    r = draw(st.integers(0, 3))
    rank = draw(st.sampled_from([2, 3, 4, 4, 5]))
    shape = tuple(draw(st.integers(1, 9)) for _ in range(rank))
    functional = {"PixelShuffle": "pixel_shuffle", "PixelUnshuffle": "pixel_unshuffle", "ChannelShuffle": "channel_shuffle"}[kind]
    code = f"y = nn.{kind}({r})(x)" if draw(st.booleans()) else f"y = F.{functional}(x, {r})"
    return code, {"x": (shape, "float32")}


@given(shuffle_case())
def test_shuffles_match_torch(case):
    code, inputs = case
    check(code, inputs)


def test_vision_symbolic():
    inputs = {"x": (("B", "C", "H", "W"), "float32")}
    env = {"B": 2, "C": 8, "H": 6, "W": 10}
    for code in ("y = F.unfold(x, 3, padding=1, stride=2)", "y = nn.PixelUnshuffle(2)(x)", "y = nn.PixelShuffle(2)(x)"):
        check_symbolic(code, inputs, env)
