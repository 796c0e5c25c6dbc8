"""Loss rules against torch: input/target fit, reduction shapes, weights, and the layer forms."""

import warnings

import torch
from hypothesis import given, strategies as st

from tests.ops.harness import DTYPES, _torch_shapes, check, run_engine

REDUCTIONS = st.sampled_from(["'none'", "'mean'", "'sum'"])


@st.composite
def shape(draw, min_rank=0, max_rank=3):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=min_rank, max_size=max_rank)))


@st.composite
def related_shape(draw, base):
    """A shape that often broadcasts with `base`, sometimes does not."""
    kind = draw(st.sampled_from(["same", "same", "ones", "drop", "extra", "change"]))
    s = list(base)
    if kind == "ones" and s:
        i = draw(st.integers(0, len(s) - 1))
        s[i] = 1
    elif kind == "drop" and s:
        s = s[draw(st.integers(1, len(s))):]
    elif kind == "extra":
        s = [draw(st.integers(1, 3))] + s
    elif kind == "change" and s:
        i = draw(st.integers(0, len(s) - 1))
        s[i] = s[i] + draw(st.integers(1, 2))
    return tuple(s)


@st.composite
def classification_case(draw):
    fn = draw(st.sampled_from(["ce", "nll", "CE", "NLL"]))
    rank = draw(st.integers(1, 5))
    N, C = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    spatial = [draw(st.integers(1, 3)) for _ in range(max(rank - 2, 0))]
    x = (C,) if rank == 1 else (N, C, *spatial)
    probs = fn in ("ce", "CE") and draw(st.integers(0, 3)) == 0
    if probs:
        t = x
        tdtype = draw(st.sampled_from(["float32", "float32", "int64"]))
    else:
        t = () if rank == 1 else (N, *spatial)
        tdtype = draw(st.sampled_from(["int64"] * 5 + ["float32", "int32"]))
    kind = draw(st.sampled_from(["ok"] * 4 + ["batch", "spatial", "extra", "drop"]))
    t = list(t)
    if kind == "batch" and t:
        t[0] += draw(st.integers(1, 2))
    elif kind == "spatial" and len(t) > 1:
        t[-1] += 1
    elif kind == "extra":
        t.append(draw(st.integers(2, 3)))
    elif kind == "drop" and t:
        t.pop()
    if rank == 1 and len(t) == 1 and t[0] == 1 and not probs:
        t = [2]  # (C,) scores with a (1,) target: torch's CPU and meta kernels disagree
    opts = []
    weight = draw(st.sampled_from([None, None, (C,), (C + 1,), (C, 1)]))
    if weight:
        opts.append("weight=w")
    opts.append(f"reduction={draw(REDUCTIONS)}")
    if fn in ("ce", "CE"):
        ls = draw(st.sampled_from([0.0, 0.0, 0.2, 1.5]))
        if ls:
            opts.append(f"label_smoothing={ls}")
    if draw(st.integers(0, 5)) == 0:
        opts.append("ignore_index=1")
    o = ", ".join(opts)
    code = {"ce": f"y = F.cross_entropy(x, t, {o})", "nll": f"y = F.nll_loss(x, t, {o})",
            "CE": f"y = nn.CrossEntropyLoss({o})(x, t)", "NLL": f"y = nn.NLLLoss({o})(x, t)"}[fn]
    inputs = {"x": (x, "float32"), "t": (tuple(t), tdtype, f"randint:{C}")}
    if weight:
        inputs["w"] = (weight, "float32")
    return code, inputs


@given(classification_case())
def test_cross_entropy_and_nll_match_torch(case):
    check(*case)


@st.composite
def pointwise_case(draw):
    fn = draw(st.sampled_from(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
                               "soft_margin_loss", "hinge_embedding_loss"]))
    x = draw(shape())
    t = draw(related_shape(x))
    red = draw(st.sampled_from(["'none'", "'mean'", "'sum'", "'bogus'"] + (["'batchmean'"] if fn == "kl_div" else [])))
    layer = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "smooth_l1_loss": "SmoothL1Loss", "huber_loss": "HuberLoss",
             "kl_div": "KLDivLoss", "poisson_nll_loss": "PoissonNLLLoss", "soft_margin_loss": "SoftMarginLoss",
             "hinge_embedding_loss": "HingeEmbeddingLoss"}[fn]
    inputs = {"x": (x, "float32"), "t": (t, "float32")}
    if fn in ("mse_loss", "l1_loss", "huber_loss") and draw(st.integers(0, 3)) == 0:
        inputs["w"] = (draw(related_shape(x)), "float32")
        return f"y = F.{fn}(x, t, reduction={red}, weight=w)", inputs
    if draw(st.booleans()):
        return f"y = nn.{layer}(reduction={red})(x, t)", inputs
    return f"y = F.{fn}(x, t, reduction={red})", inputs


@given(pointwise_case())
def test_pointwise_losses_broadcast_like_torch(case):
    check(*case)


def test_mse_warns_when_it_broadcasts():
    e = run_engine("y = F.mse_loss(x, t, reduction='none')", {"x": ((4, 1), "float32"), "t": ((4,), "float32")})
    assert e.shapes == (4, 4) and any(f.code == "SL202" for f in e.findings)


@st.composite
def bce_case(draw):
    fn = draw(st.sampled_from(["binary_cross_entropy", "binary_cross_entropy_with_logits", "BCELoss",
                               "BCEWithLogitsLoss"]))
    x = draw(shape())
    t = draw(related_shape(x))
    inputs = {"x": (x, "float32", "rand"), "t": (t, "float32")}
    opts = [f"reduction={draw(REDUCTIONS)}"]
    if draw(st.booleans()):
        inputs["w"] = (draw(related_shape(x)), "float32")
        opts.append("weight=w")
    if "ogits" in fn and draw(st.booleans()):
        inputs["pw"] = (draw(related_shape(x)), "float32")
        opts.append("pos_weight=pw")
    o = ", ".join(opts)
    # BCE's CPU kernel wants probabilities: squash the random data first.
    pre = "x = x.sigmoid()\nt = t.sigmoid()\n"
    if fn[0].isupper():
        return pre + f"y = nn.{fn}({o})(x, t)", inputs
    return pre + f"y = F.{fn}(x, t, {o})", inputs


@given(bce_case())
def test_binary_cross_entropy_needs_same_size(case):
    check(*case)


@st.composite
def pair_case(draw):
    fn = draw(st.sampled_from(["cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss"]))
    a = draw(shape(1 if fn != "margin_ranking_loss" else 0, 3))
    b, c = draw(related_shape(a)), draw(related_shape(a))
    red = draw(REDUCTIONS)
    if fn == "cosine_embedding_loss":
        c = draw(st.sampled_from([a[:1], a[:1], (), (1,), (a[0] + 1,), a]))
    inputs = {"a": (a, "float32"), "b": (b, "float32"), "c": (c, "float32")}
    extra = ""
    if fn == "triplet_margin_loss":
        extra = f", swap={draw(st.booleans())}, margin={draw(st.sampled_from([1.0, 1.0, 0.0]))}"
    layer = {"cosine_embedding_loss": "CosineEmbeddingLoss", "margin_ranking_loss": "MarginRankingLoss",
             "triplet_margin_loss": "TripletMarginLoss"}[fn]
    if draw(st.booleans()):
        return f"y = nn.{layer}(reduction={red}{extra})(a, b, c)", inputs
    return f"y = F.{fn}(a, b, c, reduction={red}{extra})", inputs


@given(pair_case())
def test_pair_and_triplet_losses_match_torch(case):
    check(*case)


@st.composite
def ctc_case(draw):
    T, N, C, S = draw(st.integers(2, 6)), draw(st.integers(1, 3)), draw(st.integers(2, 5)), draw(st.integers(1, 3))
    batched = draw(st.integers(0, 3)) > 0
    lp = (T, N, C) if batched else (T, C)
    lp = draw(st.sampled_from([lp, lp, lp, (T, N, C, 2)]))
    tg = draw(st.sampled_from([(N, S), (N, S), (N * S,), (N + 1, S)] if batched else [(S,), (S,), (1, S)]))
    n_len = (N,) if batched else ()
    il = draw(st.sampled_from([n_len, n_len, (N + 1,), (N, 1)]))
    tl = draw(st.sampled_from([n_len, n_len, (N + 1,)]))
    blank = draw(st.sampled_from([0, 0, C - 1, C]))
    red = draw(REDUCTIONS)
    inputs = {"lp": (lp, "float32"), "tg": (tg, "int64", f"randint:{C}"), "il": (il, "int64"),
              "tl": (tl, "int64")}
    # Lengths hold values the CPU kernel accepts: every input length T; target lengths that fill
    # concatenated 1-D targets exactly.
    fill = 1 if len(tg) == 2 else (S if tg in ((N * S,), (S,)) else 1)
    pre = f"il = torch.full_like(il, lp.shape[0])\ntl = torch.full_like(tl, {fill})\n"
    call = (f"nn.CTCLoss(blank={blank}, reduction={red})(lp.log_softmax(-1), tg, il, tl)" if draw(st.booleans())
            else f"F.ctc_loss(lp.log_softmax(-1), tg, il, tl, blank={blank}, reduction={red})")
    return pre + "y = " + call, inputs


@given(ctc_case())
def test_ctc_loss_shapes(case):
    check(*case)


def _cpu(code, inputs):
    """torch on CPU only (gaussian_nll_loss calls .item(), which the meta device cannot)."""
    ns = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    for k, spec in inputs.items():
        ns[k] = torch.rand(spec[0], dtype=DTYPES[spec[1]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, ns)
    except Exception as e:
        return None, e
    return _torch_shapes(ns["y"]), None


@st.composite
def gaussian_case(draw):
    x = draw(shape(1, 3))
    t = draw(related_shape(x))
    v = draw(st.sampled_from(["same", "short", "one", "other"]))
    if v == "same":
        var = x
    elif v == "short":
        var = x[:-1]
    elif v == "one":
        var = list(x)
        var[draw(st.integers(0, len(x) - 1))] = 1
        var = tuple(var)
    else:
        var = draw(related_shape(x))
    red = draw(REDUCTIONS)
    if draw(st.booleans()):
        return f"y = nn.GaussianNLLLoss(reduction={red})(x, t, v)", {"x": (x, "float32"), "t": (t, "float32"), "v": (var, "float32")}
    return f"y = F.gaussian_nll_loss(x, t, v, reduction={red})", {"x": (x, "float32"), "t": (t, "float32"), "v": (var, "float32")}


@given(gaussian_case())
def test_gaussian_nll_loss_var_sizes(case):
    code, inputs = case
    shapes, err = _cpu(code, inputs)
    e = run_engine(code, inputs)
    if err is not None:
        assert e.errors, f"torch raised {err} but the engine did not\n{code}\n{inputs}"
    else:
        assert not e.errors, f"torch gave {shapes}, engine errors {[f.message for f in e.errors]}\n{code}\n{inputs}"
        assert e.shapes == shapes, f"{e.shapes} vs {shapes}\n{code}\n{inputs}"


def test_batch_mismatch_message_names_both_sizes():
    t = check("y = nn.CrossEntropyLoss()(x, t)", {"x": ((4, 10), "float32"), "t": ((3,), "int64")}, code_expected="SL114")
    assert "batch_size" in str(t.error)
    e = run_engine("y = nn.CrossEntropyLoss()(x, t)", {"x": ((4, 10), "float32"), "t": ((3,), "int64")})
    assert "Expected input batch_size (4) to match target batch_size (3)" in e.errors[0].message


def test_symbolic_batch_cross_entropy():
    e = run_engine("y = F.cross_entropy(x, t, reduction='none')", {"x": (("B", 10), "float32"), "t": (("B",), "int64")})
    assert not e.errors and e.shapes == ("B",)


@st.composite
def multi_margin_case(draw):
    fn = draw(st.sampled_from(["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"]))
    x = draw(shape(1, 3))
    red = draw(REDUCTIONS)
    if len(x) < 2 and red == "'none'" and fn != "multilabel_soft_margin_loss":
        red = "'sum'"  # unbatched per-sample losses: torch's meta kernel says (1,), its CPU kernel ()
    C = x[-1]
    inputs = {"x": (x, "float32")}
    opts = [f"reduction={red}"]
    if fn == "multi_margin_loss":
        N = x[0] if len(x) == 2 else 1
        t = draw(st.sampled_from([(N,), (N,), (N + 1,), (N, 1)] + ([()] if red != "'none'" else [])))  # see above
        inputs["t"] = (t, draw(st.sampled_from(["int64", "int64", "float32"])), f"randint:{C}")
        if draw(st.booleans()):
            inputs["w"] = (draw(st.sampled_from([(C,), (C + 1,), (C, 1)])), "float32")
            opts.append("weight=w")
        opts.append(f"p={draw(st.sampled_from([1, 2, 3]))}")
        layer = "MultiMarginLoss"
    elif fn == "multilabel_margin_loss":
        inputs["t"] = (draw(related_shape(x)), "int64", f"randint:{C}")
        layer = "MultiLabelMarginLoss"
    else:
        inputs["t"] = (draw(related_shape(x)), "float32")
        if draw(st.booleans()):
            inputs["w"] = (draw(related_shape(x)), "float32")
            opts.append("weight=w")
        layer = "MultiLabelSoftMarginLoss"
    o = ", ".join(opts)
    if draw(st.booleans()):
        return f"y = nn.{layer}({o})(x, t)", inputs
    return f"y = F.{fn}(x, t, {o})", inputs


@given(multi_margin_case())
def test_multi_class_and_multi_label_margins_match_torch(case):
    check(*case)


@st.composite
def triplet_distance_case(draw):
    a = draw(shape(1, 3))
    inputs = {"a": (a, "float32"), "b": (draw(related_shape(a)), "float32"), "c": (draw(related_shape(a)), "float32")}
    opts = f"margin={draw(st.sampled_from([1.0, 0.5, 0.0]))}, swap={draw(st.booleans())}, reduction={draw(REDUCTIONS)}"
    if draw(st.booleans()):
        return f"y = nn.TripletMarginWithDistanceLoss({opts})(a, b, c)", inputs
    return f"y = F.triplet_margin_with_distance_loss(a, b, c, {opts})", inputs


@given(triplet_distance_case())
def test_triplet_margin_with_distance_loss_matches_torch(case):
    check(*case)


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(0, 1))
def test_nll_loss_2d_alias(N, H, W, off):
    check("y = nn.NLLLoss2d(reduction='none')(x, t)",
          {"x": ((N, 3, H, W), "float32"), "t": ((N, H, W + off), "int64", "randint:3")})


def test_symbolic_formulas_match_torch():
    from tests.ops.harness import check_symbolic

    for env in ({"B": 2, "H": 3}, {"B": 4, "H": 1}):
        check_symbolic("y = F.cross_entropy(x, t, reduction='none')",
                       {"x": (("B", 5, "H"), "float32"), "t": (("B", "H"), "int64", "randint:5")}, env)
        check_symbolic("y = nn.BCEWithLogitsLoss(reduction='none')(x, t)",
                       {"x": (("B", "H"), "float32"), "t": (("B", "H"), "float32")}, env)
        check_symbolic("y = F.mse_loss(x, t, reduction='none')", {"x": (("B", "H"), "float32"), "t": (("H",), "float32")}, env)
