"""Sorting and selection against torch: sort/argsort/msort/topk/kthvalue (values and indices)."""

from hypothesis import given, strategies as st

from tests.ops.harness import check, check_symbolic

shapes = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple)


@given(shapes, st.integers(-4, 3), st.integers(-1, 6), st.booleans(), st.sampled_from(
    ["topk", "kthvalue", "kthvalue_keep", "sort", "argsort", "msort", "topk_values", "sort_indices"]))
def test_sorting_matches_torch(shape, dim, k, method, fn):
    code = {
        "topk": f"y = x.topk({k}, {dim})" if method else f"y = torch.topk(x, {k}, dim={dim}, largest=False)",
        "topk_values": f"v, i = torch.topk(x, {k}, {dim})\ny = i",
        "kthvalue": f"y = x.kthvalue({k}, {dim})" if method else f"y = torch.kthvalue(x, {k}, {dim})",
        "kthvalue_keep": f"y = x.kthvalue({k}, {dim}, True)",
        "sort": f"y = x.sort({dim}, descending=True)" if method else f"y = torch.sort(x, dim={dim})",
        "sort_indices": f"v, i = x.sort(dim={dim})\ny = i",
        "argsort": f"y = x.argsort({dim})" if method else f"y = torch.argsort(x, dim={dim}, descending=True)",
        "msort": "y = torch.msort(x)",
    }[fn]
    check(code, {"x": (shape, "float32")})


def test_symbolic_topk():
    sym = {"x": (("B", "N"), "float32")}
    check_symbolic("v, i = x.topk(3, dim=1)\ny = i", sym, {"B": 2, "N": 7})
    check_symbolic("v, i = x.kthvalue(1, 0)\ny = v", sym, {"B": 2, "N": 7})


@given(st.sampled_from(["x.transpose(0, 1)", "x.permute(2, 0, 1)", "x[:, ::2]", "x"]),
       st.sampled_from(["x.sort(1)[0]", "x.sort(-1).indices", "x.argsort(0)", "torch.msort(x)", "x.topk(1, 1)[0]"]),
       st.lists(st.integers(1, 3), min_size=3, max_size=3).map(tuple))
def test_sorted_results_keep_the_layout_for_view(layout, expr, shape):
    check(f"x = {layout}\ny = {expr}.view(-1)", {"x": (shape, "float32")})
