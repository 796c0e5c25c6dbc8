"""torch.meshgrid against torch: varargs or a list, 0-D/1-D inputs (others rejected), both
indexings, mixed dtypes, bad indexing strings."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic


@st.composite
def meshgrid_case(draw):
    n = draw(st.integers(0, 4))
    inputs = {}
    for i in range(n):
        rank = draw(st.sampled_from([0, 1, 1, 1, 2]))
        shape = tuple(draw(st.integers(0, 4)) for _ in range(rank))
        inputs[f"t{i}"] = (shape, draw(st.sampled_from(["float32", "float32", "int64"])))
    names = ", ".join(inputs)
    args = f"[{names}]" if draw(st.booleans()) else names
    indexing = draw(st.sampled_from([None, "'ij'", "'xy'", "'yx'"]))
    if indexing is not None:
        args = f"{args}, indexing={indexing}" if args else f"indexing={indexing}"
    return f"y = torch.meshgrid({args})", inputs


@given(meshgrid_case())
def test_meshgrid_matches_torch(case):
    check(*case)


def test_meshgrid_symbolic():
    inputs = {"a": (("H",), "float32"), "b": (("W",), "float32")}
    for i in (0, 1):
        check_symbolic(f"y = torch.meshgrid(a, b, indexing='ij')[{i}]", inputs, {"H": 3, "W": 5})
        check_symbolic(f"y = torch.meshgrid([a, b], indexing='xy')[{i}]", inputs, {"H": 3, "W": 5})
