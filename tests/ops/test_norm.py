"""Normalization layers and functions against torch: ranks, feature counts, groups, the
one-value-per-channel guards, lazy inference."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic


def _shape(draw, rank, c):
    dims = [draw(st.integers(1, 3)) for _ in range(rank)]
    if rank >= 2:
        dims[1] = c
    elif rank == 1:
        dims[0] = c
    return tuple(dims)


@st.composite
def batch_norm_case(draw):
    n = draw(st.integers(1, 3))
    nf = draw(st.integers(1, 4))
    c = draw(st.sampled_from([nf, nf, nf, nf + 1]))
    rank = draw(st.sampled_from({1: [1, 2, 3, 4], 2: [3, 4, 4, 5], 3: [4, 5, 5, 6]}[n]))
    shape = _shape(draw, rank, c)
    affine, track = draw(st.booleans()), draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        code = f"m = nn.LazyBatchNorm{n}d(affine={affine}, track_running_stats={track})\ny = m(x)"
    else:
        code = f"y = nn.BatchNorm{n}d({nf}, affine={affine}, track_running_stats={track})(x)"
    return code, {"x": (shape, "float32")}


@given(batch_norm_case())
def test_batch_norm_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def instance_norm_case(draw):
    n = draw(st.integers(1, 3))
    nf = draw(st.integers(1, 4))
    c = draw(st.sampled_from([nf, nf, nf + 1]))
    rank = draw(st.sampled_from([n, n + 1, n + 2, n + 2, n + 3]))
    dims = [draw(st.integers(1, 3)) for _ in range(rank)]
    if rank in (n + 1, n + 2):
        dims[rank - n - 1] = c
    affine, track = draw(st.booleans()), draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        code = f"m = nn.LazyInstanceNorm{n}d(affine={affine}, track_running_stats={track})\ny = m(x)"
    else:
        code = f"y = nn.InstanceNorm{n}d({nf}, affine={affine}, track_running_stats={track})(x)"
    return code, {"x": (tuple(dims), "float32")}


@given(instance_norm_case())
def test_instance_norm_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def group_norm_case(draw):
    g = draw(st.integers(1, 4))
    ch = g * draw(st.integers(1, 3)) + draw(st.sampled_from([0, 0, 0, 1]))
    c = draw(st.sampled_from([ch, ch, ch, ch + g, ch + 1]))
    rank = draw(st.sampled_from([1, 2, 3, 4, 4]))
    shape = _shape(draw, rank, c)
    affine = draw(st.booleans())
    if draw(st.booleans()):
        code = f"y = nn.GroupNorm({g}, {ch}, affine={affine})(x)"
    else:
        code = f"y = F.group_norm(x, {g})"
    return code, {"x": (shape, "float32")}


@given(group_norm_case())
def test_group_norm_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def layer_norm_case(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    k = draw(st.integers(1, 3))
    norm = list(shape[-k:]) if k <= rank else [2] * k
    if draw(st.integers(0, 3)) == 0:
        norm[draw(st.integers(0, len(norm) - 1))] += 1
    ns = norm[0] if len(norm) == 1 and draw(st.booleans()) else tuple(norm)
    kind = draw(st.sampled_from(["LayerNorm", "RMSNorm", "layer_norm", "rms_norm"]))
    if kind[0].isupper():
        extra = f", elementwise_affine={draw(st.booleans())}"
        if kind == "LayerNorm":
            extra += f", bias={draw(st.booleans())}"
        code = f"y = nn.{kind}({ns}{extra})(x)"
    else:
        code = f"y = F.{kind}(x, {tuple(norm)})"
    return code, {"x": (shape, "float32")}


@given(layer_norm_case())
def test_layer_norm_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def misc_norm_case(draw):
    rank = draw(st.integers(0, 5))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    kind = draw(st.sampled_from(["lrn", "flrn", "normalize"]))
    if kind == "lrn":
        code = f"y = nn.LocalResponseNorm({draw(st.integers(1, 4))})(x)"
    elif kind == "flrn":
        code = f"y = F.local_response_norm(x, {draw(st.integers(1, 4))})"
    else:
        code = f"y = F.normalize(x, p={draw(st.sampled_from([1, 2.0]))}, dim={draw(st.integers(-4, 4))})"
    return code, {"x": (shape, "float32")}


@given(misc_norm_case())
def test_misc_norm_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def functional_stats_case(draw):
    c = draw(st.integers(1, 4))
    rank = draw(st.integers(2, 4))
    shape = _shape(draw, rank, c)
    sizes = [draw(st.sampled_from([c, c, c + 1])) for _ in range(4)]
    inputs = {"x": (shape, "float32")}
    for name, n in zip(("rm", "rv", "w", "b"), sizes):
        inputs[name] = ((n,), "float32")
    kind = draw(st.sampled_from(["F.batch_norm", "F.instance_norm", "torch.batch_norm", "torch.instance_norm"]))
    flag = draw(st.booleans())
    if kind == "F.batch_norm":
        code = f"y = F.batch_norm(x, rm, rv, w, b, training={flag})"
    elif kind == "F.instance_norm":
        code = f"y = F.instance_norm(x, rm, rv, w, b, use_input_stats={flag})"
    else:  # torch.* take (weight, bias, running_mean, running_var, ...)
        code = f"y = {kind}(x, w, b, rm, rv, {flag}, 0.1, 1e-5, False)"
    return code, inputs


@given(functional_stats_case())
def test_functional_batch_instance_norm_match_torch(case):
    code, inputs = case
    check(code, inputs)


def test_group_norm_build_divisibility():
    t = check("y = nn.GroupNorm(4, 6)(x)", {"x": ((2, 6, 3), "float32")}, code_expected="SL112")
    assert t.error is not None


def test_norm_symbolic_keeps_shape():
    inputs = {"x": (("B", 8, "H", "W"), "float32")}
    for code in ("y = nn.BatchNorm2d(8)(x)", "y = nn.GroupNorm(4, 8)(x)", "y = nn.InstanceNorm2d(8)(x)",
                 "y = nn.LayerNorm(x.shape[1:])(x)"):
        check_symbolic(code, inputs, {"B": 2, "H": 3, "W": 5})
