"""Abstract values the interpreter computes with.

Plain Python data: tensors (shape and dtype), integers that may be symbolic, containers,
torch layers, user objects and functions, references into torch, and `Unknown`. Nothing here
knows about the syntax tree beyond carrying spans for messages.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Iterable

from shapelens.dims import Dim, fmt_shape

Shape = tuple[Dim, ...]


@dataclass(frozen=True)
class Span:
    """A source range: 1-based lines, 0-based columns counted in Unicode code points."""

    line: int
    col: int
    end_line: int
    end_col: int

    def contains_line(self, line: int) -> bool:
        return self.line <= line <= self.end_line


class Value:
    """Base of all abstract values."""

    def describe(self) -> str:
        return type(self).__name__


@dataclass(eq=False)
class UnknownV(Value):
    reason: str = ""

    def describe(self) -> str:
        return "unknown"


UNKNOWN = UnknownV()


@dataclass(eq=False)
class Const(Value):
    """A known Python value that is not an integer: float, str, bool, None, Ellipsis."""

    value: Any

    def describe(self) -> str:
        return repr(self.value)


TRUE = Const(True)
FALSE = Const(False)
NONE = Const(None)


@dataclass(eq=False)
class IntV(Value):
    """An integer, concrete (`Dim.const`) or symbolic (`H//2`)."""

    dim: Dim

    @staticmethod
    def of(n: int | Dim) -> "IntV":
        return IntV(Dim.of(n))

    def describe(self) -> str:
        return str(self.dim)


@dataclass(eq=False)
class Prov:
    """How a tensor came to be: the op that made it, its main input, and where."""

    label: str
    parent: "TensorV | None" = None
    path: str | None = None
    span: Span | None = None


@dataclass(eq=False)
class TensorV(Value):
    shape: Shape | None  # None: rank unknown
    dtype: str | None = "float32"  # None: unknown dtype
    prov: Prov | None = None
    contiguous: bool = True
    # Facts a later rule may want: "rnn_sequence" (per-timestep RNN output),
    # "flat_factors" (the dims a flatten/view multiplied into the last dim).
    meta: dict | None = None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def describe(self) -> str:
        return fmt_shape(self.shape)

    def with_shape(self, shape: Iterable[Dim] | None, **kw) -> "TensorV":
        return TensorV(
            None if shape is None else tuple(shape),
            kw.get("dtype", self.dtype),
            kw.get("prov"),
            kw.get("contiguous", True),
        )

    @property
    def is_float(self) -> bool | None:
        if self.dtype is None:
            return None
        return self.dtype.startswith(("float", "bfloat", "complex")) or self.dtype == "half"

    @property
    def is_integer(self) -> bool | None:
        if self.dtype is None:
            return None
        return self.dtype.startswith(("int", "uint", "long")) or self.dtype == "bool"


@dataclass(eq=False)
class TupleV(Value):
    items: tuple[Value, ...]
    is_size: bool = False  # a torch.Size
    names: tuple[str, ...] | None = None  # a named tuple's fields, e.g. ("values", "indices")

    def describe(self) -> str:
        return "(" + ", ".join(i.describe() for i in self.items) + ("," if len(self.items) == 1 else "") + ")"

    def field(self, name: str) -> Value | None:
        if self.names and name in self.names:
            i = self.names.index(name)
            return self.items[i] if i < len(self.items) else None
        return None


@dataclass(eq=False)
class ListV(Value):
    items: list[Value] = field(default_factory=list)

    def describe(self) -> str:
        return "[" + ", ".join(i.describe() for i in self.items) + "]"


@dataclass(eq=False)
class DictV(Value):
    items: dict[Any, Value] = field(default_factory=dict)  # keys are plain Python constants


@dataclass(eq=False)
class SliceV(Value):
    start: Value
    stop: Value
    step: Value


@dataclass(eq=False)
class RangeV(Value):
    start: Dim
    stop: Dim
    step: Dim


@dataclass(eq=False)
class TorchRef(Value):
    """A name inside torch or another known library: `torch.nn.Conv2d`, `torch.float32`."""

    qualname: str

    def describe(self) -> str:
        return self.qualname


@dataclass(eq=False)
class BuiltinFn(Value):
    name: str


@dataclass(eq=False)
class ModuleRef(Value):
    """An imported user module (a file of the workspace)."""

    path: str
    namespace: dict[str, Value]


@dataclass(eq=False)
class FunctionV(Value):
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    globals: dict[str, Value]
    path: str
    qualname: str
    defaults: dict[str, Value] = field(default_factory=dict)
    closure: dict[str, Value] | None = None
    owner: "ClassV | None" = None  # the class a method was defined in (for super())
    decorators: tuple[str, ...] = ()


@dataclass(eq=False)
class ClassV(Value):
    name: str
    path: str
    node: ast.ClassDef | None
    bases: list[Value]
    namespace: dict[str, Value]
    is_dataclass: bool = False

    def mro(self) -> list["ClassV"]:
        out: list[ClassV] = [self]
        for b in self.bases:
            if isinstance(b, ClassV):
                for c in b.mro():
                    if c not in out:
                        out.append(c)
        return out

    def torch_bases(self) -> list[str]:
        """Qualified names of the torch classes anywhere among the bases."""
        out: list[str] = []
        for c in self.mro():
            for b in c.bases:
                if isinstance(b, TorchRef):
                    out.append(b.qualname)
        return out

    @property
    def is_module(self) -> bool:
        return any(q.startswith("torch.nn") for q in self.torch_bases())

    def lookup(self, name: str, after: "ClassV | None" = None) -> Value | None:
        mro = self.mro()
        if after is not None and after in mro:
            mro = mro[mro.index(after) + 1 :]
        for c in mro:
            if name in c.namespace:
                return c.namespace[name]
        return None


@dataclass(eq=False)
class ObjectV(Value):
    """An instance of a user class (an nn.Module subclass or a plain config object)."""

    cls: ClassV
    attrs: dict[str, Value] = field(default_factory=dict)
    name: str | None = None  # attribute path inside its parent model, e.g. "layer1.0"
    def_path: str | None = None
    def_span: Span | None = None
    seen: list[tuple[tuple[Value, ...], Value]] = field(default_factory=list)  # (inputs, output)

    def describe(self) -> str:
        return self.cls.name


@dataclass(eq=False)
class BoundMethod(Value):
    self_v: Value
    func: Value  # FunctionV, or something callable


@dataclass(eq=False)
class SuperV(Value):
    cls: ClassV
    self_v: Value


@dataclass(eq=False)
class PartialV(Value):
    func: Value
    args: tuple[Value, ...]
    kwargs: dict[str, Value]


@dataclass(eq=False)
class MethodRef(Value):
    """A method of a built-in value: `x.view`, `layers.append`, `self.add_module`."""

    self_v: Value
    name: str


@dataclass(eq=False)
class ModuleV(Value):
    """An instance of a torch layer (`nn.Conv2d(3, 16, 3)`), with its bound constructor
    arguments. Containers (`Sequential`, `ModuleList`, `ModuleDict`) keep their children."""

    kind: str  # qualified name, e.g. "torch.nn.Conv2d"
    args: dict[str, Value]
    rule: Any = None  # the LayerRule (ops registry) that builds and runs it
    children: list[tuple[str, Value]] | None = None
    name: str | None = None
    def_path: str | None = None
    def_span: Span | None = None
    state: dict[str, Any] = field(default_factory=dict)  # e.g. lazily inferred in_features
    seen: list[tuple[tuple[Value, ...], Value]] = field(default_factory=list)

    @property
    def short(self) -> str:
        return self.kind.rsplit(".", 1)[-1]

    def describe(self) -> str:
        return self.short

    def label(self) -> str:
        return self.name or self.short


MODULE_LIKE = (ModuleV, ObjectV)


def is_module_value(v: Value) -> bool:
    return isinstance(v, ModuleV) or (isinstance(v, ObjectV) and v.cls.is_module)


# ---------------------------------------------------------------------------------------------
# Coercions used by rules and the interpreter
# ---------------------------------------------------------------------------------------------


def as_dim(v: Value | None) -> Dim | None:
    if isinstance(v, IntV):
        return v.dim
    if isinstance(v, Const) and isinstance(v.value, bool):
        return Dim.const(int(v.value))
    if isinstance(v, TensorV) and v.shape == () and v.is_integer:
        return None
    return None


def as_int(v: Value | None) -> int | None:
    d = as_dim(v)
    return None if d is None else d.value


def as_const(v: Value | None) -> Any:
    """The Python value of a known constant (ints included), else a sentinel `MISSING`."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, IntV) and v.dim.value is not None:
        return v.dim.value
    return MISSING


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def as_float(v: Value | None) -> float | None:
    c = as_const(v)
    if isinstance(c, (int, float)) and not isinstance(c, bool):
        return float(c)
    return None


def as_bool(v: Value | None) -> bool | None:
    c = as_const(v)
    if isinstance(c, (bool, int)) or c is None:
        return bool(c)
    return None


def as_seq(v: Value | None) -> list[Value] | None:
    if isinstance(v, (TupleV, ListV)):
        return list(v.items)
    return None


def as_dims(v: Value | None) -> list[Dim | None] | None:
    """A tuple/list/Size of ints → their dims (None entries where unknown)."""
    seq = as_seq(v)
    if seq is None:
        return None
    return [as_dim(i) for i in seq]


def int_tuple(v: Value | None, n: int) -> list[Dim | None] | None:
    """torch's `_ntuple`: an int becomes n copies; a sequence is taken as is."""
    d = as_dim(v)
    if d is not None:
        return [d] * n
    seq = as_dims(v)
    if seq is not None:
        return seq
    return None


def const_of(py: Any) -> Value:
    """Wrap a plain Python value."""
    if isinstance(py, bool) or py is None or isinstance(py, (float, str, complex)) or py is Ellipsis:
        return Const(py)
    if isinstance(py, int):
        return IntV(Dim.const(py))
    if isinstance(py, tuple):
        return TupleV(tuple(const_of(x) for x in py))
    if isinstance(py, list):
        return ListV([const_of(x) for x in py])
    if isinstance(py, Dim):
        return IntV(py)
    return UNKNOWN


def size_value(shape: Shape) -> TupleV:
    return TupleV(tuple(IntV(d) for d in shape), is_size=True)
