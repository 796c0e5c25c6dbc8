"""Elements of small constant tensors against torch: every element ShapeLens states must be
torch's exactly; elements it cannot be sure of (torch's kernels round differently) are unknown."""

import torch
from hypothesis import given, strategies as st

from shapelens.analysis.analyze import eval_snippet
from shapelens.values import MISSING, ListV, as_const


def element(v):
    c = as_const(v)
    return None if c is MISSING else c


def stated(code: str, name: str = "e") -> list:
    v = eval_snippet(code).value(name)
    assert isinstance(v, ListV), v
    return [element(i) for i in v.items]


@given(st.integers(-40, 40), st.integers(-40, 80), st.integers(1, 40), st.sampled_from(["float32", "float64"]),
       st.sampled_from([1, 2, 4, 10]))
def test_linspace_elements_are_torchs_or_unknown(a, b, n, dtype, scale):
    code = f"e = torch.linspace({a / scale}, {b / scale}, {n}, dtype=torch.{dtype}).tolist()"
    want = torch.linspace(a / scale, b / scale, n, dtype=getattr(torch, dtype)).tolist()
    got = stated(code)
    assert len(got) == len(want)
    assert all(g is None or g == w for g, w in zip(got, want)), (code, got, want)
    assert got[0] == want[0] and got[-1] == want[-1]  # the ends are always known


@given(st.integers(0, 30), st.floats(0.5, 40, allow_nan=False), st.integers(8, 64), st.floats(1.5, 3.0), st.integers(1, 16))
def test_regnet_style_widths(depth, w_a, w_0, w_m, quant):
    code = (f"import math\ncont = torch.arange({depth}) * {w_a!r} + {w_0}\n"
            f"cap = torch.round(torch.log(cont / {w_0}) / math.log({w_m!r}))\n"
            f"e = (torch.round(torch.divide({w_0} * torch.pow({w_m!r}, cap), {quant})) * {quant}).int().tolist()")
    ns: dict = {"torch": torch}
    exec(code, ns)
    want = ns["e"]
    v = eval_snippet(code).value("e")
    got = [element(i) for i in v.items] if isinstance(v, ListV) else [None] * len(want)
    assert all(g is None or g == w for g, w in zip(got, want)), (code, got, want)


@given(st.integers(-20, 20), st.integers(-20, 40), st.sampled_from([1, 2, 3, 7]), st.sampled_from([1, 2, 4, 10]),
       st.sampled_from(["float32", "float64", "int64", None]))
def test_arange_elements_are_torchs(a, b, step, scale, dtype):
    if b < a:
        a, b = b, a
    if dtype == "int64" or dtype is None and scale == 1:
        args = f"{a}, {b}, {step}"
        t_args = (a, b, step)
    else:
        args = f"{a / scale}, {b / scale}, {step / scale}"
        t_args = (a / scale, b / scale, step / scale)
    kw = f", dtype=torch.{dtype}" if dtype else ""
    want = torch.arange(*t_args, **({"dtype": getattr(torch, dtype)} if dtype else {})).tolist()
    v = eval_snippet(f"e = torch.arange({args}{kw}).tolist()").value("e")
    got = [element(i) for i in v.items] if isinstance(v, ListV) else None
    assert got is None or all(g is None or g == w for g, w in zip(got, want)) and len(got) == len(want), (args, got, want)


def test_keyword_arguments_not_modelled_drop_the_elements():
    for code in ("e = torch.round(torch.tensor([1.234, 5.678]), decimals=1).tolist()",
                 "e = torch.add(torch.tensor([1, 2]), torch.tensor([3, 4]), alpha=2).tolist()",
                 "e = torch.div(torch.tensor([7, 9]), 2, rounding_mode='floor').tolist()"):
        v = eval_snippet(code).value("e")
        assert not isinstance(v, ListV) or all(element(i) is None for i in v.items), (code, v)
    assert stated("e = (torch.tensor([7, 9]) * 2 + 1).tolist()") == [15, 19]
