"""Linear family against torch (Linear, LazyLinear, Bilinear, Identity, Flatten, Unflatten),
and parameter counts of every learnable layer of this area against torch's modules."""

import torch
from hypothesis import given, strategies as st

from shapelens.analysis.analyze import SNIPPET_PRELUDE, eval_snippet
from shapelens.dims import prod
from tests.ops.harness import abstract_inputs, check, check_symbolic


@st.composite
def linear_case(draw):
    rank = draw(st.integers(0, 4))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    last = shape[-1] if shape else 3
    fin = draw(st.sampled_from([last, last, last + 1]))
    kind = draw(st.sampled_from(["Linear", "LazyLinear", "Identity", "flinear"]))
    if kind == "Linear":
        code = f"y = nn.Linear({fin}, {draw(st.integers(1, 4))}, bias={draw(st.booleans())})(x)"
    elif kind == "LazyLinear":
        code = f"m = nn.LazyLinear({draw(st.integers(1, 4))})\ny = m(x)"
    elif kind == "Identity":
        code = "y = nn.Identity(3, foo=2)(x)"
    else:
        return f"y = F.linear(x, w)", {"x": (shape, "float32"), "w": ((draw(st.integers(1, 3)), fin), "float32")}
    return code, {"x": (shape, "float32")}


@given(linear_case())
def test_linear_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def bilinear_case(draw):
    rank = draw(st.integers(1, 3))
    batch = tuple(draw(st.integers(1, 3)) for _ in range(rank - 1))
    in1, in2, out = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    b2 = batch if draw(st.integers(0, 4)) else tuple(v + 1 for v in batch) + draw(st.sampled_from([(), (2,)]))
    x1 = batch + (draw(st.sampled_from([in1, in1, in1 + 1])),)
    x2 = b2 + (draw(st.sampled_from([in2, in2, in2 + 1])),)
    inputs = {"a": (x1, "float32"), "b": (x2, "float32")}
    if draw(st.booleans()):
        code = f"y = nn.Bilinear({in1}, {in2}, {out}, bias={draw(st.booleans())})(a, b)"
    else:
        inputs["w"] = ((out, in1, in2), "float32")
        inputs["bb"] = ((draw(st.sampled_from([out, out, out + 1])),), "float32")
        code = "y = F.bilinear(a, b, w, bb)"
    return code, inputs


@given(bilinear_case())
def test_bilinear_matches_torch(case):
    code, inputs = case
    check(code, inputs)


@st.composite
def flatten_case(draw):
    rank = draw(st.integers(0, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    if draw(st.booleans()):
        code = f"y = nn.Flatten({draw(st.integers(-3, 3))}, {draw(st.integers(-3, 3))})(x)"
    else:
        dim = draw(st.integers(-3, 3))
        size = shape[dim] if -rank <= dim < rank else 4
        sizes = draw(st.sampled_from([(size, 1), (1, size), (-1, 1), (size, -1), (2, -1), (size + 1, 1), (2, 2), (-1, -1)]))
        if draw(st.integers(0, 8)) == 0:
            sizes = draw(st.sampled_from(["(2.0, 2)", "4"]))
        code = f"y = nn.Unflatten({dim}, {sizes})(x)"
    return code, {"x": (shape, "float32")}


@given(flatten_case())
def test_flatten_unflatten_match_torch(case):
    code, inputs = case
    check(code, inputs)


def test_lazy_linear_keeps_inferred_features():
    res = eval_snippet("m = nn.LazyLinear(5)\ny = m(x)\nz = m(x2)",
                       abstract_inputs({"x": ((2, 7), "float32"), "x2": ((2, 8), "float32")}))
    m = res.value("m")
    assert {k: tuple(d.value for d in v) for k, v in m.rule.params(m).items()} == {"weight": (5, 7), "bias": (5,)}
    assert any(f.code == "SL101" for f in res.errors)


def test_linear_symbolic():
    check_symbolic("y = nn.Bilinear(4, 5, 6)(a, b)", {"a": (("B", "T", 4), "float32"), "b": (("B", "T", 5), "float32")},
                   {"B": 2, "T": 3})
    check_symbolic("y = nn.Unflatten(1, (2, -1))(x)", {"x": (("B", 8), "float32")}, {"B": 3})


# parameter counts --------------------------------------------------------------------------------

def _layer_specs(draw):
    n = draw(st.integers(1, 3))
    c, o, g = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    cin, cout = c * g, o * g
    k = draw(st.one_of(st.integers(1, 3), st.tuples(*[st.integers(1, 3)] * n)))
    b = draw(st.booleans())
    affine, track = draw(st.booleans()), draw(st.booleans())
    spatial = (4,) * n
    x = (2, cin) + spatial
    return draw(st.sampled_from([
        (f"nn.Linear({cin}, {cout}, bias={b})", None),
        (f"nn.LazyLinear({cout}, bias={b})", (2, cin)),
        (f"nn.Bilinear({cin}, {o}, {cout}, bias={b})", None),
        (f"nn.Conv{n}d({cin}, {cout}, {k}, groups={g}, bias={b})", None),
        (f"nn.LazyConv{n}d({cout}, {k}, groups={g}, bias={b})", x),
        (f"nn.ConvTranspose{n}d({cin}, {cout}, {k}, groups={g}, bias={b})", None),
        (f"nn.LazyConvTranspose{n}d({cout}, {k}, groups={g}, bias={b})", x),
        (f"nn.BatchNorm{n}d({cin}, affine={affine}, track_running_stats={track})", None),
        (f"nn.LazyBatchNorm{n}d(affine={affine}, track_running_stats={track})", (2, cin) + ((4,) * n if n > 1 else (4,))),
        (f"nn.InstanceNorm{n}d({cin}, affine={affine})", None),
        (f"nn.LazyInstanceNorm{n}d(affine={affine}, track_running_stats={track})", (2, cin) + spatial),
        (f"nn.GroupNorm({g}, {cin}, affine={affine})", None),
        (f"nn.LayerNorm({(cin, cout)}, elementwise_affine={affine}, bias={b})", None),
        (f"nn.RMSNorm({cin}, elementwise_affine={affine})", None),
    ]))


@st.composite
def param_case(draw):
    return _layer_specs(draw)


@given(param_case())
def test_param_counts_match_torch(case):
    ctor, x_shape = case
    code = f"m = {ctor}" + ("\ny = m(x)" if x_shape else "")
    ns: dict = {}
    exec(SNIPPET_PRELUDE, ns)
    if x_shape:
        ns["x"] = torch.randn(x_shape)
    exec(code, ns)
    want = sum(p.numel() for p in ns["m"].parameters())
    res = eval_snippet(code, abstract_inputs({"x": (x_shape, "float32")} if x_shape else {}))
    assert not res.errors, [f.message for f in res.errors]
    m = res.value("m")
    params = m.rule.params(m)
    assert params is not None, code
    got = sum(prod(s).value for s in params.values())
    assert got == want, f"{code}: engine {got} ({params}) vs torch {want}"
