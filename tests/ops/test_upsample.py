"""F.interpolate / nn.Upsample against torch: every mode, size or scale_factor, and the errors."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic

MODES = ["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"]
SCALES = [0.5, 1.0, 1.1, 1.5, 2, 2.0, 3, 0.3, 0.7, 1.7, 0.01]


@st.composite
def interpolate_case(draw):
    mode = draw(st.sampled_from(MODES))
    rank = draw(st.sampled_from([2, 3, 3, 4, 4, 5, 5]))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(min(rank, 2))) + tuple(draw(st.integers(1, 7)) for _ in range(rank - 2))
    n = draw(st.sampled_from([rank - 2, rank - 2, rank - 2, rank - 1]))
    which = draw(st.sampled_from(["size", "size_seq", "scale", "scale_seq", "both", "neither"]))
    kw = []
    if which in ("size", "both"):
        kw.append(f"size={draw(st.integers(0, 9))}")
    if which == "size_seq":
        kw.append(f"size={tuple(draw(st.integers(1, 9)) for _ in range(max(n, 0)))}")
    if which in ("scale", "both"):
        kw.append(f"scale_factor={draw(st.sampled_from(SCALES))}")
    if which == "scale_seq":
        kw.append(f"scale_factor={tuple(draw(st.sampled_from(SCALES)) for _ in range(max(n, 0)))}")
    ac = draw(st.sampled_from([None, None, True, False]))
    if ac is not None:
        kw.append(f"align_corners={ac}")
    rsf = draw(st.sampled_from([None, None, True, False]))
    if rsf is not None:
        kw.append(f"recompute_scale_factor={rsf}")
    if draw(st.integers(0, 6)) == 0:
        kw.append("antialias=True")
    layer = draw(st.integers(0, 3)) == 0 and "antialias" not in " ".join(kw)
    if layer:
        code = f"y = nn.Upsample({', '.join(kw + [f'mode={mode!r}'])})(x)"
    else:
        code = f"y = F.interpolate(x, {', '.join(kw + [f'mode={mode!r}'])})"
    return code, {"x": (shape, "float32")}


@given(interpolate_case())
def test_interpolate_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def upsampling_layer_case(draw):
    kind = draw(st.sampled_from(["UpsamplingNearest2d", "UpsamplingBilinear2d"]))
    rank = draw(st.sampled_from([3, 4, 4, 5]))
    shape = (2, 3) + tuple(draw(st.integers(1, 6)) for _ in range(rank - 2))
    arg = draw(st.sampled_from(["scale_factor=2", "scale_factor=1.5", "size=5", "size=(4, 6)", "scale_factor=(2, 3)"]))
    return f"y = nn.{kind}({arg})(x)", {"x": (shape, "float32")}


@given(upsampling_layer_case())
def test_upsampling_layers_match_torch(case):
    code, inputs = case
    check(code, inputs)


def test_functional_upsample_aliases():
    check("y = F.upsample_nearest(x, scale_factor=2)", {"x": ((1, 3, 4, 5), "float32")})
    check("y = F.upsample_bilinear(x, size=(7, 3))", {"x": ((1, 3, 4, 5), "float32")})
    check("y = F.upsample(x, scale_factor=3, mode='trilinear')", {"x": ((1, 3, 2, 4, 5), "float32")})


def test_interpolate_symbolic():
    inputs = {"x": (("B", 3, "H", "W"), "float32")}
    for code in ("y = F.interpolate(x, scale_factor=2)", "y = F.interpolate(x, scale_factor=1.5, mode='bilinear')",
                 "y = nn.Upsample(scale_factor=(0.5, 3.0), mode='bicubic')(x)", "y = F.interpolate(x, size=(5, 7), mode='area')",
                 "y = F.interpolate(x, scale_factor=0.7, mode='area')", "y = F.interpolate(x, scale_factor=x.shape[0])"):
        for h, w in ((7, 9), (10, 10), (33, 4)):
            check_symbolic(code, inputs, {"B": 2, "H": h, "W": w})


def test_rank_mode_mismatch_is_an_error():
    t = check("y = F.interpolate(x, scale_factor=2, mode='bilinear')", {"x": ((2, 3, 8), "float32")}, code_expected="SL105")
    assert t.error is not None
