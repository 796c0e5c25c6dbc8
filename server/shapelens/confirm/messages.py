"""Restate torch's terse error messages in ShapeLens's words.

``restate(error, layer_args)`` names the layer and both sides of the mismatch, e.g. torch's
meta "Invalid channel dimensions" or CPU "Given groups=1, weight of size [8, 1, 3, 3], expected
input[2, 3, 28, 28] to have 1 channels, but got 3 channels instead" both become
"conv1 (Conv2d) expects 1 input channels but got 3 (input shape (2, 3, 28, 28))".

Table driven: each rule is a regex over torch's message plus a function building the sentence
from the match, the layer's constructor arguments (``layer_args``, falling back to the
attributes the worker captured) and the shapes of the layer's inputs. A message no rule knows
is passed through, trimmed. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .client import TorchError

__all__ = ["restate", "format_shape"]

MAX_LEN = 300


def format_shape(shape: Sequence[Any]) -> str:
    """``(2, 3, 28, 28)``; a one-dim shape keeps its comma: ``(10,)``."""
    items = [str(d) for d in shape]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(t) for t in re.findall(r"-?\d+", text))


@dataclass(frozen=True)
class _Ctx:
    error: TorchError
    args: Mapping[str, Any]

    @property
    def layer(self) -> str:
        e = self.error
        if e.module and e.module_type:
            return f"{e.module} ({e.module_type})"
        if e.module_type:
            return e.module_type
        return e.module or ""

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        return tuple(self.error.input_shapes[0]) if self.error.input_shapes else None

    def subject(self, fallback: str) -> str:
        return self.layer or fallback

    def with_input(self, text: str, shape: Sequence[int] | None = None) -> str:
        shape = shape if shape is not None else self.input_shape
        return f"{text} (input shape {format_shape(shape)})" if shape else text


Rule = tuple["re.Pattern[str]", Callable[[re.Match, _Ctx], "str | None"]]


def _conv_channels_cpu(m: re.Match, c: _Ctx) -> str:
    inp = _ints(m.group("input"))
    # torch's "expected ... to have N channels" is in_channels, also for groups and transposed.
    expected = int(c.args.get("in_channels", m.group("exp")))
    got = int(m.group("got"))
    return c.with_input(f"{c.subject('conv layer')} expects {expected} input channels but got {got}", inp)


def _conv_channels_meta(m: re.Match, c: _Ctx) -> str | None:
    in_ch = c.args.get("in_channels")
    shape = c.input_shape
    if in_ch is None or not shape:
        return None
    # Conv inputs are (N, C, ...) or unbatched (C, ...).
    kernel = c.args.get("kernel_size")
    spatial = len(kernel) if isinstance(kernel, (list, tuple)) else None
    channel_axis = 1 if spatial is None or len(shape) == spatial + 2 else 0
    got = shape[channel_axis] if len(shape) > channel_axis else "?"
    return c.with_input(f"{c.subject('conv layer')} expects {in_ch} input channels but got {got}")


def _linear(m: re.Match, c: _Ctx) -> str:
    a_rows, a_cols, b_rows, b_cols = (int(m.group(k)) for k in ("ar", "ac", "br", "bc"))
    shape = c.input_shape
    is_linear = c.error.module_type in ("Linear", "LazyLinear") or "in_features" in c.args
    if is_linear:
        expected = int(c.args.get("in_features", b_rows))
        got = shape[-1] if shape else a_cols
        return c.with_input(
            f"{c.subject('linear layer')} expects {expected} input features but got {got}",
            shape or (a_rows, a_cols),
        )
    return (f"matrix multiply: shapes ({a_rows}, {a_cols}) and ({b_rows}, {b_cols}) cannot be "
            f"multiplied ({a_cols} != {b_rows})" + (f" in {c.layer}" if c.layer else ""))


def _meta_matmul(m: re.Match, c: _Ctx) -> str:
    a = _ints(m.group("a"))
    b = _ints(m.group("b"))
    if len(a) == 2 and len(b) == 2:
        fake = re.match(r"(?P<ar>\d+)x(?P<ac>\d+) (?P<br>\d+)x(?P<bc>\d+)", f"{a[0]}x{a[1]} {b[0]}x{b[1]}")
        assert fake is not None
        return _linear(fake, c)
    return f"matrix multiply: shapes {format_shape(a)} and {format_shape(b)} do not share a reduction dim"


def _view(m: re.Match, c: _Ctx) -> str:
    target = _ints(m.group("shape"))
    size = int(m.group("size"))
    where = f" in {c.layer}" if c.layer else ""
    return (f"cannot reshape a tensor of {size} elements to {format_shape(target)}{where}: "
            f"the target shape holds a different number of elements")


def _running_stat(m: re.Match, c: _Ctx) -> str:
    # torch: "running_mean should contain <input channels> elements not <num_features>"
    input_channels, features = int(m.group("inp")), int(m.group("feat"))
    features = int(c.args.get("num_features", features))
    return c.with_input(f"{c.subject('norm layer')} expects {features} channels but got {input_channels}")


def _rnn_input(m: re.Match, c: _Ctx) -> str:
    expected, got = int(m.group("exp")), int(m.group("got"))
    expected = int(c.args.get("input_size", expected))
    return c.with_input(f"{c.subject('recurrent layer')} expects {expected} input features but got {got}")


def _rnn_dims(m: re.Match, c: _Ctx) -> str:
    return c.with_input(f"{c.subject('recurrent layer')} expects a {m.group('exp')}-D input "
                        f"but got {m.group('got')}-D")


def _conv_dims(m: re.Match, c: _Ctx) -> str:
    return c.with_input(f"{c.subject('conv layer')} expects a {m.group('exp')} input "
                        f"but got {m.group('got')}-D")


def _kernel_too_big(m: re.Match, c: _Ctx) -> str:
    return c.with_input(f"{c.subject('layer')}: the input ({m.group('inp')} per channel after "
                        f"padding) is smaller than the kernel ({m.group('k')})")


def _norm_shape(m: re.Match, c: _Ctx) -> str:
    return c.with_input(f"{c.subject('layer norm')} expects the last dims to be "
                        f"{m.group('norm')} but got {m.group('got')}")


def _embedding_index(m: re.Match, c: _Ctx) -> str:
    n = c.args.get("num_embeddings")
    extra = f" (num_embeddings={n})" if n is not None else ""
    return c.with_input(f"{c.subject('embedding')}: an index is out of range{extra}")


def _broadcast(m: re.Match, c: _Ctx) -> str:
    where = f" in {c.layer}" if c.layer else ""
    return (f"shapes do not broadcast{where}: size {m.group('a')} of one tensor vs "
            f"{m.group('b')} of the other at dimension {m.group('dim')}")


def _alloc(m: re.Match, c: _Ctx) -> str:
    size = int(m.group("bytes"))
    where = f" in {c.layer}" if c.layer else ""
    return (f"out of memory{where}: tried to allocate {size / 2 ** 30:.1f} GiB "
            f"(beyond the confirm worker's memory limit)")


_RULES: list[Rule] = [
    (re.compile(r"can't allocate memory: you tried to allocate (?P<bytes>\d+) bytes"), _alloc),
    (re.compile(r"Given (?:groups=(?P<groups>\d+)|(?P<transposed>transposed=1)), weight of size "
                r"(?P<weight>\[[^\]]*\]), expected input(?P<input>\[[^\]]*\]) to have "
                r"(?P<exp>\d+) channels, but got (?P<got>\d+) channels instead"), _conv_channels_cpu),
    (re.compile(r"^Invalid channel dimensions"), _conv_channels_meta),
    (re.compile(r"mat1 and mat2 shapes cannot be multiplied \((?P<ar>\d+)x(?P<ac>\d+) and "
                r"(?P<br>\d+)x(?P<bc>\d+)\)"), _linear),
    (re.compile(r"a and b must have same reduction dim, but got (?P<a>\[[^\]]*\]) X (?P<b>\[[^\]]*\])"),
     _meta_matmul),
    (re.compile(r"shape '(?P<shape>\[[^\]]*\])' is invalid for input of size (?P<size>\d+)"), _view),
    (re.compile(r"running_(?:mean|var) should contain (?P<inp>\d+) elements not (?P<feat>\d+)"),
     _running_stat),
    (re.compile(r"input\.size\(-1\) must be equal to input_size\. Expected (?P<exp>\d+), got (?P<got>\d+)"),
     _rnn_input),
    (re.compile(r"input must have (?P<exp>\d+) dimensions, got (?P<got>\d+)"), _rnn_dims),
    (re.compile(r"Expected (?P<exp>[\dD (),or-]+?) input to conv\w*, but got input of size: "
                r"\[(?P<shape>[^\]]*)\]"),
     lambda m, c: c.with_input(f"{c.subject('conv layer')} expects a {m.group('exp').strip()} input "
                               f"but got {len(_ints(m.group('shape')))}-D", _ints(m.group("shape")))),
    (re.compile(r"Calculated padded input size per channel: \((?P<inp>[^)]*)\)\. Kernel size: "
                r"\((?P<k>[^)]*)\)"), _kernel_too_big),
    (re.compile(r"Given normalized_shape=(?P<norm>\[[^\]]*\]), expected input with shape "
                r"\[\*, [^\]]*\], but got input of size\s*(?P<got>\[[^\]]*\])"), _norm_shape),
    (re.compile(r"index out of range in self"), _embedding_index),
    (re.compile(r"The size of tensor a \((?P<a>\d+)\) must match the size of tensor b \((?P<b>\d+)\) "
                r"at non-singleton dimension (?P<dim>\d+)"), _broadcast),
]


def restate(error: TorchError, layer_args: Mapping[str, Any] | None = None) -> str:
    """One sentence naming the layer and both sides of what torch rejected.

    ``layer_args`` are the layer's constructor arguments when the caller knows them (the
    static analysis' layer table); otherwise the attributes the worker captured are used.
    """
    args: dict[str, Any] = dict(error.module_attrs or {})
    if layer_args:
        args.update(layer_args)
    ctx = _Ctx(error, args)
    message = (error.message or "").strip()
    for pattern, build in _RULES:
        m = pattern.search(message)
        if m is None:
            continue
        try:
            text = build(m, ctx)
        except (KeyError, ValueError, TypeError, IndexError):
            text = None
        if text:
            return _trim(text)
    first = message.splitlines()[0] if message else error.type
    if ctx.layer and ctx.layer.split(" ")[0] not in first:
        first = f"{ctx.layer}: {first}"
    return _trim(first)


def _trim(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LEN else text[: MAX_LEN - 1] + "…"
