"""How shapes, derivations and model summaries read, for every face (CLI, hover, lenses)."""

from __future__ import annotations

from shapelens.dims import fmt_shape
from shapelens.values import TensorV

MAX_CHAIN = 12


def shape_text(t: TensorV) -> str:
    return fmt_shape(t.shape)


def join_for_display(vals: list[TensorV]) -> str:
    """One shape, or the distinct shapes a line produced over several calls."""
    seen: list[str] = []
    for v in vals:
        s = shape_text(v)
        if s not in seen:
            seen.append(s)
    if len(seen) <= 3:
        return " | ".join(seen)
    return " | ".join(seen[:3]) + f" | … ({len(seen)} shapes)"


def derivation(t: TensorV) -> str:
    """`(1, 3, 28, 28) ─conv1→ (1, 16, 28, 28) ─pool→ (1, 16, 14, 14)`, back to the input;
    steps that keep the shape are left out."""
    steps: list[tuple[str, str]] = []
    cur: TensorV | None = t
    seen: set[int] = set()
    while cur is not None and cur.prov is not None and id(cur) not in seen and len(steps) < MAX_CHAIN:
        seen.add(id(cur))
        steps.append((cur.prov.label, shape_text(cur)))
        cur = cur.prov.parent
    if not steps:
        return shape_text(t)
    if cur is None:
        # The chain begins at a tensor made from nothing (torch.zeros(...), an input): start there.
        start = steps.pop()[1]
    else:
        start = shape_text(cur)
    parts = [start]
    last = start
    for label, shape in reversed(steps):
        if shape == last:
            continue  # shape-preserving steps (relu, dropout, +bias) would only lengthen the chain
        parts.append(f" ─{label}→ {shape}")
        last = shape
    text = "".join(parts)
    if cur is not None and cur.prov is not None:
        text = "… " + text
    return text


def fmt_count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def model_table(m) -> str:
    """A torchinfo-like table of a ModelSummary, as plain text."""
    lines = [f"{m.class_name}: {m.signature()} · {fmt_count(m.total_params)} params ({m.entry} input)"]
    rows = [("Layer", "Output shape", "Param #")]
    for r in m.layers:
        outs = join_for_display(r.outputs) if r.outputs else "—"
        rows.append((f"{r.name} ({r.description})", outs, fmt_count(r.params)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(widths[j]) if j < 2 else cell.rjust(widths[j]) for j, cell in enumerate(row)))
        if i == 0:
            lines.append("  " + "  ".join("─" * w for w in widths))
    return "\n".join(lines) + "\n"


def model_table_markdown(m) -> str:
    out = [f"**{m.class_name}** — `{m.signature()}` · {fmt_count(m.total_params)} params", "",
           "| Layer | Output shape | Param # |", "|---|---|---:|"]
    for r in m.layers:
        outs = join_for_display(r.outputs) if r.outputs else "—"
        out.append(f"| `{r.name}` {r.description} | `{outs}` | {fmt_count(r.params)} |")
    return "\n".join(out)
