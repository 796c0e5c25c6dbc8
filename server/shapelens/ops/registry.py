"""The rule registry: torch names → shape rules.

Two kinds of rule:

* function rules — plain functions whose signature mirrors torch's (after a leading `ctx`),
  registered under every name they answer to (`torch.sum`, `torch.Tensor.sum`):

      @op("torch.flatten", "torch.Tensor.flatten")
      def flatten(ctx, input, start_dim=0, end_dim=-1): ...

  Tensor methods receive the tensor as the first positional argument.

* layer rules — subclasses of `Layer` registered with `@layer("torch.nn.Conv2d")`. Their
  `build` signature mirrors the layer's constructor; `forward` mirrors the layer's forward.

Rules receive abstract values (`shapelens.values`) and return one, or raise `ShapeError`
through `ctx.fail(...)`. They never see the syntax tree or LSP types.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Protocol

from shapelens.dims import Dim
from shapelens.findings import Code, Fix
from shapelens.values import ModuleV, Shape, Value

if TYPE_CHECKING:  # pragma: no cover
    pass


class ShapeError(Exception):
    """Raised by a rule for something torch would reject."""

    def __init__(self, code: Code, message: str, fixes: tuple[Fix, ...] = (), data: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fixes = fixes
        self.data = data or {}


class NotUnderstood(Exception):
    """Raised by a rule when the call is outside what it models (its result becomes unknown)."""


class OpContext(Protocol):
    """What a rule may ask of the interpreter. See `analysis.interpreter.RuleContext`."""

    module: ModuleV | None  # the layer being run, for forward rules

    def fail(self, code: Code, message: str, *, data: dict | None = None) -> NoReturn: ...

    def warn(self, code: Code, message: str) -> None: ...

    def require_eq(self, actual: Dim, expected: Dim, code: Code, message: Callable[[], str]) -> None: ...

    def unknown_dim(self, why: str = "") -> Dim: ...

    def arg_text(self, index: int) -> str: ...

    def fresh_symbol(self, hint: str) -> Dim: ...


@dataclass
class FunctionRule:
    names: tuple[str, ...]
    func: Callable[..., Value]
    family: str
    signature: inspect.Signature
    method_only: bool = False

    def bind(self, args: tuple, kwargs: dict) -> inspect.BoundArguments:
        ba = self.signature.bind(*args, **kwargs)
        ba.apply_defaults()
        return ba

    def __call__(self, ctx: OpContext, args: tuple, kwargs: dict) -> Value:
        try:
            ba = bind_values(self.signature, args, kwargs)
        except TypeError as e:
            raise NotUnderstood(f"arguments do not match {self.names[0]}: {e}") from None
        return self.func(ctx, *ba.args, **ba.kwargs)


def normalize_arg(v: Any) -> Any:
    """Rules see `None` for an absent or None argument, and abstract values for the rest
    (torch's Python defaults such as `stride=1` become values too)."""
    from shapelens.values import Const, const_of

    if isinstance(v, Value):
        return None if isinstance(v, Const) and v.value is None else v
    if v is None:
        return None
    return const_of(v)


def bind_values(sig: inspect.Signature, args: tuple, kwargs: dict) -> inspect.BoundArguments:
    ba = sig.bind(*args, **kwargs)
    ba.apply_defaults()
    for k, v in ba.arguments.items():
        kind = sig.parameters[k].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            ba.arguments[k] = tuple(normalize_arg(x) for x in v)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            ba.arguments[k] = {n: normalize_arg(x) for n, x in v.items()}
        else:
            ba.arguments[k] = normalize_arg(v)
    return ba


class Layer:
    """Base class of layer rules. Subclasses define `build` and `forward` with torch's
    argument names, and `params` for parameter counts."""

    names: tuple[str, ...] = ()
    family: str = ""

    # construction -------------------------------------------------------------------------
    def build(self, ctx: OpContext, *args: Any, **kwargs: Any) -> dict[str, Value] | None:
        """Validate constructor arguments. Return None to keep the bound arguments as given,
        or a dict of normalised arguments. Subclasses override with torch's signature."""
        return None

    # run ----------------------------------------------------------------------------------
    def forward(self, ctx: OpContext, m: ModuleV, *args: Value, **kwargs: Value) -> Value:
        raise NotUnderstood(f"{m.short} has no forward rule")

    def params(self, m: ModuleV) -> dict[str, Shape] | None:
        """Shapes of the layer's own learnable parameters (None when unknown)."""
        return {}

    def describe(self, m: ModuleV) -> str:
        """A one-line description for hover and summaries, e.g. `Linear(3136 → 10)`."""
        return m.short

    def input_template(self, m: ModuleV) -> list[Dim | str] | None:
        """The input shape this layer expects, with strings naming free dims (`"B"`), used
        to invent a symbolic input when no call site gives one. None: no opinion."""
        return None

    # helpers --------------------------------------------------------------------------------
    def _signature(self) -> inspect.Signature:
        sig = inspect.signature(self.build)
        params = list(sig.parameters.values())
        if params and params[0].name == "ctx":
            params = params[1:]
        return sig.replace(parameters=params)

    def forward_signature(self) -> inspect.Signature:
        sig = inspect.signature(self.forward)
        params = [p for p in sig.parameters.values() if p.name not in ("ctx", "m")]
        return sig.replace(parameters=params)


@dataclass
class Registry:
    functions: dict[str, FunctionRule] = field(default_factory=dict)
    layers: dict[str, Layer] = field(default_factory=dict)

    def function(self, name: str) -> FunctionRule | None:
        return self.functions.get(name)

    def layer(self, name: str) -> Layer | None:
        return self.layers.get(name)

    def knows(self, name: str) -> bool:
        return name in self.functions or name in self.layers

    def all_names(self) -> list[tuple[str, str, str]]:
        """(name, kind, family) for every registered name."""
        out = [(n, "function", r.family) for n, r in self.functions.items()]
        out += [(n, "layer", r.family) for n, r in self.layers.items()]
        return sorted(out)


REGISTRY = Registry()


def _family_of(module_name: str) -> str:
    return module_name.rsplit(".", 1)[-1]


def op(*names: str, method_only: bool = False) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    """Register a function rule under one or more qualified names."""

    def deco(func: Callable[..., Value]) -> Callable[..., Value]:
        sig = inspect.signature(func)
        params = list(sig.parameters.values())[1:]  # drop ctx
        rule = FunctionRule(names, func, _family_of(func.__module__), sig.replace(parameters=params), method_only)
        for n in names:
            if n in REGISTRY.functions:
                raise ValueError(f"rule registered twice: {n}")
            REGISTRY.functions[n] = rule
        return func

    return deco


def layer(*names: str) -> Callable[[type[Layer]], type[Layer]]:
    """Register a layer rule class under one or more qualified names."""

    def deco(cls: type[Layer]) -> type[Layer]:
        inst = cls()
        inst.names = names
        inst.family = _family_of(cls.__module__)
        for n in names:
            if n in REGISTRY.layers:
                raise ValueError(f"layer registered twice: {n}")
            REGISTRY.layers[n] = inst
        return cls

    return deco
