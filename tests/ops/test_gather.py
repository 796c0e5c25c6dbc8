"""Index-driven ops against torch: gather/scatter/scatter_add/index_select/index_add/index_copy/
take/take_along_dim, and the data-dependent masked_select/nonzero (unknown counts)."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees
from tests.ops.test_index import check_unknown_counts

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)
# Indices are all 0 ("randint:1"); a source of size 0 would make any index out of bounds, which
# depends on the data, so sources are non-empty.
sources = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def near(draw, shape):
    """A shape like `shape`, each size sometimes smaller or larger, sometimes of another rank."""
    out = [max(0, s + draw(st.sampled_from([0, 0, -1, 1]))) for s in shape]
    if draw(st.integers(0, 8)) == 0:
        out = out[:-1] if out else [1]
    return tuple(out)


@st.composite
def gather_case(draw):
    shape = draw(sources)
    r = len(shape)
    dim = draw(st.integers(-r - 1, max(r, 1)))
    idx = near(draw, shape)
    fn = draw(st.sampled_from(["gather", "scatter", "scatter_src", "scatter_add", "scatter_reduce", "take_along_dim",
                               "take_along_none", "take"]))
    dt = draw(st.sampled_from(["int64", "int64", "int64", "int32"]))
    inputs = {"x": (shape, "float32"), "i": (idx, dt, "randint:1")}
    if fn == "gather":
        code = f"y = torch.gather(x, {dim}, i)"
    elif fn == "scatter":
        code = f"y = x.scatter({dim}, i, 1.5)"
    elif fn in ("scatter_src", "scatter_add", "scatter_reduce"):
        inputs["s"] = (near(draw, idx), "float32")
        code = {"scatter_src": f"y = x.scatter({dim}, i, s)", "scatter_add": f"y = torch.scatter_add(x, {dim}, i, s)",
                "scatter_reduce": f"y = x.scatter_reduce({dim}, i, s, 'sum')"}[fn]
    elif fn == "take_along_dim":
        code = f"y = torch.take_along_dim(x, i, {dim})"
    elif fn == "take_along_none":
        code = "y = torch.take_along_dim(x, i)"
    else:
        code = "y = torch.take(x, i)" if shape and 0 not in shape else "y = torch.take(x, i[:0])"
    return code, inputs


@given(gather_case())
def test_gather_scatter_match_torch(case):
    check(*case)


@st.composite
def index_select_case(draw):
    shape = draw(sources)
    r = len(shape)
    dim = draw(st.integers(-r - 1, max(r, 1)))
    idx = draw(st.sampled_from([(), (0,), (1,), (2,), (3,), (2, 2)]))
    fn = draw(st.sampled_from(["index_select", "index_add", "index_copy", "index_fill"]))
    inputs = {"x": (shape, "float32"), "i": (idx, draw(st.sampled_from(["int64", "int32", "float32"])), "randint:1")}
    if fn == "index_select":
        code = f"y = x.index_select({dim}, i)"
    elif fn == "index_fill":
        code = f"y = x.index_fill({dim}, i, 2.0)"
    else:
        d = dim if -r <= dim < r else 0
        src = list(shape)
        if src:
            src[d] = idx[0] if len(idx) == 1 else 1
        inputs["s"] = (near(draw, tuple(src)), "float32")
        code = f"y = torch.{fn}(x, {dim}, i, s)"
    return code, inputs


@given(index_select_case())
def test_index_select_family_matches_torch(case):
    check(*case)


@given(shapes, shapes, st.booleans())
def test_masked_select_and_nonzero_match_torch(a, b, as_tuple):
    check_unknown_counts("y = torch.masked_select(x, m)", {"x": (a, "float32"), "m": (b, "bool")})
    check_unknown_counts(f"y = torch.nonzero(x, as_tuple={as_tuple})", {"x": (a, "float32")})
    check_unknown_counts("y = torch.argwhere(x)", {"x": (a, "float32")})


def test_symbolic_gather():
    sym = {"x": (("B", "T"), "float32"), "i": (("B", 1), "int64", "randint:1")}
    check_symbolic("y = x.gather(1, i)", sym, {"B": 3, "T": 5})
    check_symbolic("y = torch.take_along_dim(x, i, 1)", sym, {"B": 3, "T": 5})
    check_symbolic("y = x.index_select(0, i[:, 0])", sym, {"B": 3, "T": 5})


@given(st.one_of(gather_case(), index_select_case()))
def test_symbolic_gather_agrees_with_torch(case):
    symbolic_agrees(*case)
