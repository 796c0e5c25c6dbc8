"""einops.rearrange/reduce/repeat against einops on torch: random patterns with groups, `...`,
anonymous axes and axis-length keywords, right and wrong."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees

NAMES = ["a", "b", "c", "d", "e"]
PRE = "from einops import rearrange, reduce, repeat\n"


@st.composite
def einops_case(draw):
    kind = draw(st.sampled_from(["rearrange", "rearrange", "reduce", "repeat"]))
    n = draw(st.integers(1, 4))
    names = NAMES[:n]
    sizes = {k: draw(st.integers(1, 3)) for k in NAMES}
    # Left side: some names grouped, maybe an ellipsis.
    left, shape, i = [], [], 0
    while i < n:
        if i + 1 < n and draw(st.integers(0, 3)) == 0:
            left.append(f"({names[i]} {names[i + 1]})")
            shape.append(sizes[names[i]] * sizes[names[i + 1]])
            i += 2
        else:
            left.append(names[i])
            shape.append(sizes[names[i]])
            i += 1
    ell = draw(st.integers(0, 3)) == 0
    if ell:
        pos = draw(st.integers(0, len(left)))
        ell_dims = draw(st.lists(st.integers(1, 3), max_size=2))
        left.insert(pos, "...")
        shape[pos:pos] = ell_dims
    if draw(st.integers(0, 6)) == 0:
        left.append("1")
        shape.append(draw(st.sampled_from([1, 1, 2])))
    # Right side: a permutation of the names, regrouped.
    right = list(draw(st.permutations(names)))
    if kind == "reduce":
        right = right[: draw(st.integers(0, len(right)))]
    if kind == "repeat":
        right.insert(draw(st.integers(0, len(right))), draw(st.sampled_from(["r", "3", "(r b)" if "b" in right else "r"])))
        if "(r b)" in right:
            right.remove("b")
    if len(right) >= 2 and draw(st.booleans()):
        j = draw(st.integers(0, len(right) - 2))
        if "(" not in right[j] + right[j + 1]:
            right[j: j + 2] = [f"({right[j]} {right[j + 1]})"]
    if ell:
        right.insert(draw(st.integers(0, len(right))), draw(st.sampled_from(["...", "...", "(...)"])) if kind != "reduce" or draw(st.booleans()) else "()")
    if draw(st.integers(0, 8)) == 0:
        right.append(draw(st.sampled_from(["()", "1", "2", "z", "a"])))  # sometimes wrong
    if draw(st.integers(0, 10)) == 0:
        shape = shape[:-1]  # wrong rank
    pattern = " ".join(left) + " -> " + " ".join(right)
    kw = {}
    grouped = [g.strip("()").split() for g in left if g.startswith("(")]
    for g in grouped:
        if draw(st.booleans()):
            kw[g[0]] = sizes[g[0]] + (1 if draw(st.integers(0, 6)) == 0 else 0)
    if kind == "repeat" and draw(st.integers(0, 8)):
        kw["r"] = draw(st.integers(0, 3))
    if draw(st.integers(0, 12)) == 0:
        kw["q"] = 2  # an axis the pattern does not use
    args = "".join(f", {k}={v}" for k, v in kw.items())
    red = f", '{draw(st.sampled_from(['sum', 'max', 'mean', 'min', 'prod']))}'" if kind == "reduce" else ""
    code = PRE + f"y = {kind}(x, '{pattern}'{red}{args})"
    return code, {"x": (tuple(shape), draw(st.sampled_from(["float32", "float32", "int64"])))}


@given(einops_case())
def test_einops_matches_einops(case):
    check(*case)


def test_einops_examples():
    x = {"x": ((2, 3, 4), "float32")}
    for code in ["y = rearrange(x, 'b c h -> b (c h)')", "y = rearrange(x, 'b c h -> b c 2 h')",
                 "y = rearrange(x, 'b c (h w) -> b c h w', h=2)", "y = rearrange(x, 'b c (h w) -> b c h w', h=3)",
                 "y = reduce(x, 'b c h -> b () h', 'max')", "y = repeat(x, 'b c h -> b c (h r)', r=2)",
                 "y = rearrange(x, 'b c _h -> b c _h')", "y = rearrange(x, 'b ... -> (...) b')",
                 "import einops\ny = einops.rearrange(x, 'b c h -> h c b')"]:
        check(PRE + code, x)


def test_symbolic_einops():
    sym = {"x": (("B", "C", "H", "W"), "float32")}
    env = {"B": 2, "C": 3, "H": 4, "W": 6}
    for code in ["y = rearrange(x, 'b c h w -> b (h w) c')", "y = rearrange(x, 'b c (h p) w -> b c h p w', p=2)",
                 "y = reduce(x, 'b c h w -> b c', 'mean')", "y = repeat(x, 'b c h w -> b n c h w', n=3)",
                 "y = rearrange(x, 'b ... -> b (...)')"]:
        check_symbolic(PRE + code, sym, env)


@given(einops_case())
def test_symbolic_einops_agrees_with_torch(case):
    symbolic_agrees(*case)
