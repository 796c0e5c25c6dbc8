"""torch.einsum against torch: random equations over random operands, with ellipses, repeated
subscripts, implicit outputs, size-1 broadcasting and every kind of mistake."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic
from tests.ops.test_reshape import symbolic_agrees

LABELS = "ijkAB"


@st.composite
def einsum_case(draw):
    sizes = {l: draw(st.integers(1, 3)) for l in LABELS}
    n_ops = draw(st.integers(1, 3))
    terms, inputs = [], {}
    for k in range(n_ops):
        labels = draw(st.lists(st.sampled_from(LABELS), min_size=0, max_size=3))
        ell = draw(st.integers(0, 3)) == 0
        ell_dims = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if ell else ()
        shape = [sizes[l] for l in labels]
        if shape and draw(st.integers(0, 6)) == 0:
            shape[draw(st.integers(0, len(shape) - 1))] = draw(st.sampled_from([1, 4]))  # broadcast or mismatch
        if draw(st.integers(0, 10)) == 0:
            shape.append(2)  # one dim too many
        term = "".join(labels)
        if ell:
            pos = draw(st.integers(0, len(term)))
            term = term[:pos] + "..." + term[pos:]
            shape = shape[:pos] + list(ell_dims) + shape[pos:]
        terms.append(term)
        inputs[f"t{k}"] = (tuple(shape), "float32")
    eq = ",".join(terms)
    mode = draw(st.sampled_from(["implicit", "explicit", "explicit", "scalar"]))
    if mode == "explicit":
        used = sorted(set("".join(terms).replace(".", "")))
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        out = "".join(out)
        if draw(st.integers(0, 8)) == 0:
            out += draw(st.sampled_from(LABELS))  # sometimes repeated or unused
        if any("..." in t for t in terms) and draw(st.booleans()):
            out = "..." + out
        eq += "->" + out
    elif mode == "scalar":
        eq += "->"
    if draw(st.integers(0, 12)) == 0:
        inputs.pop(f"t{n_ops - 1}")  # fewer operands than terms
    names = ", ".join(inputs)
    form = draw(st.booleans())
    code = f"y = torch.einsum('{eq}', {names})" if form or not names else f"y = torch.einsum('{eq}', [{names}])"
    return code, inputs


@given(einsum_case())
def test_einsum_matches_torch(case):
    check(*case)


def test_einsum_examples():
    x = {"x": ((2, 3, 4), "float32")}
    for code in ['y = torch.einsum("bij,bjk->bik", x, x.mT)', 'y = torch.einsum("ii", x[0, :, :3])',
                 'y = torch.einsum("b i j, b j k -> b i k", x, x.mT)', 'y = torch.einsum("ij->jj", x[0])',
                 'y = torch.einsum("i1->i", x[0])', 'y = torch.einsum("..i->i", x[0])', 'y = torch.einsum("Ab,bA", x[0], x[0].T)']:
        check(code, x)


def test_symbolic_einsum():
    sym = {"q": (("B", "H", "T", "D"), "float32"), "k": (("B", "H", "S", "D"), "float32")}
    env = {"B": 2, "H": 3, "T": 5, "S": 4, "D": 8}
    check_symbolic("y = torch.einsum('bhtd,bhsd->bhts', q, k)", sym, env)
    check_symbolic("y = torch.einsum('...td,...sd->...ts', q, k)", sym, env)
    check_symbolic("y = torch.einsum('bhtd->bd', q)", sym, env)


@given(einsum_case())
def test_symbolic_einsum_agrees_with_torch(case):
    symbolic_agrees(*case)
