"""torch.einsum: full subscript parsing — `...`, repeated subscripts (diagonals), implicit output
(labels seen once, uppercase before lowercase, broadcast dims first), size-1 broadcasting of
labels, and torch's errors for everything else."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import broadcast_shapes, fmt
from shapelens.ops.elementwise import promote
from shapelens.ops.registry import NotUnderstood, op
from shapelens.values import Const, TensorV, as_seq

ELL = "..."


def _label_key(c: str) -> int:
    # torch numbers A-Z before a-z.
    return ord(c) - ord("A") if c.isupper() else 26 + ord(c) - ord("a")


def parse_term(ctx, term: str, where: str, offset: int) -> list[str]:
    """A term's labels in order, with ELL for an ellipsis."""
    out: list[str] = []
    i = 0
    while i < len(term):
        c = term[i]
        if c == " ":
            i += 1
            continue
        if c == ".":
            if term[i:i + 3] != "..." or ELL in out:
                ctx.fail(codes.ARGUMENTS, f"einsum(): found '.' for {where} that is not part of any ellipsis")
            out.append(ELL)
            i += 3
            continue
        if not (c.isascii() and c.isalpha()):
            ctx.fail(codes.ARGUMENTS, f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                                      f"subscripts must be in [a-zA-Z]")
        out.append(c)
        i += 1
    return out


def einsum_shape(ctx, equation: str, ops: list[TensorV]) -> TensorV:
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(ops):
        ctx.fail(codes.ARGUMENTS, f"einsum(): fewer operands were provided than specified in the equation ({len(terms)} terms, {len(ops)} operands)")
    if len(terms) < len(ops):
        ctx.fail(codes.ARGUMENTS, f"einsum(): more operands were provided than specified in the equation ({len(terms)} terms, {len(ops)} operands)")
    if any(t.shape is None for t in ops):
        return TensorV(None, None)
    sizes: dict[str, Dim] = {}
    ell_shapes: list[tuple] = []
    counts: dict[str, int] = {}
    offset = 0
    for k, (term, t) in enumerate(zip(terms, ops)):
        labels = parse_term(ctx, term, f"operand {k}", offset)
        offset += len(term) + 1
        named = [l for l in labels if l != ELL]
        rank = len(t.shape)  # type: ignore[arg-type]
        if ELL in labels:
            if len(named) > rank:
                ctx.fail(codes.ARGUMENTS, f"einsum(): the number of subscripts in the equation ({len(named)}) is more than the number "
                                          f"of dimensions ({rank}) for operand {k}: shape {fmt(t.shape)}")
        elif len(named) != rank:
            ctx.fail(codes.ARGUMENTS, f"einsum(): the number of subscripts in the equation ({len(named)}) does not match the number "
                                      f"of dimensions ({rank}) for operand {k} and no ellipsis was given: shape {fmt(t.shape)}")
        dims = list(t.shape)  # type: ignore[arg-type]
        ell_n = rank - len(named)
        pos = 0
        own: dict[str, Dim] = {}
        for l in labels:
            if l == ELL:
                ell_shapes.append(tuple(dims[pos:pos + ell_n]))
                pos += ell_n
                continue
            d = dims[pos]
            pos += 1
            counts[l] = counts.get(l, 0) + 1  # implicit output: labels seen exactly once in all
            if l in own:
                ctx.require_eq(d, own[l], codes.MATMUL, lambda l=l, d=d, o=own[l]: (
                    f"einsum(): subscript {l} is repeated for operand {k} but the sizes don't match, {o} != {d}"))
                continue
            own[l] = d
        for l, d in own.items():
            if l not in sizes:
                sizes[l] = d
                continue
            cur = sizes[l]
            if eq(d, cur) is True or eq(d, 1) is True:
                continue
            if eq(cur, 1) is True:
                sizes[l] = d
                continue
            if eq(d, 1) is False and eq(cur, 1) is False:
                ctx.require_eq(d, cur, codes.MATMUL, lambda l=l, d=d, cur=cur: (
                    f"einsum(): operands do not broadcast: subscript {l} has size {cur} in one operand and {d} in operand {k} "
                    f"({fmt(t.shape)}) in '{equation}'"))
                continue
            sizes[l] = ctx.unknown_dim("einsum broadcast of a size that may be 1")
    ell: tuple = ()
    for s in ell_shapes:
        ell = broadcast_shapes(ctx, ell, s, f"the dims covered by '...' in '{equation}'")
    if arrow:
        out_labels = parse_term(ctx, rhs, "the output", len(lhs) + 2)
        seen: set[str] = set()
        for l in out_labels:
            if l == ELL:
                continue
            if l in seen:
                ctx.fail(codes.ARGUMENTS, f"einsum(): output subscript {l} appears more than once in the output")
            if l not in sizes:
                ctx.fail(codes.ARGUMENTS, f"einsum(): output subscript {l} does not appear in the equation for any input operand")
            seen.add(l)
    else:
        out_labels = [ELL] + sorted((l for l, c in counts.items() if c == 1), key=_label_key)
    shape: list[Dim] = []
    for l in out_labels:
        shape.extend(ell if l == ELL else (sizes[l],))
    dtype = ops[0].dtype
    for t in ops[1:]:
        dtype = promote(dtype, t.dtype)
    return TensorV(tuple(shape), dtype)


@op("torch.einsum")
def einsum(ctx, *args, **kwargs):
    if kwargs:
        raise NotUnderstood("einsum keyword arguments")
    if not args or not (isinstance(args[0], Const) and isinstance(args[0].value, str)):
        raise NotUnderstood("einsum with the sublist format or an unknown equation")
    equation = args[0].value
    ops = list(args[1:])
    if len(ops) == 1 and as_seq(ops[0]) is not None:
        ops = as_seq(ops[0])  # type: ignore[assignment]
    if not all(isinstance(t, TensorV) for t in ops):
        raise NotUnderstood("einsum operands are not known tensors")
    return einsum_shape(ctx, equation, ops)  # type: ignore[arg-type]
