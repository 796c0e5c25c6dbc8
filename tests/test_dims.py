"""The dimension algebra against Python's own integer arithmetic."""

import itertools

from hypothesis import given, strategies as st

from shapelens.dims import Dim, eq, example_solution, floordiv, le

H, W, B = Dim.sym("H"), Dim.sym("W"), Dim.sym("B")


def test_normal_form_makes_equal_expressions_equal():
    a = 16 * (H // 2) * (W // 2)
    b = (W // 2) * ((H // 2) * 16)
    assert a == b and eq(a, b) is True
    assert str(a) == "16*(H//2)*(W//2)"


def test_known_false_and_undecided():
    assert eq(B * 48, B * 50) is False
    assert eq(16 * H * W, 100) is False  # 16 does not divide 100
    assert eq(16 * (H // 4) * (W // 4), 3136) is None  # 56x56 works
    assert eq(2 * B, 7) is False
    assert eq(H + 1, 0) is False


def test_floor_rules():
    assert (H - 2) // 2 + 1 == H // 2  # pooling k=2 s=2
    assert (H // 2) // 2 == H // 4
    assert (H + 2 - 3) // 2 + 1 == (H + 1) // 2  # conv k3 s2 p1
    assert floordiv(3 * H, Dim.const(2)) == H + H // 2


def test_example_solution_prefers_square_inputs():
    assert example_solution([(16 * (H // 4) * (W // 4), Dim.const(3136))]) == {"H": 56, "W": 56}


def py_eval(d: Dim, env: dict) -> int:
    v = d.subs(env).value
    assert v is not None
    return v


def build_pair():
    """An expression and a function computing the same thing on Python ints."""
    leaves = st.one_of(st.integers(-5, 20).map(lambda n: (Dim.const(n), lambda e, n=n: n)),
                       st.sampled_from(["H", "W", "B"]).map(lambda s: (Dim.sym(s), lambda e, s=s: e[s])))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: (t[0][0] + t[1][0], lambda e, a=t[0][1], b=t[1][1]: a(e) + b(e))),
            st.tuples(inner, inner).map(lambda t: (t[0][0] - t[1][0], lambda e, a=t[0][1], b=t[1][1]: a(e) - b(e))),
            st.tuples(inner, inner).map(lambda t: (t[0][0] * t[1][0], lambda e, a=t[0][1], b=t[1][1]: a(e) * b(e))),
            st.tuples(inner, st.integers(1, 5)).map(lambda t: (t[0][0] // t[1], lambda e, a=t[0][1], k=t[1]: a(e) // k)),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@given(build_pair(), st.integers(1, 40), st.integers(1, 40), st.integers(1, 8))
def test_normal_form_preserves_value(pair, h, w, b):
    d, f = pair
    env = {"H": h, "W": w, "B": b}
    assert py_eval(d, env) == f(env)


@given(build_pair(), build_pair())
def test_three_valued_equality_is_sound(p1, p2):
    """True means equal at every point, False means equal at none (checked on a grid)."""
    (a, fa), (b, fb) = p1, p2
    verdict = eq(a, b)
    if verdict is None:
        return
    for h, w, bb in itertools.product([1, 2, 3, 7, 16], [1, 5, 9], [1, 4]):
        env = {"H": h, "W": w, "B": bb}
        assert (fa(env) == fb(env)) == verdict, (a, b, env)


@given(build_pair(), build_pair())
def test_le_is_sound(p1, p2):
    (a, fa), (b, fb) = p1, p2
    verdict = le(a, b)
    if verdict is None:
        return
    for h, w, bb in itertools.product([1, 2, 3, 7, 16], [1, 5, 9], [1, 4]):
        env = {"H": h, "W": w, "B": bb}
        assert (fa(env) <= fb(env)) == verdict, (a, b, env)
