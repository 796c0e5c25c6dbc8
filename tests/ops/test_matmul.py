"""Matrix products against torch: matmul/@ over every rank combination with batch broadcasting,
mm/bmm/mv/dot/outer/inner/kron/tensordot, the add* fused forms, chain products, vecdot."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees

DT = st.sampled_from(["float32", "float32", "float32", "float64"])


@st.composite
def matmul_case(draw):
    ra, rb = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    k = draw(st.integers(1, 4))
    batch = [draw(st.integers(1, 3)) for _ in range(3)]

    def shape(r, inner_last):
        if r == 0:
            return ()
        if r == 1:
            return (k,)
        b = [draw(st.sampled_from([d, 1, d])) for d in batch[: r - 2]]
        m = draw(st.integers(1, 4))
        return tuple(b) + ((m, k) if inner_last else (k, m))

    a, b = list(shape(ra, True)), list(shape(rb, False))
    if draw(st.integers(0, 5)) == 0 and a:
        a[-1] += 1  # wrong inner size
    fn = draw(st.sampled_from(["@", "matmul", "linalg.matmul", "Tensor.matmul", "rmatmul"]))
    code = {"@": "y = a @ b", "matmul": "y = torch.matmul(a, b)", "linalg.matmul": "y = torch.linalg.matmul(a, b)",
            "Tensor.matmul": "y = a.matmul(b)", "rmatmul": "y = b.__rmatmul__(a)"}[fn]
    return code, {"a": (tuple(a), draw(DT)), "b": (tuple(b), draw(DT))}


@given(matmul_case())
def test_matmul_matches_torch(case):
    check(*case)


small = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def product_case(draw):
    fn = draw(st.sampled_from(["mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "inner", "kron", "addmm", "addmv",
                               "addr", "baddbmm", "addbmm", "vecdot"]))
    n, m, k, b = (draw(st.integers(1, 4)) for _ in range(4))

    def jig(s):  # sometimes a wrong size or rank
        s = list(s)
        roll = draw(st.integers(0, 7))
        if roll == 0 and s:
            s[draw(st.integers(0, len(s) - 1))] += 1
        elif roll == 1:
            s = s[1:] if s else [2]
        return tuple(s)

    shapes = {
        "mm": ((n, k), (k, m)), "bmm": ((b, n, k), (b, k, m)), "mv": ((n, k), (k,)), "dot": ((k,), (k,)),
        "vdot": ((k,), (k,)), "outer": ((n,), (m,)), "ger": ((n,), (m,)), "inner": ((b, k), (n, k)),
        "kron": (draw(small), draw(small)), "vecdot": ((b, k), (k,)),
    }
    inputs = {}
    if fn in shapes:
        sa, sb = shapes[fn]
        inputs = {"a": (jig(sa), "float32"), "b": (jig(sb), "float32")}
        code = {"vecdot": "y = torch.linalg.vecdot(a, b)"}.get(fn, f"y = torch.{fn}(a, b)")
        return code, inputs
    prod = {"addmm": ((n, k), (k, m), (n, m)), "addmv": ((n, k), (k,), (n,)), "addr": ((n,), (m,), (n, m)),
            "baddbmm": ((b, n, k), (b, k, m), (b, n, m)), "addbmm": ((b, n, k), (b, k, m), (n, m))}[fn]
    out = prod[2]
    c = draw(st.sampled_from([out, out[1:], (1,) * len(out), ()]))
    inputs = {"c": (jig(c), "float32"), "a": (jig(prod[0]), "float32"), "b": (jig(prod[1]), "float32")}
    return f"y = torch.{fn}(c, a, b)", inputs


@given(product_case())
def test_products_match_torch(case):
    check(*case)


@st.composite
def tensordot_case(draw):
    sa = draw(st.lists(st.integers(1, 3), min_size=0, max_size=4))
    sb = draw(st.lists(st.integers(1, 3), min_size=0, max_size=4))
    if draw(st.booleans()):
        dims = str(draw(st.integers(-1, 3)))
    else:
        n = draw(st.integers(0, 2))
        da = [draw(st.integers(-len(sa) - 1, max(len(sa), 1))) for _ in range(n)]
        db = [draw(st.integers(-len(sb) - 1, max(len(sb), 1))) for _ in range(draw(st.sampled_from([n, n, n, n + 1])))]
        # Make the contracted sizes agree most of the time.
        for i, j in zip(da, db):
            if -len(sa) <= i < len(sa) and -len(sb) <= j < len(sb) and draw(st.integers(0, 3)):
                sb[j] = sa[i]
        dims = f"({da}, {db})"
    return f"y = torch.tensordot(a, b, dims={dims})", {"a": (tuple(sa), "float32"), "b": (tuple(sb), "float32")}


@given(tensordot_case())
def test_tensordot_matches_torch(case):
    check(*case)


@given(st.lists(st.integers(1, 4), min_size=2, max_size=5), st.booleans(), st.booleans(), st.booleans())
def test_chain_products_match_torch(sizes, first_vec, last_vec, wrong):
    mats = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if wrong:
        mats[-1] = (mats[-1][0] + 1, mats[-1][1])
    inputs = {f"m{i}": (s, "float32") for i, s in enumerate(mats)}
    names = list(inputs)
    check(f"y = torch.chain_matmul({', '.join(names)})", inputs)
    if first_vec:
        inputs[names[0]] = ((mats[0][1],), "float32")
    if last_vec and len(names) > 1:
        inputs[names[-1]] = ((mats[-1][0],), "float32")
    check(f"y = torch.linalg.multi_dot([{', '.join(names)}])", inputs)


def test_symbolic_matmul():
    sym = {"a": (("B", "T", "D"), "float32"), "w": (("D", "E"), "float32")}
    env = {"B": 2, "T": 5, "D": 3, "E": 7}
    for code in ["y = a @ w", "y = a @ a.transpose(1, 2)", "y = torch.bmm(a, a.mT)", "y = torch.tensordot(a, w, 1)",
                 "y = torch.matmul(a, w[:, 0])", "y = torch.baddbmm(a @ a.mT, a, a.mT)"]:
        check_symbolic(code, sym, env)


@given(st.one_of(matmul_case(), product_case(), tensordot_case()))
def test_symbolic_products_agrees_with_torch(case):
    symbolic_agrees(*case)


def test_vecdot_of_two_vectors_does_not_broadcast():
    for a, b in [((1,), (2,)), ((3,), (3,)), ((2, 1), (1,)), ((1, 3), (2, 3)), ((1,), (3, 1))]:
        check("y = torch.linalg.vecdot(a, b)", {"a": (a, "float32"), "b": (b, "float32")})
