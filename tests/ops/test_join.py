"""Joining against torch: cat/concat/concatenate/stack and the h/v/d/column stacks, atleast_Nd."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees

DT = st.sampled_from(["float32", "float32", "float64", "int64"])


@st.composite
def join_case(draw):
    base = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
    n = draw(st.integers(1, 3))
    inputs = {}
    for i in range(n):
        shape = list(base)
        if shape and draw(st.booleans()):
            shape[draw(st.integers(0, len(shape) - 1))] = draw(st.integers(0, 3))
        if draw(st.integers(0, 8)) == 0:
            shape = shape + [1] if draw(st.booleans()) else shape[:-1]
        if draw(st.integers(0, 10)) == 0:
            shape = [0]  # the legacy empty tensor cat skips
        inputs[f"t{i}"] = (tuple(shape), draw(DT))
    names = ", ".join(inputs)
    r = len(base)
    dim = draw(st.integers(-r - 2, r + 1))
    fn = draw(st.sampled_from(["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
                               "column_stack", "atleast_1d", "atleast_2d", "atleast_3d"]))
    seq = f"({names},)" if draw(st.booleans()) else f"[{names}]"
    if fn in ("cat", "concat", "stack"):
        code = f"y = torch.{fn}({seq}, {dim})" if draw(st.booleans()) else f"y = torch.{fn}({seq}, dim={dim})"
    elif fn == "concatenate":
        code = f"y = torch.concatenate({seq}, axis={dim})"
    elif fn.startswith("atleast"):
        code = f"y = torch.{fn}({names})"
    else:
        code = f"y = torch.{fn}({seq})"
    return code, inputs


@given(join_case())
def test_joining_matches_torch(case):
    check(*case)


def test_cat_of_nothing_is_an_error():
    check("y = torch.cat([])", {}, code_expected="SL110")
    check("y = torch.stack([])", {}, code_expected="SL110")


def test_symbolic_cat_and_stack():
    inputs = {"a": (("B", "C"), "float32"), "b": (("B", "D"), "float32")}
    env = {"B": 2, "C": 3, "D": 5}
    check_symbolic("y = torch.cat([a, b], 1)", inputs, env)
    check_symbolic("y = torch.stack([a, a], -1)", inputs, env)
    check_symbolic("y = torch.hstack([a, b])", inputs, env)
    check_symbolic("y = torch.column_stack([a, b[:, 0]])", inputs, env)


@given(join_case())
def test_symbolic_joining_agrees_with_torch(case):
    symbolic_agrees(*case)
