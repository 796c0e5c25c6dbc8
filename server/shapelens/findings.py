"""Findings: what ShapeLens reports, with stable codes, ranges, related places and fixes.

Every face (CLI, language server) renders these; nothing here knows about LSP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum

from shapelens.values import Span

DOCS_URL = "https://github.com/shapelens/shapelens/blob/main/docs/codes.md"


class Severity(IntEnum):
    # Same numbering as LSP so adapters stay thin.
    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def parse(s: str) -> "Severity | None":
        return {
            "error": Severity.ERROR,
            "warning": Severity.WARNING,
            "information": Severity.INFORMATION,
            "info": Severity.INFORMATION,
            "hint": Severity.HINT,
        }.get(s.lower())


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str
    example: str = ""

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}-{self.name}"


_ALL: dict[str, Code] = {}


def _code(code: str, name: str, severity: Severity, summary: str, example: str = "") -> Code:
    c = Code(code, name, severity, summary, example)
    _ALL[code] = c
    return c


E, W, I, H = Severity.ERROR, Severity.WARNING, Severity.INFORMATION, Severity.HINT

LINEAR_FEATURES = _code(
    "SL101", "linear-features", E,
    "A Linear (or Bilinear) layer receives a tensor whose last dimension is not its in_features.",
    "fc1 expects 3136 input features (16*14*14) but x has shape (1, 4096)",
)
CHANNELS = _code(
    "SL102", "channels", E,
    "A convolution receives a tensor whose channel dimension is not its in_channels.",
    "conv2 expects 32 input channels but x has 16: shape (1, 16, 14, 14)",
)
NORM_FEATURES = _code(
    "SL103", "norm-features", E,
    "A normalization layer (BatchNorm, InstanceNorm, GroupNorm, LayerNorm, RMSNorm) was built for a"
    " different number of features than its input has.",
)
RNN_INPUT = _code(
    "SL104", "rnn-input", E,
    "A recurrent layer receives an input whose feature size is not its input_size, or a hidden state of"
    " the wrong shape.",
)
RANK = _code(
    "SL105", "rank", E,
    "An op receives a tensor with a number of dimensions it does not accept (e.g. a 2-D tensor to Conv2d).",
)
DIM_RANGE = _code(
    "SL106", "dim-range", E,
    "A dimension index is out of range for the tensor's rank (permute, transpose, squeeze, cat, sum...).",
)
RESHAPE = _code(
    "SL107", "reshape", E,
    "view/reshape asks for a shape whose element count differs from the tensor's.",
    "shape '[1, 50]' is invalid for input of size 48",
)
MATMUL = _code(
    "SL108", "matmul", E,
    "A matrix product's inner dimensions differ (matmul, @, mm, bmm, einsum...).",
)
BROADCAST = _code(
    "SL109", "broadcast", E,
    "Two tensors in an elementwise op have sizes that cannot be broadcast together.",
)
CONCAT = _code(
    "SL110", "concat", E,
    "torch.cat/stack receives tensors whose other dimensions (or ranks) differ.",
)
SPATIAL = _code(
    "SL111", "spatial-size", E,
    "A convolution or pooling window does not fit: the output size would be zero or negative.",
    "conv3's output height would be -1: kernel 5 on a 3x3 input",
)
INVALID_ARG = _code(
    "SL112", "invalid-argument", E,
    "A layer or op is given arguments torch rejects (embed_dim not divisible by num_heads, channels not"
    " divisible by groups, ...).",
)
DTYPE = _code(
    "SL113", "dtype", E,
    "An op receives a tensor of a dtype it rejects (e.g. Embedding on a float tensor).",
)
LOSS_TARGET = _code(
    "SL114", "loss-target", E,
    "A loss receives an input and a target whose shapes do not fit together.",
)
INDEX = _code(
    "SL115", "index", E,
    "An index or slice is out of range, or indexes more dimensions than the tensor has.",
)
ARGUMENTS = _code(
    "SL116", "bad-arguments", E,
    "An op is called with arguments that do not fit the tensor (wrong number of permute dims, fewer"
    " repeat sizes than dimensions, ...).",
)
TORCH_RAISED = _code(
    "SL120", "torch-raised", E,
    "The background forward pass on torch's meta device (or CPU) raised at this line.",
)

PER_TIMESTEP = _code(
    "SL201", "per-timestep-output", H,
    "A recurrent layer's per-timestep output reaches a layer that looks meant for one vector per sample."
    " torch accepts it (the layer is applied at every step) but it is often a mistake.",
)
SILENT_BROADCAST = _code(
    "SL202", "silent-broadcast", W,
    "Broadcasting makes the result larger than either input, e.g. (B,) + (B, 1) gives (B, B).",
)
VIEW_NONCONTIGUOUS = _code(
    "SL203", "view-non-contiguous", W,
    "view() on a tensor that was transposed or permuted may raise: use reshape() or .contiguous().",
)
CONFIRM_DISAGREES = _code(
    "SL204", "confirm-disagrees", W,
    "torch's forward pass on the meta device produced a different shape than the symbolic engine.",
)
UNBATCHED = _code(
    "SL205", "unbatched-input", H,
    "A layer receives an input without a batch dimension; torch treats it as one unbatched sample.",
)

UNKNOWN_CALL = _code(
    "SL301", "unknown-call", I,
    "A call ShapeLens does not understand received or produced a tensor: shapes after it are unknown.",
)
CONFIRM_FAILED = _code(
    "SL302", "confirm-failed", I,
    "The background torch check could not finish (time limit, memory limit, crash, torch missing).",
)
SYNTAX = _code(
    "SL303", "syntax-error", I,
    "The file does not parse; ShapeLens analyses what it can around the error.",
)


SUPPRESS_RE = re.compile(r"#\s*(?:shapelens:\s*ignore|noqa)(?:\[([A-Z0-9,\s]+)\]|:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?")


def suppressed_codes(line_text: str) -> set[str] | None:
    """Codes a line's comment suppresses: `# shapelens: ignore[SL101]`, `# noqa: SL101`;
    a bare `# shapelens: ignore` suppresses all (empty set = all). None: no suppression."""
    # Several comments may share a line (`# noqa: E501  # shapelens: ignore[SL101]`): union them.
    found: set[str] | None = None
    for m in SUPPRESS_RE.finditer(line_text):
        listed = m.group(1) or m.group(2)
        if not listed:
            if "noqa" in m.group(0):
                continue  # a bare noqa belongs to other linters
            return set()
        found = (found or set()) | {c.strip() for c in listed.split(",") if c.strip()}
    return found


def all_codes() -> list[Code]:
    return sorted(_ALL.values(), key=lambda c: c.code)


def code_info(code: str) -> Code | None:
    return _ALL.get(code)


@dataclass(frozen=True)
class Related:
    path: str
    span: Span
    message: str


@dataclass(frozen=True)
class Edit:
    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    preferred: bool = True


@dataclass
class Finding:
    code: str
    message: str
    path: str
    span: Span
    severity: Severity
    related: list[Related] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    confirmed: bool = False  # seen by torch too
    data: dict = field(default_factory=dict)  # facts for fixes and adapters (e.g. the needed value)

    @property
    def info(self) -> Code | None:
        return code_info(self.code)

    def key(self) -> tuple:
        return (self.path, self.span, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.col + 1,
            "end_line": self.span.end_line,
            "end_column": self.span.end_col + 1,
            "severity": self.severity.label,
            "code": self.code,
            "message": self.message,
        }
