"""Activation and dropout rules against torch: every activation class torch.nn has, their
functional and torch.* forms, Softmax dims, GLU halving, PReLU channels, dropout rank rules."""

import torch
from hypothesis import given, strategies as st

from shapelens.ops import REGISTRY
from tests.ops.harness import check

ACTIVATIONS = [n for n in torch.nn.modules.activation.__all__ if n != "MultiheadAttention"]
DROPOUTS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


def test_every_activation_and_dropout_class_has_a_rule():
    missing = [n for n in ACTIVATIONS + DROPOUTS if REGISTRY.layer(f"torch.nn.{n}") is None]
    assert not missing


def _ctor_args(draw, name, x):
    """Constructor arguments, valid most of the time."""
    rank = len(x)
    dim = draw(st.integers(-rank - 1, rank)) if draw(st.integers(0, 4)) else None
    f = lambda lo, hi: draw(st.sampled_from([lo, hi, (lo + hi) / 2]))
    return {
        "Threshold": f"{f(-1, 1)}, {f(-2, 2)}",
        "RReLU": f"{f(0.0, 0.5)}, {f(0.1, 0.4)}",
        "Hardtanh": f"{f(-2, 0.5)}, {f(0.0, 2)}",
        "ELU": f"alpha={f(0.0, 2.0)}",
        "CELU": f"alpha={draw(st.sampled_from([1.0, 0.5, 0.0]))}",
        "GLU": f"dim={draw(st.integers(-rank - 1, rank))}",
        "GELU": f"approximate={draw(st.sampled_from(['none', 'tanh', 'tanh', 'exact']))!r}",
        "Hardshrink": f"{f(-0.5, 1.0)}",
        "Softshrink": f"{draw(st.sampled_from([0.5, 0.0, -0.5]))}",
        "LeakyReLU": f"{f(-0.1, 0.2)}",
        "Softplus": f"beta={f(0.5, 2.0)}, threshold={f(1.0, 20.0)}",
        "PReLU": f"{draw(st.sampled_from([1, 1, x[1] if rank > 1 else 1, (x[1] if rank > 1 else 1) + 1, 0]))}",
        "Softmax": "" if dim is None else f"dim={dim}",
        "Softmin": "" if dim is None else f"dim={dim}",
        "LogSoftmax": "" if dim is None else f"dim={dim}",
    }.get(name, "")


@st.composite
def activation_case(draw):
    name = draw(st.sampled_from(ACTIVATIONS))
    x = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=5)))
    return f"y = nn.{name}({_ctor_args(draw, name, x)})(x)", {"x": (x, "float32")}


@given(activation_case())
def test_every_activation_class_matches_torch(case):
    check(*case)


@st.composite
def dropout_case(draw):
    name = draw(st.sampled_from(DROPOUTS))
    x = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=6)))
    p = draw(st.sampled_from([0.5, 0.0, 1.0, 0.2, 1.5, -0.1]))
    return f"y = nn.{name}(p={p})(x)", {"x": (x, "float32")}


@given(dropout_case())
def test_dropout_layers_match_torch(case):
    check(*case)


FUNCTIONAL = {
    "F.relu(x)": None, "F.relu6(x)": None, "F.selu(x)": None, "F.silu(x)": None, "F.mish(x)": None,
    "F.hardswish(x)": None, "F.hardsigmoid(x)": None, "F.sigmoid(x)": None, "F.tanh(x)": None,
    "F.softsign(x)": None, "F.tanhshrink(x)": None, "F.logsigmoid(x)": None, "F.elu(x, 0.5)": None,
    "F.leaky_relu(x, 0.2)": None, "F.hardshrink(x, 0.3)": None, "F.softplus(x, beta=2)": None,
    "F.threshold(x, 0.1, 2.0)": None, "F.hardtanh(x, -2.0, 2.0)": None, "F.gelu(x, approximate='tanh')": None,
    "F.softshrink(x, 0.5)": None, "F.celu(x, 2.0)": None, "F.rrelu(x, 0.1, 0.3, training=True)": None,
    "F.rrelu(x, 0.3, 0.1, training=True)": None,
    "F.dropout(x, 0.3)": None, "F.dropout(x, 1.2)": None, "F.alpha_dropout(x, 0.3, True)": None,
    "F.dropout1d(x, 0.3)": None, "F.dropout2d(x, 0.3)": None, "F.dropout2d(x, 0.3, training=False)": None,
    "F.dropout3d(x, 0.3)": None, "F.feature_alpha_dropout(x, 0.3, True)": None,
    "F.softmax(x, dim=D)": None, "F.gumbel_softmax(x, dim=D)": None, "F.gumbel_softmax(x, tau=0.5, hard=True, dim=D)": None, "F.log_softmax(x, D)": None, "F.softmin(x, D)": None, "F.glu(x, D)": None,
    "torch.softmax(x, D)": None, "torch.log_softmax(x, D, dtype=torch.float64)": None, "x.softmax(D)": None,
    "x.log_softmax(dim=D)": None, "torch.special.softmax(x, D)": None, "torch.special.log_softmax(x, D)": None,
    "torch.relu(x)": None, "torch.sigmoid(x)": None, "torch.tanh(x)": None, "torch.selu(x)": None,
    "torch.celu(x)": None, "torch.threshold(x, 0.5, 1.0)": None, "torch.hardshrink(x)": None,
    "torch.rrelu(x)": None, "x.relu()": None, "x.sigmoid()": None, "x.tanh()": None, "x.hardshrink(0.2)": None,
    "torch.dropout(x, 0.2, True)": None, "torch.feature_dropout(x, 0.2, True)": None,
    "torch.alpha_dropout(x, 0.2, True)": None, "torch.feature_alpha_dropout(x, 0.2, False)": None,
    "F.prelu(x, w)": None, "torch.prelu(x, w)": None, "x.prelu(w)": None,
}


@st.composite
def functional_case(draw):
    form = draw(st.sampled_from(sorted(FUNCTIONAL)))
    x = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=4)))
    d = draw(st.integers(-len(x) - 1, len(x)))
    inputs = {"x": (x, "float32")}
    if "(x, w)" in form or "prelu(w)" in form:
        c = x[1] if len(x) > 1 else 1
        inputs["w"] = (draw(st.sampled_from([(c,), (1,), (), (c + 1,), (c, 1)])), "float32")
    return "y = " + form.replace("D", str(d)), inputs


@given(functional_case())
def test_functional_and_tensor_forms_match_torch(case):
    check(*case)


def test_glu_halves_the_dim():
    check("y = nn.GLU(1)(x)", {"x": ((2, 6, 5), "float32")})
    check("y = F.glu(x, 1)", {"x": ((2, 5, 5), "float32")}, code_expected="SL112")


def test_prelu_channel_mismatch_message():
    check("y = nn.PReLU(8)(x)", {"x": ((2, 6, 5), "float32")}, code_expected="SL102")


def test_float_valued_activations_of_integers_are_float_like_torch():
    import torch

    from shapelens.analysis.analyze import eval_snippet
    from tests.ops.harness import abstract_inputs

    for fn in ("torch.sigmoid(x)", "torch.tanh(x)", "x.sigmoid()", "F.relu(x)", "torch.relu(x)"):
        got = eval_snippet(f"y = {fn}", abstract_inputs({"x": ((3,), "int64")})).value("y").dtype
        ns = {"torch": torch, "F": torch.nn.functional, "x": torch.ones(3, dtype=torch.int64)}
        want = str(eval(fn, ns).dtype).replace("torch.", "")
        assert got == want, (fn, got, want)
