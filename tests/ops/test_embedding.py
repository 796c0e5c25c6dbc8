"""Embedding rules against torch: Embedding / F.embedding (index dtypes, padding_idx, max_norm),
EmbeddingBag / F.embedding_bag (1-D + offsets or 2-D input, modes, per_sample_weights) and
F.one_hot."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, run_engine

INDEX = st.sampled_from(["int64", "int64", "int64", "int32", "float32", "uint8", "bool"])


@st.composite
def embedding_case(draw):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    x = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dtype = draw(INDEX)
    pad = draw(st.sampled_from([None, 0, n - 1, -n, n, -n - 1]))
    opts = ""
    if pad is not None:
        opts += f", padding_idx={pad}"
    if draw(st.booleans()):
        opts += f", max_norm={draw(st.sampled_from([1.0, 0.5]))}"
    inputs = {"x": (x, dtype, f"randint:{n}")}
    if draw(st.booleans()):
        inputs["w"] = (draw(st.sampled_from([(n, d), (n, d), (n,), (n, d, 2)])), "float32")
        return f"y = F.embedding(x, w{opts})", inputs
    return f"y = nn.Embedding({n}, {d}{opts})(x)", inputs


@given(embedding_case())
def test_embedding_matches_torch(case):
    check(*case)


def test_float_indices_are_an_error():
    check("y = nn.Embedding(10, 4)(x)", {"x": ((2, 3), "float32")}, code_expected="SL113")


@st.composite
def bag_case(draw):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    mode = draw(st.sampled_from(["'mean'", "'sum'", "'max'", "'sum'", "'median'"]))
    last = draw(st.booleans())
    two_d = draw(st.booleans())
    B, T = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    inputs = {}
    if two_d:
        x = draw(st.sampled_from([(B, T), (B, T), (B, T, 2)]))
        args = "x"
        if draw(st.integers(0, 5)) == 0:
            inputs["o"] = ((B,), "int64")
            args += ", o"
    else:
        x = draw(st.sampled_from([(B * T,), (B * T,), ()]))
        k = B + (1 if last else 0)
        o = draw(st.sampled_from([(k,), (k,), (k, 1)]))
        inputs["o"] = (o, draw(st.sampled_from(["int64", "int64", "int32", "float32"])))
        # Offsets that are valid start positions: 0, T, 2T, ... (and the end with include_last_offset).
        args = "x, torch.arange(0, o.numel()).reshape(o.shape).to(o.dtype) * 0"
        if draw(st.integers(0, 6)) == 0:
            args = "x"
    inputs["x"] = (x, draw(INDEX), f"randint:{n}")
    if draw(st.integers(0, 2)) == 0:
        inputs["w"] = (draw(st.sampled_from([x, x, (x[0] + 1,) + tuple(x[1:]) if x else (2,)])), "float32")
        args += ", per_sample_weights=w"
    if draw(st.booleans()):
        return f"y = nn.EmbeddingBag({n}, {d}, mode={mode}, include_last_offset={last})({args})", inputs
    inputs["wt"] = ((n, d), "float32")
    args = args.replace("x", "x, wt", 1)
    return f"y = F.embedding_bag({args}, mode={mode}, include_last_offset={last})", inputs


@given(bag_case())
def test_embedding_bag_matches_torch(case):
    check(*case)


@st.composite
def one_hot_case(draw):
    x = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    c = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(["int64", "int64", "int32", "float32"]))
    return f"y = F.one_hot(x, {c})", {"x": (x, dtype, f"randint:{c}")}


@given(one_hot_case())
def test_one_hot_matches_torch(case):
    check(*case)


def test_one_hot_without_num_classes_has_an_unknown_last_dim():
    e = run_engine("y = F.one_hot(x)", {"x": ((2, 3), "int64")})
    assert not e.errors and e.shapes[:2] == (2, 3) and isinstance(e.shapes[2], str)
