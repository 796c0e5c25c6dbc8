"""F.pad and the padding layers against torch: crop, reflect/replicate/circular limits, ranks."""

from hypothesis import assume, given, strategies as st

from tests.ops.harness import check, check_symbolic

MODES = ["constant", "reflect", "replicate", "circular"]


@st.composite
def f_pad_case(draw):
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    k = draw(st.integers(1, 4))
    pad = [draw(st.integers(-5, 5)) for _ in range(2 * k)]
    if draw(st.integers(0, 10)) == 0:
        pad = pad[:-1]
    mode = draw(st.sampled_from(MODES))
    value = draw(st.sampled_from(["", "", ", value=0", ", value=1.5"]))
    if mode == "circular":  # cropping more than a whole dim is outside the rule (unknown)
        assume(all(p >= -shape[rank - 1 - i // 2] for i, p in enumerate(pad) if i // 2 < rank))
    return f"y = F.pad(x, {tuple(pad)}, mode='{mode}'{value})", {"x": (shape, "float32")}


@given(f_pad_case())
def test_f_pad_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def pad_layer_case(draw):
    kind = draw(st.sampled_from(["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]))
    n = draw(st.integers(1, 3))
    rank = draw(st.sampled_from([n, n + 1, n + 1, n + 2, n + 2, n + 3]))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    if draw(st.booleans()):
        padding = draw(st.integers(-2, 4))
    else:
        padding = tuple(draw(st.integers(-2, 4)) for _ in range(2 * n))
    args = f"{padding}, 2.0" if kind == "ConstantPad" else f"{padding}"
    if kind == "CircularPad":
        pads = [padding] * (2 * n) if isinstance(padding, int) else list(padding)
        assume(all(p >= -shape[len(shape) - 1 - i // 2] for i, p in enumerate(pads) if i // 2 < len(shape)))
    return f"y = nn.{kind}{n}d({args})(x)", {"x": (shape, "float32")}


@given(pad_layer_case())
def test_pad_layers_match_torch(case):
    code, inputs = case
    check(code, inputs)


def test_negative_padding_crops_and_reflect_limit():
    check("y = F.pad(x, (-1, -2))", {"x": ((2, 5), "float32")})
    t = check("y = F.pad(x, (3, 0), mode='reflect')", {"x": ((2, 3), "float32")}, code_expected="SL112")
    assert t.error is not None


def test_pad_symbolic():
    for code in ("y = F.pad(x, (1, 2, 3, 4))", "y = nn.ReflectionPad2d(1)(x)", "y = nn.CircularPad2d((1, 0, 2, 1))(x)",
                 "y = F.pad(x, (-1, -1), mode='replicate')"):
        for h, w in ((3, 4), (5, 9)):
            check_symbolic(code, {"x": (("B", 3, "H", "W"), "float32")}, {"B": 2, "H": h, "W": w})
