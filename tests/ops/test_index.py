"""Indexing against torch: ints, slices with steps and negative bounds, None, ..., int lists and
tensors, bool lists and masks (data-dependent counts are unknown dims), advanced-index
placement, and view() after basic indexing."""

from hypothesis import given, strategies as st

import torch

from shapelens.analysis.analyze import SNIPPET_PRELUDE
from tests.ops.harness import _make, _torch_shapes, check, check_symbolic, run_engine
from tests.ops.test_reshape import symbolic_agrees


def check_unknown_counts(code, inputs, result="y"):
    """Like check(), for results with data-dependent sizes (run on CPU only, since the meta device
    cannot count a mask): the engine's `?` matches any size."""
    ns = {}
    exec(SNIPPET_PRELUDE, ns)
    torch.manual_seed(0)
    for k, spec in inputs.items():
        ns[k] = _make(spec, "cpu")
    error = None
    try:
        exec(code, ns)
    except Exception as ex:  # torch's verdict
        error = ex
    e = run_engine(code, inputs, result)
    if error is not None:
        assert e.errors, f"torch raised {error!r} but the engine did not\n{code}\n{inputs}"
        return
    shapes = _torch_shapes(ns.get(result))
    assert not e.errors, f"engine errors {[f.message for f in e.errors]}\n{code}\n{inputs}"

    class T:
        shapes = None

    t = T()
    t.shapes = shapes

    def match(a, b):
        if isinstance(a, tuple) and isinstance(b, tuple):
            return len(a) == len(b) and all(match(x, y) for x, y in zip(a, b))
        return a == b or (isinstance(a, str) and "?" in a and isinstance(b, int))

    assert match(e.shapes, t.shapes), f"engine {e.shapes} vs torch {t.shapes}\n{code}\n{inputs}"


shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
bound = st.one_of(st.none(), st.integers(-7, 7))


@st.composite
def basic_index(draw, rank):
    parts = []
    used = 0
    ellipsis = False
    for _ in range(draw(st.integers(0, rank + 2))):
        kind = draw(st.sampled_from(["int", "slice", "slice", "none", "ellipsis"]))
        if kind == "int":
            parts.append(str(draw(st.integers(-6, 6))))
            used += 1
        elif kind == "slice":
            a, b = draw(bound), draw(bound)
            step = draw(st.sampled_from([None, None, 1, 2, 3]))
            s = f"{'' if a is None else a}:{'' if b is None else b}" + ("" if step is None else f":{step}")
            parts.append(s)
            used += 1
        elif kind == "none":
            parts.append("None")
        elif not ellipsis:
            parts.append("...")
            ellipsis = True
    return parts


@st.composite
def getitem_case(draw):
    shape = draw(shapes)
    parts = draw(basic_index(len(shape)))
    if parts and draw(st.integers(0, 2)) == 0:  # an advanced index somewhere
        # Index tensors hold zeros: indexing an empty dim with them fails on the data, not the shape.
        shape = tuple(max(s, 1) for s in shape)
        i = draw(st.integers(0, len(parts)))
        kind = draw(st.sampled_from(["list", "tensor", "nested", "bools"]))
        if kind == "list":
            adv = str(draw(st.lists(st.integers(-5, 5), max_size=3)))
        elif kind == "tensor":
            # (a 0-dim index tensor is read with .item(), which the meta device cannot do)
            adv = f"torch.zeros({tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))}, dtype=torch.long)"
        elif kind == "nested":
            adv = str([draw(st.lists(st.integers(-3, 3), min_size=2, max_size=2)) for _ in range(2)])
        else:
            adv = str(draw(st.lists(st.booleans(), min_size=1, max_size=5)))
        parts.insert(i, adv)
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), str(draw(st.lists(st.integers(0, 2), min_size=1, max_size=2))))
    code = f"y = x[{', '.join(parts)}]" if parts else "y = x[...]"
    if draw(st.integers(0, 3)) == 0:
        code += "\ny = y.view(-1)"
    return code, {"x": (shape, "float32")}


@given(getitem_case())
def test_getitem_matches_torch(case):
    check(*case)


@given(shapes, st.integers(0, 3), st.booleans())
def test_boolean_masks_match_torch(shape, k, prefix):
    k = min(k, len(shape))
    mask_shape = shape[:k]
    if prefix and mask_shape:
        mask_shape = mask_shape[:-1] + (mask_shape[-1] + 1,)  # sometimes the wrong size
    code = "y = x[m]" if k == 0 or not prefix else "y = x[m, ...]"
    check_unknown_counts(code, {"x": (shape, "float32"), "m": (mask_shape, "bool")})
    check_unknown_counts("y = x[x > 0]", {"x": (shape, "float32")})


def test_index_errors_and_edges():
    x = {"x": ((2, 3, 4), "float32")}
    for code in ["y = x[5]", "y = x[0, 0, 0, 0]", "y = x[:, [3]]", "y = x[0.5]", "y = x[[]]", "y = x[True]", "y = x[False]",
                 "y = x[[[0, 1], [1, 0]]]", "y = x[[0, 1], None, [0, 1]]", "y = x[:, ::2].view(-1)", "y = x[:, None, 1].view(2, 4)",
                 "y = x[torch.zeros(2, dtype=torch.float32)]"]:
        check(code, x)


def test_symbolic_slicing():
    sym = {"x": (("B", "T", "D"), "float32")}
    env = {"B": 2, "T": 9, "D": 4}
    for code in ["y = x[:, 1:]", "y = x[:, :-1]", "y = x[:, ::2]", "y = x[..., None, 0]", "y = x[0]", "y = x[:, -1]"]:
        check_symbolic(code, sym, env)


@given(getitem_case())
def test_symbolic_getitem_agrees_with_torch(case):
    symbolic_agrees(*case)
