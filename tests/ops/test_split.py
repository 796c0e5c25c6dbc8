"""Splitting against torch: split/split_with_sizes/chunk/unbind/tensor_split/h-v-dsplit return
tuples whose parts have torch's shapes (the last chunk smaller)."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees

shapes = st.lists(st.integers(0, 7), min_size=0, max_size=3).map(tuple)


@st.composite
def split_case(draw):
    shape = draw(shapes)
    r = len(shape)
    dim = draw(st.integers(-r - 1, r))
    fn = draw(st.sampled_from(["split", "split_list", "split_with_sizes", "chunk", "unbind", "tensor_split",
                               "tensor_split_idx", "hsplit", "vsplit", "dsplit", "hsplit_idx"]))
    method = draw(st.booleans())
    size_at = shape[dim] if -r <= dim < r else 3

    def sizes():
        out, rest = [], size_at
        while rest > 0 and len(out) < 3:
            k = draw(st.integers(0, rest))
            out.append(k)
            rest -= k
        out.append(rest)
        if draw(st.integers(0, 5)) == 0:
            out[-1] += draw(st.sampled_from([-1, 1]))
        return out

    if fn == "split":
        arg = draw(st.integers(-1, 4))
        call = ("split", f"{arg}, {dim}")
    elif fn in ("split_list", "split_with_sizes"):
        call = ("split" if fn == "split_list" else "split_with_sizes", f"{sizes()}, {dim}")
    elif fn == "chunk":
        call = ("chunk", f"{draw(st.integers(-1, 5))}, {dim}")
    elif fn == "unbind":
        call = ("unbind", f"{dim}")
    elif fn == "tensor_split":
        call = ("tensor_split", f"{draw(st.integers(-1, 5))}, {dim}")
    elif fn == "tensor_split_idx":
        idx = draw(st.lists(st.integers(-4, 9), max_size=3))
        call = ("tensor_split", f"{idx}, {dim}")
    elif fn == "hsplit_idx":
        call = ("hsplit", f"{draw(st.lists(st.integers(-2, 8), max_size=3))}")
    else:
        call = (fn, f"{draw(st.integers(1, 4))}")
    name, args = call
    code = f"y = x.{name}({args})" if method else f"y = torch.{name}(x, {args})"
    return code, {"x": (shape, "float32")}


@given(split_case())
def test_splitting_matches_torch(case):
    check(*case)


def test_unpacking_a_chunk():
    check("a, b = x.chunk(2, -1)\ny = b", {"x": ((2, 5), "float32")})
    check("q, k, v = x.split(4, dim=1)\ny = v", {"x": ((2, 10), "float32")})


def test_symbolic_split_and_chunk():
    inputs = {"x": (("B", "H"), "float32")}
    for code in ["a, b = x.chunk(2, 0)\ny = b", "y = torch.cat(x.split(x.shape[1], 1), 0)"]:
        pass
    sym = {"x": (("B", "H"), "float32"), "z": (("B", "H"), "float32")}
    check_symbolic("h = torch.cat([x, z], 1)\na, b = h.chunk(2, 1)\ny = b", sym, {"B": 2, "H": 3})
    check_symbolic("h = torch.cat([x, x, x], 1)\nq, k, v = h.split(x.shape[1], dim=1)\ny = k", sym, {"B": 2, "H": 5})
    check_symbolic("a, b = x.split([1, x.shape[1] - 1], 1)\ny = b", inputs, {"B": 2, "H": 5})
    check_symbolic("a, b, c = x.unbind(0)\ny = c", {"x": ((3, "H"), "float32")}, {"H": 4})


@given(st.integers(0, 2), st.integers(1, 4), st.sampled_from(["split", "chunk", "unbind"]),
       st.sampled_from(["(-1,)", "(2, -1)", "(-1, 6)", "(2, 2, -1)"]))
def test_view_of_a_part_matches_torch(dim, n, how, new_shape):
    """Parts are narrow()s of the input: view() on them succeeds or fails as torch decides."""
    part = {"split": f"x.split({n}, dim={dim})[0]", "chunk": f"x.chunk({n}, dim={dim})[0]", "unbind": f"x.unbind({dim})[0]"}[how]
    check(f"y = {part}.view{new_shape}", {"x": ((2, 4, 6), "float32")})


@given(split_case())
def test_symbolic_splitting_agrees_with_torch(case):
    symbolic_agrees(*case)
