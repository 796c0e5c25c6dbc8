"""Creation ops against torch: sizes in every spelling, *_like, new_*, arange/linspace/eye, literals."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic

X = {"x": ((2, 3, 4), "float32")}
size = st.integers(-1, 4)


@st.composite
def sizes_call(draw):
    fn = draw(st.sampled_from(["zeros", "ones", "empty", "rand", "randn"]))
    dims = draw(st.lists(size, min_size=0, max_size=4))
    form = draw(st.sampled_from(["varargs", "tuple", "list", "kw", "shape", "size", "float"]))
    if form == "varargs":
        arg = ", ".join(map(str, dims)) or "()"
    elif form == "tuple":
        arg = "(" + "".join(f"{d}, " for d in dims) + ")"
    elif form == "list":
        arg = str(dims)
    elif form == "kw":
        arg = f"size={tuple(dims)}"
    elif form == "shape":
        arg = "x.shape"
    elif form == "size":
        arg = "x.size()"
    else:
        arg = ", ".join(map(str, dims + [2.0]))
    dtype = draw(st.sampled_from(["", ", dtype=torch.float64", ", dtype=torch.int64"]))
    if fn in ("rand", "randn") and "int64" in dtype:
        dtype = ""
    return f"y = torch.{fn}({arg}{dtype})"


@given(sizes_call())
def test_factories_match_torch(code):
    check(code, X)


@given(st.sampled_from(["new_zeros", "new_ones", "new_empty"]), st.lists(size, max_size=3),
       st.sampled_from(["varargs", "tuple", "shape"]))
def test_new_factories_match_torch(fn, dims, form):
    arg = {"varargs": ", ".join(map(str, dims)) or "()", "tuple": str(tuple(dims)), "shape": "x.shape"}[form]
    check(f"y = x.{fn}({arg})", X)
    check(f"y = x.new_full({tuple(dims)}, 1.5)", X)


@given(st.sampled_from(["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]),
       st.lists(st.integers(0, 4), max_size=4))
def test_like_matches_torch(fn, shape):
    check(f"y = torch.{fn}(x)", {"x": (tuple(shape), "float32")})
    check("y = torch.full_like(x, 7)", {"x": (tuple(shape), "float32")})
    check("y = torch.randint_like(x, 3, 10)", {"x": (tuple(shape), "float32")})


@given(st.lists(size, max_size=3), st.integers(-3, 3), st.integers(-3, 12), st.booleans())
def test_full_and_randint_match_torch(dims, low, high, kw):
    check(f"y = torch.full({dims}, {low})", X)
    size = f"size={tuple(dims)}" if kw else str(tuple(dims))
    check(f"y = torch.randint({low}, {high}, {size})", X)
    check(f"y = torch.randint({high}, {size})", X)


num = st.one_of(st.integers(-6, 12), st.floats(-6, 12, allow_nan=False).map(lambda f: round(f, 2)))


@given(st.integers(1, 3), num, num, num, st.sampled_from(["", ", dtype=torch.float64", ", dtype=torch.int64"]))
def test_arange_matches_torch(nargs, a, b, s, dtype):
    args = [a, b, s][3 - nargs:] if nargs == 1 else [a, b, s][:nargs]
    check(f"y = torch.arange({', '.join(map(repr, args))}{dtype})", X)


def test_arange_keywords_and_float_steps():
    for code in ["y = torch.arange(end=5)", "y = torch.arange(2, end=5)", "y = torch.arange(0, 1, 0.1)",
                 "y = torch.arange(1, 2.5, 0.5)", "y = torch.arange(10, 0, -3)", "y = torch.arange(0, -1, 0.3)",
                 "y = torch.arange(0, 5, 0)", "y = torch.arange(0.0, 0.3, 0.1)"]:
        check(code, X)


def test_arange_symbolic_length():
    for code in ["y = torch.arange(x.shape[0])", "y = torch.arange(1, x.shape[0] + 1, 2)",
                 "y = torch.arange(x.shape[0], 0, -3)", "y = torch.arange(x.size(-1) * 2)"]:
        for n in (1, 5, 8):
            check_symbolic(code, {"x": (("N", 3), "float32")}, {"N": n})


@given(st.sampled_from(["linspace", "logspace"]), st.integers(-2, 6), st.booleans())
def test_linspace_matches_torch(fn, steps, kw):
    arg = f"steps={steps}" if kw else str(steps)
    check(f"y = torch.{fn}(0, 3, {arg})", X)


@given(st.integers(-1, 4), st.one_of(st.none(), st.integers(-1, 4)))
def test_eye_matches_torch(n, m):
    check(f"y = torch.eye({n})" if m is None else f"y = torch.eye({n}, {m})", X)


leaf = st.one_of(st.integers(-3, 3), st.floats(-2, 2, allow_nan=False), st.booleans())


@st.composite
def literal(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaf)
    n = draw(st.integers(0, 3))
    ragged = draw(st.integers(0, 9)) == 0
    first = draw(literal(depth - 1))
    items = [first]
    for _ in range(max(0, n - 1)):
        items.append(draw(literal(depth - 1)) if ragged else _like_shape(draw, first))
    return items if draw(st.booleans()) else tuple(items)


def _like_shape(draw, v):
    if isinstance(v, (list, tuple)):
        return type(v)(_like_shape(draw, i) for i in v)
    return draw(leaf)


@given(literal())
def test_tensor_literals_match_torch(data):
    check(f"y = torch.tensor({data!r})", X)


def test_literal_edge_cases():
    for code in ["y = torch.tensor([])", "y = torch.tensor([[]])", "y = torch.tensor([[1, 2], [3]])",
                 "y = torch.tensor(x)", "y = torch.tensor(x.shape)", "y = torch.zeros(0).view(-1)",
                 "y = torch.zeros(0, 3).view(-1, 0)", "y = torch.zeros(0, 3).view(0, -1)", "y = torch.zeros(0)"]:
        check(code, X)


def test_symbolic_sizes():
    code = "y = torch.zeros(x.shape[0], x.size(1) * 2, 5)"
    check_symbolic(code, {"x": (("B", "C"), "float32")}, {"B": 3, "C": 4})
    check_symbolic("y = x.new_ones(x.shape)", {"x": (("B", "C"), "float32")}, {"B": 3, "C": 4})
