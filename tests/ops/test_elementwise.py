"""Elementwise ops against torch: broadcasting across ranks, every operator (reflected and
in-place), torch's type promotion (checked dtype by dtype), where/clamp/lerp/addcmul/addcdiv/
masked_fill, and conversions that keep the shape."""

import torch
from hypothesis import given, strategies as st

from shapelens.analysis.analyze import SNIPPET_PRELUDE
from tests.ops.harness import _make, check, check_symbolic, run_engine
from tests.ops.test_reshape import symbolic_agrees

DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]
TORCH_NAMES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "int64": torch.int64,
               "int32": torch.int32, "uint8": torch.uint8, "bool": torch.bool, "int16": torch.int16, "int8": torch.int8,
               "bfloat16": torch.bfloat16, "complex64": torch.complex64, "complex128": torch.complex128}


def check_dtype(code, inputs, result="y"):
    """Shapes as check() does, and the result's dtype as torch computes it (CPU)."""
    t = check(code, inputs, result)
    if t.error is not None:
        return
    ns = {}
    exec(SNIPPET_PRELUDE, ns)
    for k, spec in inputs.items():
        ns[k] = _make(spec, "cpu")
    try:
        exec(code, ns)
    except Exception:
        return  # a data-dependent failure on CPU; the shape check above stands
    e = run_engine(code, inputs, result)
    got = getattr(e.value, "dtype", None)
    want = ns[result].dtype if isinstance(ns.get(result), torch.Tensor) else None
    assert want is None or got is None or TORCH_NAMES.get(got) == want, f"dtype: engine {got} vs torch {want}\n{code}\n{inputs}"


@st.composite
def broadcastable(draw):
    base = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    a = [draw(st.sampled_from([d, 1])) for d in base][draw(st.integers(0, len(base))):]
    b = [draw(st.sampled_from([d, 1])) for d in base][draw(st.integers(0, len(base))):]
    if b and draw(st.integers(0, 6)) == 0:
        b[-1] = b[-1] + 1 if b[-1] != 1 else 3  # often not broadcastable
    return tuple(a), tuple(b)


BINOPS = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">="]
FUNCS = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum",
         "atan2", "hypot", "eq", "ne", "lt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "xlogy",
         "float_power", "copysign", "fmax", "fmin"]


@st.composite
def binary_case(draw):
    a, b = draw(broadcastable())
    da, db = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
    inputs = {"a": (a, da), "b": (b, db)}
    scalar = draw(st.sampled_from([None, None, "2", "2.5", "True"]))
    rhs = scalar if scalar is not None else "b"
    kind = draw(st.sampled_from(["op", "rop", "func", "method", "inplace", "augassign"]))
    if kind in ("op", "rop", "augassign"):
        o = draw(st.sampled_from(BINOPS))
        if kind == "op":
            code = f"y = a {o} {rhs}"
        elif kind == "rop":
            code = f"y = {rhs} {o} a"
        else:
            if o in ("==", "!=", "<", "<=", ">", ">="):
                o = "+"
            code = f"y = a.clone()\ny {o}= {rhs}"
    else:
        f = draw(st.sampled_from(FUNCS))
        if kind == "func":
            code = f"y = torch.{f}(a, {rhs})"
        elif kind == "method":
            code = f"y = a.{f}({rhs})"
        else:
            if f in ("maximum", "minimum", "atan2", "hypot", "fmax", "fmin"):
                f = "mul"
            code = f"y = a.clone().{f}_({rhs})"
    if scalar is not None:
        inputs.pop("b")
    if any(d in code for d in ("//", "%", "floor_divide", "remainder", "fmod")):
        # integer test data holds zeros: integer division by zero is a data error, not a shape one
        inputs = {k: (v[0], v[1] if v[1].startswith("float") else "float32") for k, v in inputs.items()}
    return code, inputs


@given(binary_case())
def test_binary_ops_match_torch(case):
    check_dtype(*case)


UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "floor", "round", "sign", "square", "bitwise_not", "isnan",
         "logical_not", "reciprocal", "trunc", "frac", "erf", "expm1", "log1p", "rsqrt"]


@given(st.lists(st.integers(0, 3), max_size=3).map(tuple), st.sampled_from(DTYPES), st.sampled_from(UNARY),
       st.sampled_from(["func", "method", "inplace", "op"]))
def test_unary_ops_match_torch(shape, dtype, fn, kind):
    if kind == "op":
        code = {"neg": "y = -x", "bitwise_not": "y = ~x"}.get(fn, f"y = x.{fn}()")
    elif kind == "func":
        code = f"y = torch.{fn}(x)"
    elif kind == "method":
        code = f"y = x.{fn}()"
    else:
        code = f"y = x.clone().{fn}_()" if fn not in ("isnan",) else f"y = x.{fn}()"
    check_dtype(code, {"x": (shape, dtype)})


@st.composite
def ternary_case(draw):
    a, b = draw(broadcastable())
    _, c = draw(broadcastable())
    fn = draw(st.sampled_from(["where", "where_scalar", "clamp", "clamp_t", "lerp", "addcmul", "addcdiv", "masked_fill",
                               "masked_fill_", "clamp_", "where_method"]))
    d = [draw(st.sampled_from(["float32", "float32", "float64", "int64", "bool"])) for _ in range(3)]
    inputs = {"a": (a, d[0]), "b": (b, d[1]), "c": (c, d[2])}
    code = {
        "where": "y = torch.where(c, a, b)", "where_scalar": "y = torch.where(c, a, 0.5)",
        "where_method": "y = a.where(c, b)", "clamp": "y = a.clamp(-1, 1)", "clamp_t": "y = torch.clamp(a, min=b, max=c)",
        "clamp_": "y = a.clone().clamp_(min=b)", "lerp": "y = torch.lerp(a, b, 0.5)" if draw(st.booleans()) else "y = a.lerp(b, c)",
        "addcmul": "y = torch.addcmul(a, b, c, value=2)", "addcdiv": "y = torch.addcdiv(a, b, c)",
        "masked_fill": "y = a.masked_fill(c, 0.0)", "masked_fill_": "y = a.clone().masked_fill_(c, 1)",
    }[fn]
    return code, inputs


@given(ternary_case())
def test_ternary_ops_match_torch(case):
    check_dtype(*case)


@given(st.lists(st.integers(0, 3), max_size=3).map(tuple), st.sampled_from(DTYPES), st.sampled_from([
    "x.to(torch.float64)", "x.to('cpu')", "x.to(z)", "x.to('cpu', torch.int32)", "x.to(dtype=torch.float16)", "x.float()",
    "x.long()", "x.half()", "x.double()", "x.int()", "x.bool()", "x.cpu()", "x.detach()", "x.clone()", "x.type_as(z)",
    "x.type(torch.int16)", "x.type('torch.LongTensor')", "x.byte()", "x.contiguous()", "x.requires_grad_(False) if x.is_floating_point() else x"]))
def test_conversions_keep_shapes(shape, dtype, expr):
    check_dtype(f"y = {expr}", {"x": (shape, dtype), "z": ((2,), "int64")})


def test_symbolic_broadcasting():
    sym = {"a": (("B", "T", "D"), "float32"), "b": (("T", 1), "float32")}
    env = {"B": 2, "T": 5, "D": 3}
    for code in ["y = a + b", "y = a * b - 1", "y = torch.where(a > 0, a, b)", "y = (a / 2).clamp(min=b)",
                 "y = a.masked_fill(b > 0, 0.0)"]:
        check_symbolic(code, sym, env)


LAYOUTS = ["x.transpose(0, 1)", "x.permute(2, 0, 1)", "x[:, ::2]", "x[:, :1].expand(-1, 3, -1)", "x.mT", "x[1:]",
           "x.unsqueeze(1).transpose(0, 2)", "x"]
ELEMENTWISE = ["t.exp()", "t + 1", "t * t", "t + x2", "t.clone()", "t.double()", "t.float()", "t.to(torch.float16)",
               "torch.where(t > 0, t, 0.0)", "t.clamp(0, 1)", "t.masked_fill(t > 0, 0.0)", "t.sqrt()", "-t", "t > 0",
               "t.detach()", "t.type_as(t)", "torch.lerp(t, t, 0.5)", "x2 * t"]


@given(st.sampled_from(LAYOUTS), st.sampled_from(ELEMENTWISE), st.sampled_from(["-1", "t.shape[0], -1", "-1, t.shape[-1]"]),
       st.lists(st.integers(1, 3), min_size=3, max_size=3).map(tuple))
def test_view_after_elementwise_follows_torchs_layout(layout, expr, target, shape):
    code = f"t = {layout}\nx2 = torch.ones(t.shape[-1])\nt = {expr}\ny = t.view({target})"
    check(code, {"x": (shape, "float32")})


@given(st.one_of(binary_case(), ternary_case()))
def test_symbolic_elementwise_agrees_with_torch(case):
    symbolic_agrees(*case)
