"""Symbolic dimension algebra.

A `Dim` is an integer polynomial over *atoms*: named symbols (`B`, `H`), floor divisions
(`(H + 1)//2`), remainders, and opaque unknowns (`?`). Every Dim is kept in a normal form, so
two expressions that are equal as integer functions of their symbols compare equal when the
algebra can see it (`16*(H//2)*(W//2)` built in any order), and `B*48 == B*50` is known false.

Symbols stand for positive integers (sizes are >= 1); unknowns for non-negative ones.
Comparisons are three-valued: True (always), False (never), None (depends on the values).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Union

INF = math.inf


# ---------------------------------------------------------------------------------------------
# Atoms
# ---------------------------------------------------------------------------------------------


class Atom:
    """A non-polynomial building block of a Dim. Subclasses are immutable and hashable."""

    sort_key: tuple

    def bounds(self) -> tuple[float, float]:
        raise NotImplementedError

    def subs(self, env: Mapping[str, "Dim"]) -> "Dim":
        raise NotImplementedError

    def symbols(self) -> set[str]:
        raise NotImplementedError

    def has_unknown(self) -> bool:
        return False


@dataclass(frozen=True)
class Sym(Atom):
    name: str

    @property
    def sort_key(self) -> tuple:
        return (0, self.name)

    def bounds(self):
        return (1, INF)

    def subs(self, env):
        v = env.get(self.name)
        return Dim.of(v) if v is not None else Dim.atom(self)

    def symbols(self):
        return {self.name}

    def __str__(self):
        return self.name


_unknown_counter = itertools.count(1)


@dataclass(frozen=True)
class Unknown(Atom):
    """A size nobody could work out. Two unknowns are equal only if they are the same one."""

    ident: int
    why: str = ""

    @property
    def sort_key(self) -> tuple:
        return (3, self.ident)

    def bounds(self):
        return (0, INF)

    def subs(self, env):
        return Dim.atom(self)

    def symbols(self):
        return set()

    def has_unknown(self):
        return True

    def __str__(self):
        return "?"


@dataclass(frozen=True)
class FloorDiv(Atom):
    num: "Dim"
    den: "Dim"

    @property
    def sort_key(self) -> tuple:
        return (1, self.num.sort_key, self.den.sort_key)

    def bounds(self):
        nlo, nhi = self.num.bounds()
        dlo, dhi = self.den.bounds()
        if dlo <= 0:
            return (-INF, INF)
        cands = [_floordiv_bound(a, b) for a in (nlo, nhi) for b in (dlo, dhi)]
        return (min(cands), max(cands))

    def subs(self, env):
        return self.num.subs(env) // self.den.subs(env)

    def symbols(self):
        return self.num.symbols() | self.den.symbols()

    def has_unknown(self):
        return self.num.has_unknown() or self.den.has_unknown()

    def __str__(self):
        return f"{_paren(self.num)}//{_paren(self.den)}"


@dataclass(frozen=True)
class Mod(Atom):
    num: "Dim"
    den: "Dim"

    @property
    def sort_key(self) -> tuple:
        return (2, self.num.sort_key, self.den.sort_key)

    def bounds(self):
        dlo, dhi = self.den.bounds()
        if dlo <= 0:
            return (-INF, INF)
        return (0, dhi - 1)

    def subs(self, env):
        return self.num.subs(env) % self.den.subs(env)

    def symbols(self):
        return self.num.symbols() | self.den.symbols()

    def has_unknown(self):
        return self.num.has_unknown() or self.den.has_unknown()

    def __str__(self):
        return f"{_paren(self.num)} % {_paren(self.den)}"


def _floordiv_bound(a: float, b: float) -> float:
    if a in (INF, -INF) or b == INF:
        if b == INF:
            return 0 if a not in (INF, -INF) else a
        return a
    return a // b


def _paren(d: "Dim") -> str:
    s = str(d)
    if d.is_const or (len(d.terms) == 1 and d.terms[0][1] == 1 and len(d.terms[0][0]) == 1):
        return s
    return f"({s})"


# ---------------------------------------------------------------------------------------------
# Dim: a normalised polynomial over atoms
# ---------------------------------------------------------------------------------------------

# A monomial is a sorted tuple of (atom, power); the empty tuple is the constant term.
Mono = tuple


def _mono_key(m: Mono) -> tuple:
    return tuple((a.sort_key, p) for a, p in m)


def _mono_mul(a: Mono, b: Mono) -> Mono:
    powers: dict[Atom, int] = {}
    for atom, p in itertools.chain(a, b):
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items(), key=lambda ap: ap[0].sort_key))


DimLike = Union["Dim", int]


class Dim:
    """An integer-valued expression in normal form. Immutable; compare with `eq`, not `==`
    when a three-valued answer is wanted (`==` is structural identity of the normal form)."""

    __slots__ = ("terms", "_hash", "pretty")

    def __init__(self, terms: Iterable[tuple[Mono, int]] = (), pretty: str | None = None):
        acc: dict[Mono, int] = {}
        for mono, coef in terms:
            if coef:
                acc[mono] = acc.get(mono, 0) + coef
        items = [(m, c) for m, c in acc.items() if c]
        items.sort(key=lambda mc: (-len(mc[0]) if mc[0] else 1, _mono_key(mc[0])))
        self.terms: tuple[tuple[Mono, int], ...] = tuple(items)
        self._hash = hash(self.terms)
        # How the expression reads as built (`16*(H - 2)*(W - 2)`), when that is shorter than
        # the expanded normal form. Display only: equality and hashing use `terms`.
        self.pretty = pretty

    # construction ---------------------------------------------------------------------------
    @staticmethod
    def of(v: "DimLike") -> "Dim":
        if isinstance(v, Dim):
            return v
        if isinstance(v, bool):
            return Dim.const(int(v))
        if isinstance(v, int):
            return Dim.const(v)
        raise TypeError(f"not a dimension: {v!r}")

    @staticmethod
    def const(n: int) -> "Dim":
        return Dim([((), int(n))])

    @staticmethod
    def sym(name: str) -> "Dim":
        return Dim([(((Sym(name), 1),), 1)])

    @staticmethod
    def atom(a: Atom) -> "Dim":
        return Dim([(((a, 1),), 1)])

    @staticmethod
    def unknown(why: str = "") -> "Dim":
        return Dim.atom(Unknown(next(_unknown_counter), why))

    # inspection -----------------------------------------------------------------------------
    @property
    def is_const(self) -> bool:
        return all(not m for m, _ in self.terms)

    @property
    def value(self) -> int | None:
        """The integer value when the Dim is a constant, else None."""
        if not self.terms:
            return 0
        if len(self.terms) == 1 and not self.terms[0][0]:
            return self.terms[0][1]
        return None

    @property
    def constant_term(self) -> int:
        for m, c in self.terms:
            if not m:
                return c
        return 0

    @property
    def sort_key(self) -> tuple:
        return tuple((_mono_key(m), c) for m, c in self.terms)

    def atoms(self) -> set[Atom]:
        return {a for m, _ in self.terms for a, _ in m}

    def symbols(self) -> set[str]:
        out: set[str] = set()
        for a in self.atoms():
            out |= a.symbols()
        return out

    def has_unknown(self) -> bool:
        return any(a.has_unknown() for a in self.atoms())

    @property
    def is_known(self) -> bool:
        """True when the Dim is made only of constants and named symbols (no `?`)."""
        return not self.has_unknown()

    def bounds(self) -> tuple[float, float]:
        lo = hi = 0.0
        for mono, coef in self.terms:
            mlo, mhi = 1.0, 1.0
            for atom, p in mono:
                alo, ahi = atom.bounds()
                cands = [_pow(alo, p), _pow(ahi, p)]
                if alo < 0 < ahi and p % 2 == 0:
                    cands.append(0)
                plo, phi = min(cands), max(cands)
                prods = [_mul(mlo, plo), _mul(mlo, phi), _mul(mhi, plo), _mul(mhi, phi)]
                mlo, mhi = min(prods), max(prods)
            a, b = _mul(coef, mlo), _mul(coef, mhi)
            lo += min(a, b)
            hi += max(a, b)
        return (lo, hi)

    # arithmetic -----------------------------------------------------------------------------
    def __add__(self, other: DimLike) -> "Dim":
        o = Dim.of(other)
        out = Dim(self.terms + o.terms)
        if (self.pretty or o.pretty) and out.terms:
            if o.value is not None:
                text = f"{self} + {o.value}" if o.value >= 0 else f"{self} - {-o.value}"
            elif self.value is not None:
                text = f"{o} + {self.value}" if self.value >= 0 else f"{o} - {-self.value}"
            else:
                text = f"{self} + {o}"
            out.pretty = text
        return out

    __radd__ = __add__

    def __neg__(self) -> "Dim":
        return Dim((m, -c) for m, c in self.terms)

    def __sub__(self, other: DimLike) -> "Dim":
        return self + (-Dim.of(other))

    def __rsub__(self, other: DimLike) -> "Dim":
        return Dim.of(other) - self

    def __mul__(self, other: DimLike) -> "Dim":
        o = Dim.of(other)
        out = Dim((_mono_mul(m1, m2), c1 * c2) for m1, c1 in self.terms for m2, c2 in o.terms)
        if len(out.terms) > 1 and (len(self.terms) > 1 or len(o.terms) > 1 or self.pretty or o.pretty):
            a, b = (o, self) if self.value is None and o.value is not None else (self, o)
            out.pretty = f"{_factor_text(a)}*{_factor_text(b)}"
        return out

    __rmul__ = __mul__

    def __floordiv__(self, other: DimLike) -> "Dim":
        return floordiv(self, Dim.of(other))

    def __rfloordiv__(self, other: DimLike) -> "Dim":
        return floordiv(Dim.of(other), self)

    def __mod__(self, other: DimLike) -> "Dim":
        return mod(self, Dim.of(other))

    def __rmod__(self, other: DimLike) -> "Dim":
        return mod(Dim.of(other), self)

    def __pow__(self, n: int) -> "Dim":
        out = Dim.const(1)
        for _ in range(n):
            out = out * self
        return out

    def exact_div(self, other: DimLike) -> "Dim | None":
        """self / other when it divides exactly in the algebra, else None."""
        return exact_div(self, Dim.of(other))

    def subs(self, env: Mapping[str, DimLike]) -> "Dim":
        env_d = {k: Dim.of(v) for k, v in env.items()}
        out = Dim.const(0)
        for mono, coef in self.terms:
            term = Dim.const(coef)
            for atom, p in mono:
                term = term * (atom.subs(env_d) ** p)
            out = out + term
        return out

    # identity -------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            return self.value == other
        return isinstance(other, Dim) and self.terms == other.terms

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Dim({self})"

    def __str__(self) -> str:
        if self.pretty is not None:
            return self.pretty
        if not self.terms:
            return "0"
        parts: list[str] = []
        for i, (mono, coef) in enumerate(self.terms):
            if not mono:
                body = str(abs(coef))
            else:
                factors = []
                for atom, p in mono:
                    s = str(atom)
                    if isinstance(atom, Mod) or (
                        isinstance(atom, FloorDiv) and (len(mono) > 1 or abs(coef) != 1 or p != 1)
                    ):
                        s = f"({s})"
                    factors.append(s if p == 1 else f"{s}**{p}")
                body = "*".join(factors)
                if abs(coef) != 1:
                    body = f"{abs(coef)}*{body}"
            if i == 0:
                parts.append(f"-{body}" if coef < 0 else body)
            else:
                parts.append(f" - {body}" if coef < 0 else f" + {body}")
        return "".join(parts)

    def __bool__(self) -> bool:  # pragma: no cover - guard against accidental truthiness
        raise TypeError("Dim has no truth value; use eq()/value")


def _factor_text(d: "Dim") -> str:
    text = str(d)
    if len(d.terms) > 1 and not (d.pretty and _is_product_text(d.pretty)):
        return f"({text})"
    return text


def _is_product_text(text: str) -> bool:
    """True when the top level of `text` has no + or - (only *, // and parenthesised parts)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "+-" and i > 0:
            return False
    return True


def _pow(x: float, p: int) -> float:
    if x in (INF, -INF):
        return INF if (x > 0 or p % 2 == 0) else -INF
    return x**p


def _mul(a: float, b: float) -> float:
    if a == 0 or b == 0:
        return 0.0
    return a * b


def floordiv(num: Dim, den: Dim) -> Dim:
    nv, dv = num.value, den.value
    if dv is not None:
        if dv == 0:
            return Dim.unknown("division by zero")
        if nv is not None:
            return Dim.const(nv // dv)
        if dv == 1:
            return num
        if dv < 0:
            return floordiv(-num, Dim.const(-dv))
        # Split off what divides exactly: floor((s*A + R)/s) = A + floor(R/s).
        whole: list[tuple[Mono, int]] = []
        rest: list[tuple[Mono, int]] = []
        for mono, coef in num.terms:
            q, r = divmod(coef, dv)
            if q:
                whole.append((mono, q))
            if r:
                rest.append((mono, r))
        quotient = Dim(whole)
        rem = Dim(rest)
        if rem.value is not None:  # remainder is a constant in [0, dv)
            return quotient
        readable = f"{_factor_text(num) if len(num.terms) > 1 else num}//{dv}" if num.pretty else None
        # Nested floors: floor((floor(Q/a) + c)/b) == floor((Q + a*c)/(a*b)).
        non_const = [(m, c) for m, c in rem.terms if m]
        if len(non_const) == 1:
            (mono, coef), = non_const
            if coef == 1 and len(mono) == 1 and mono[0][1] == 1 and isinstance(mono[0][0], FloorDiv):
                inner = mono[0][0]
                a = inner.den.value
                if a is not None and a > 0:
                    return quotient + floordiv(inner.num + a * rem.constant_term, Dim.const(a * dv))
        out = quotient + Dim.atom(FloorDiv(rem, den))
        if readable is not None and len(readable) < len(str(out)):
            out.pretty = readable
        return out
    exact = exact_div(num, den)
    if exact is not None:
        return exact
    return Dim.atom(FloorDiv(num, den))


def mod(num: Dim, den: Dim) -> Dim:
    nv, dv = num.value, den.value
    if nv is not None and dv is not None:
        return Dim.const(nv % dv) if dv else Dim.unknown("modulo by zero")
    if exact_div(num, den) is not None:
        return Dim.const(0)
    return num - den * floordiv(num, den)


def exact_div(num: Dim, den: Dim) -> Dim | None:
    """Exact quotient when `den` is a single term (constant or monomial) dividing every term of
    `num`, or when num is a constant multiple of den; else None."""
    if not den.terms:
        return None
    if len(den.terms) == 1:
        dmono, dcoef = den.terms[0]
        dpow = dict(dmono)
        out: list[tuple[Mono, int]] = []
        for mono, coef in num.terms:
            if coef % dcoef:
                return None
            powers = dict(mono)
            for atom, p in dpow.items():
                if powers.get(atom, 0) < p:
                    return None
                powers[atom] -= p
                if not powers[atom]:
                    del powers[atom]
            out.append((tuple(sorted(powers.items(), key=lambda ap: ap[0].sort_key)), coef // dcoef))
        return Dim(out)
    # num == k * den for an integer k?
    (m0, c0) = den.terms[0]
    for mono, coef in num.terms:
        if mono == m0:
            if coef % c0:
                return None
            k = coef // c0
            if k and (den * k) == num:
                return Dim.const(k)
            return None
    return None


# ---------------------------------------------------------------------------------------------
# Three-valued comparisons
# ---------------------------------------------------------------------------------------------


def eq(a: DimLike, b: DimLike) -> bool | None:
    """True if a == b for every value of the symbols, False if for none, None if it depends."""
    diff = Dim.of(a) - Dim.of(b)
    if not diff.terms:
        return True
    if diff.value is not None:
        return False
    lo, hi = diff.bounds()
    if lo > 0 or hi < 0:
        return False
    # A linear Diophantine check: sum(c_i * m_i) = -k has no solution when gcd(c_i) ∤ k.
    # Only sound when every monomial ranges over all integers of its sign, i.e. contains a
    # symbol or unknown (floor atoms take every value too); Mod atoms are bounded, so skip them.
    coefs = [c for m, c in diff.terms if m]
    if not any(isinstance(a_, Mod) for a_ in diff.atoms()):
        g = 0
        for c in coefs:
            g = math.gcd(g, c)
        if g and diff.constant_term % g:
            return False
    # One atom, linear: c*X + k == 0 has the single candidate X = -k/c.
    non_const = [(m, c) for m, c in diff.terms if m]
    if len(non_const) == 1 and len(non_const[0][0]) == 1 and non_const[0][0][0][1] == 1:
        atom = non_const[0][0][0][0]
        c = non_const[0][1]
        x = Fraction(-diff.constant_term, c)
        alo, ahi = atom.bounds()
        if x.denominator != 1 or not (alo <= x <= ahi):
            return False
    return None


def ne(a: DimLike, b: DimLike) -> bool | None:
    r = eq(a, b)
    return None if r is None else not r


def le(a: DimLike, b: DimLike) -> bool | None:
    """a <= b: True always, False never, None depends."""
    lo, hi = (Dim.of(b) - Dim.of(a)).bounds()
    if lo >= 0:
        return True
    if hi < 0:
        return False
    return None


def lt(a: DimLike, b: DimLike) -> bool | None:
    return le(Dim.of(a) + 1, b)


def ge(a: DimLike, b: DimLike) -> bool | None:
    return le(b, a)


def gt(a: DimLike, b: DimLike) -> bool | None:
    return lt(b, a)


def is_one(d: DimLike) -> bool | None:
    return eq(d, 1)


# ---------------------------------------------------------------------------------------------
# Helpers used across the engine
# ---------------------------------------------------------------------------------------------


def prod(dims: Iterable[DimLike]) -> Dim:
    out = Dim.const(1)
    for d in dims:
        out = out * Dim.of(d)
    return out


def dsum(dims: Iterable[DimLike]) -> Dim:
    out = Dim.const(0)
    for d in dims:
        out = out + Dim.of(d)
    return out


def from_fraction_times(d: Dim, factor: Fraction) -> Dim:
    """floor(d * p/q) for a rational factor (used by interpolate's scale_factor)."""
    return floordiv(d * factor.numerator, Dim.const(factor.denominator))


def fmt_shape(shape: Iterable[Dim] | None) -> str:
    if shape is None:
        return "(unknown)"
    items = [str(d) for d in shape]
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def example_solution(
    constraints: list[tuple[Dim, Dim]], limit: int = 4096
) -> dict[str, int] | None:
    """A small assignment of symbols that satisfies every `lhs == rhs`, trying square inputs
    first (H == W), then a bounded grid. For hover hints only: failure proves nothing."""
    syms = sorted(set().union(*(l.symbols() | r.symbols() for l, r in constraints)) if constraints else set())
    if not syms or any(l.has_unknown() or r.has_unknown() for l, r in constraints):
        return None

    def ok(env: dict[str, int]) -> bool:
        for lhs, rhs in constraints:
            a, b = lhs.subs(env).value, rhs.subs(env).value
            if a is None or b is None or a != b:
                return False
        return True

    for v in range(1, limit + 1):
        env = {s: v for s in syms}
        if ok(env):
            return env
    if len(syms) <= 2:
        for combo in itertools.product(range(1, 257), repeat=len(syms)):
            env = dict(zip(syms, combo))
            if ok(env):
                return env
    return None
