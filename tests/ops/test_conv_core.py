"""Convolution rules against torch: concrete shapes, errors, and the symbolic formula."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic


@st.composite
def conv2d_case(draw):
    cin = draw(st.integers(1, 6))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if cin % g == 0]))
    cout = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.one_of(st.integers(0, 2), st.sampled_from(["'same'", "'valid'"])))
    if padding == "'same'":
        stride = 1
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    x_c = draw(st.sampled_from([cin, cin, cin, cin + 1]))  # sometimes the wrong channel count
    batched = draw(st.booleans())
    shape = (2, x_c, h, w) if batched else (x_c, h, w)
    code = f"y = nn.Conv2d({cin}, {cout}, {k}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups})(x)"
    return code, {"x": (shape, "float32")}


@given(conv2d_case())
def test_conv2d_matches_torch(case):
    code, inputs = case
    check(code, inputs)


def test_conv2d_symbolic_formula():
    code = "y = nn.Conv2d(3, 8, 3, stride=2, padding=1)(x)"
    for h, w in [(7, 9), (28, 28), (31, 2)]:
        check_symbolic(code, {"x": (("B", 3, "H", "W"), "float32")}, {"B": 2, "H": h, "W": w})


def test_kernel_larger_than_input_is_an_error_naming_the_size():
    t = check("y = nn.Conv2d(8, 8, 5)(x)", {"x": ((1, 8, 3, 3), "float32")}, code_expected="SL111")
    assert t.error is not None
