"""Reshaping and geometry against torch: view/reshape/flatten/unflatten, dim order, squeeze,
expand/repeat/tile/repeat_interleave, narrow/select/unfold, flip/roll/rot90, diagonals, and
view() after layout changes (an error exactly when torch's stride check fails)."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
nz_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def inp(shape, dtype="float32"):
    return {"x": (tuple(shape), dtype)}


@st.composite
def view_case(draw):
    shape = draw(shapes)
    n = 1
    for d in shape:
        n *= d
    sizes = []
    rest = n
    for _ in range(draw(st.integers(0, 3))):
        divs = [d for d in range(1, 7) if rest and rest % d == 0] or [0, 1]
        d = draw(st.sampled_from(divs + [draw(st.integers(0, 5))]))  # sometimes a size that does not divide
        sizes.append(d)
        rest = rest // d if d else 0
    sizes.append(rest if draw(st.booleans()) else draw(st.integers(0, 5)))
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    if draw(st.integers(0, 8)) == 0:
        sizes.append(-1)
    if draw(st.integers(0, 12)) == 0:
        sizes[0] = -2
    fn = draw(st.sampled_from(["view", "reshape", "torch.reshape", "tuple"]))
    args = ", ".join(map(str, sizes))
    code = {"view": f"y = x.view({args})", "reshape": f"y = x.reshape({args})",
            "torch.reshape": f"y = torch.reshape(x, ({args},))", "tuple": f"y = x.view(({args},))"}[fn]
    return code, inp(shape)


@given(view_case())
def test_view_reshape_match_torch(case):
    check(*case)


layout_ops = st.sampled_from([
    "x.transpose({a}, {b})", "x.permute(*{perm})", "x.t() if x.dim() <= 2 else x.mT", "x.T", "x[:, {s}:]",
    "x.narrow({a}, 0, 1)", "x.select({a}, 0).unsqueeze({a})", "x.unsqueeze({a})", "x.expand(2, *x.shape)",
    "x.movedim({a}, {b})", "x.contiguous()", "x.flatten({a})", "x.squeeze()", "x.diagonal(0, {a}, {b}) if {a} != {b} else x",
    "x[..., ::2]", "x.unfold({a}, 1, 1)", "x.flip({a})", "x.rot90({k}, ({a}, {b})) if {a} != {b} else x", "x.fliplr()",
])


@st.composite
def layout_chain(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple))
    lines = []
    r = len(shape)
    for _ in range(draw(st.integers(1, 3))):
        a, b = draw(st.integers(0, r - 1)), draw(st.integers(0, r - 1))
        perm = tuple(draw(st.permutations(range(r))))
        lines.append("x = " + draw(layout_ops).format(a=a, b=b, perm=perm, s=draw(st.integers(0, 1)), k=draw(st.integers(-1, 4))))
        lines.append("x = x if x.dim() >= 2 else x.reshape(1, -1)")
    target = draw(st.sampled_from(["-1", "x.shape[0], -1", "-1, x.shape[-1]", "*x.shape[:-2], -1",
                                   "x.shape[0] * x.shape[1], *x.shape[2:]", "x.shape[-1], -1"]))
    lines.append(f"y = x.view({target})")
    return "\n".join(lines), inp(shape)


@given(layout_chain())
def test_view_after_layout_changes_matches_torch(case):
    check(*case)


def test_view_after_transpose_is_exact():
    x = inp((2, 3, 4))
    check("y = x.transpose(0, 2).view(-1)", x, code_expected="SL107")
    check("y = x.transpose(1, 2).view(2, 12)", x)  # the batch dim stays apart: fine
    check("y = x.transpose(0, 1).reshape(3, 2, 4).view(-1)", x)
    check("y = x[:, :1].expand(2, 7, 4).view(2, 28)", x)
    check("y = x.contiguous().transpose(0, 1).contiguous().view(-1)", x)
    check("y = torch.zeros(0, 3).view(-1)", x)
    check("y = torch.zeros(0, 3).view(-1, 0)", x)


@given(shapes, st.integers(-5, 4), st.integers(-5, 4))
def test_flatten_matches_torch(shape, a, b):
    check(f"y = x.flatten({a}, {b})", inp(shape))
    check(f"y = torch.flatten(x, {a})", inp(shape))


@given(nz_shapes, st.integers(-4, 3), st.lists(st.integers(-1, 4), min_size=1, max_size=3), st.booleans())
def test_unflatten_matches_torch(shape, d, sizes, method):
    code = f"y = x.unflatten({d}, {tuple(sizes)})" if method else f"y = torch.unflatten(x, {d}, {sizes})"
    check(code, inp(shape))


@given(shapes, shapes)
def test_view_as_reshape_as_match_torch(a, b):
    check("y = x.view_as(z)", {"x": (a, "float32"), "z": (b, "float32")})
    check("y = x.reshape_as(z)", {"x": (a, "float32"), "z": (b, "float32")})


@st.composite
def order_case(draw):
    shape = draw(shapes)
    r = len(shape)
    dim = st.integers(-r - 1, r)
    kind = draw(st.sampled_from(["permute", "transpose", "t", "T", "mT", "movedim", "swapaxes", "swapdims", "moveaxis"]))
    if kind == "permute":
        perm = list(draw(st.permutations(range(r))))
        if perm and draw(st.integers(0, 5)) == 0:
            perm[0] = draw(dim)
        if draw(st.integers(0, 6)) == 0:
            perm = perm[:-1]
        code = f"y = x.permute({', '.join(map(str, perm))})" if draw(st.booleans()) else f"y = torch.permute(x, {tuple(perm)})"
    elif kind in ("transpose", "swapaxes", "swapdims"):
        code = f"y = x.{kind}({draw(dim)}, {draw(dim)})"
    elif kind in ("t", "T", "mT"):
        code = f"y = x.{kind}()" if kind == "t" else f"y = x.{kind}"
    else:
        n = draw(st.integers(1, 2))
        src = [draw(dim) for _ in range(n)]
        dst = [draw(dim) for _ in range(draw(st.sampled_from([n, n, n, 1])))]
        s_, d_ = (src[0], dst[0]) if n == 1 and len(dst) == 1 and draw(st.booleans()) else (tuple(src), tuple(dst))
        code = f"y = torch.{kind}(x, {s_}, {d_})" if draw(st.booleans()) else f"y = x.{kind}({s_}, {d_})"
    return code, inp(shape)


@given(order_case())
def test_dim_order_ops_match_torch(case):
    check(*case)


@given(st.lists(st.integers(1, 3), max_size=4).map(tuple), st.one_of(st.none(), st.integers(-5, 4),
       st.lists(st.integers(-4, 3), max_size=3).map(tuple)))
def test_squeeze_matches_torch(shape, dim):
    check("y = x.squeeze()" if dim is None else f"y = x.squeeze({dim})", inp(shape))
    check("y = torch.squeeze(x)" if dim is None else f"y = torch.squeeze(x, {dim})", inp(shape))


@given(shapes, st.integers(-6, 5))
def test_unsqueeze_matches_torch(shape, d):
    check(f"y = x.unsqueeze({d})", inp(shape))
    check(f"y = torch.unsqueeze(x, dim={d})", inp(shape))


@st.composite
def expand_case(draw):
    shape = draw(st.lists(st.integers(0, 3), max_size=3).map(tuple))
    lead = draw(st.lists(st.integers(-1, 3), max_size=2))
    tail = []
    for d in shape:
        tail.append(draw(st.sampled_from([d, -1, draw(st.integers(0, 4))] + ([draw(st.integers(0, 4))] if d == 1 else []))))
    if tail and draw(st.integers(0, 6)) == 0:
        tail = tail[1:]
    sizes = lead + tail
    if 0 in sizes:
        # torch lets a leading -1 through when the result is empty (a negative size comes out): not modelled
        sizes = [max(s, 0) if i < len(lead) else s for i, s in enumerate(sizes)]
    form = draw(st.sampled_from(["varargs", "tuple", "as"]))
    if form == "as":
        return "y = x.expand_as(z)", {"x": (shape, "float32"), "z": (tuple(max(s, 0) for s in sizes), "float32")}
    args = ", ".join(map(str, sizes)) if form == "varargs" else str(tuple(sizes))
    return f"y = x.expand({args})", inp(shape)


@given(expand_case())
def test_expand_matches_torch(case):
    check(*case)


@given(shapes, st.lists(st.integers(-1, 3), max_size=5), st.sampled_from(["repeat", "tile", "torch.tile"]))
def test_repeat_and_tile_match_torch(shape, reps, fn):
    args = ", ".join(map(str, reps))
    code = {"repeat": f"y = x.repeat({args})", "tile": f"y = x.tile({tuple(reps)})",
            "torch.tile": f"y = torch.tile(x, {tuple(reps)})"}[fn]
    check(code, inp(shape))


@given(shapes, st.integers(-1, 3), st.one_of(st.none(), st.integers(-4, 3)), st.booleans())
def test_repeat_interleave_matches_torch(shape, reps, dim, method):
    d = "" if dim is None else f", dim={dim}"
    code = f"y = x.repeat_interleave({reps}{d})" if method else f"y = torch.repeat_interleave(x, {reps}{d})"
    check(code, inp(shape))


@given(shapes, st.integers(-4, 3), st.integers(-5, 5), st.integers(-1, 5))
def test_narrow_matches_torch(shape, d, start, length):
    check(f"y = x.narrow({d}, {start}, {length})", inp(shape))


@given(shapes, st.integers(-4, 3), st.integers(-5, 5))
def test_select_matches_torch(shape, d, i):
    check(f"y = x.select({d}, {i})", inp(shape))
    check(f"y = torch.select(x, {d}, {i})", inp(shape))


@given(shapes, st.integers(-4, 3), st.integers(-1, 5), st.integers(-1, 3))
def test_unfold_matches_torch(shape, d, size, step):
    check(f"y = x.unfold({d}, {size}, {step})", inp(shape))


@given(shapes, st.lists(st.integers(-4, 3), max_size=3), st.integers(-3, 5),
       st.sampled_from(["flip", "roll", "roll_flat", "rot90", "fliplr", "flipud"]))
def test_flip_roll_rot90_match_torch(shape, dims, k, fn):
    code = {"flip": f"y = x.flip({tuple(dims)})", "roll": f"y = torch.roll(x, {tuple(range(len(dims)))}, {tuple(dims)})",
            "roll_flat": f"y = x.roll({k})", "rot90": f"y = torch.rot90(x, {k}, {tuple(dims)})",
            "fliplr": "y = torch.fliplr(x)", "flipud": "y = x.flipud()"}[fn]
    check(code, inp(shape))


@given(shapes, st.integers(-5, 5), st.integers(-4, 3), st.integers(-4, 3))
def test_diagonals_match_torch(shape, k, a, b):
    x = inp(shape)
    check(f"y = x.diagonal({k}, {a}, {b})", x)
    check(f"y = torch.diag(x, {k})", x)
    check(f"y = x.triu({k})", x)
    check(f"y = torch.tril(x, {k})", x)
    check(f"y = torch.diag_embed(x, {k}, {a}, {b})", x)


def test_symbolic_formulas():
    sym = {"x": (("B", "C", "H", "W"), "float32")}
    env = {"B": 2, "C": 3, "H": 5, "W": 7}
    for code in ["y = x.view(x.size(0), -1)", "y = x.flatten(2).transpose(1, 2)", "y = x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])",
                 "y = x.unflatten(1, (1, -1))", "y = x.movedim(1, -1)", "y = x[:, :1].expand(-1, 4, -1, -1)",
                 "y = x.repeat(1, 2, 1, 1)", "y = x.repeat_interleave(3, dim=2)", "y = x.narrow(2, 1, 2)",
                 "y = x.unfold(3, 3, 2)", "y = x.unsqueeze(1).squeeze(1)", "y = x.tile(2)", "y = x.rot90(1, (2, 3))"]:
        check_symbolic(code, sym, env)


@given(st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
       st.sampled_from(["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]),
       st.sampled_from(["torch.float32", "torch.float64", "torch.float16", "torch.int64", "torch.int16", "torch.uint8"]),
       st.sampled_from(["x", "x.transpose(0, -1) if x.dim() else x", "x[..., :-1]", "x[..., ::2]", "x.unsqueeze(-1)"]))
def test_view_dtype_matches_torch(shape, dtype, to, layout):
    # (storage offsets are not followed: a view to a wider dtype of a slice that starts inside the
    # storage, x[..., 1:], may raise in torch without an engine error, so slices here start at 0)
    check(f"x = {layout}\ny = x.view({to})", {"x": (shape, dtype)})


def symbolic_agrees(code, inputs, result="y"):
    """The same case with every size >= 2 made a symbol: an engine error must be one torch raises
    on the concrete sizes, and a result the symbols fully determine must equal torch's shape."""
    from shapelens.analysis.analyze import eval_snippet
    from shapelens.values import TensorV, TupleV
    from tests.ops.harness import abstract_inputs, run_torch

    sym, env, n = {}, {}, 0
    for k, spec in inputs.items():
        dims = []
        for d in spec[0]:
            n += 1
            if d >= 2:
                dims.append(f"S{n}")
                env[f"S{n}"] = d
            else:
                dims.append(d)
        sym[k] = (tuple(dims),) + tuple(spec[1:])
    res = eval_snippet(code, abstract_inputs(sym))
    errors = [f for f in res.findings if f.severity == 1]

    def concrete(v):
        if isinstance(v, TensorV):
            if v.shape is None:
                return None
            vals = tuple(d.subs(env).value for d in v.shape)
            return None if None in vals else vals
        if isinstance(v, TupleV):
            parts = tuple(concrete(i) for i in v.items)
            return None if None in parts else parts
        return None

    got = None if errors else concrete(res.value(result))
    if not errors and got is None:
        return
    t = run_torch(code, inputs, result)
    if errors:
        assert t.error is not None or t.ambiguous, f"symbolic run reported {errors[0].message} but torch accepted {inputs}\n{code}"
    elif t.error is None:
        assert got == t.shapes, f"symbolic result {got} at {env} vs torch {t.shapes}\n{code}"


@given(st.one_of(view_case(), order_case(), expand_case(), layout_chain()))
def test_symbolic_reshaping_agrees_with_torch(case):
    symbolic_agrees(*case)
