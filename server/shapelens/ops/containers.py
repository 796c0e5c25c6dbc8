"""Module containers: Sequential, ModuleList, ModuleDict. Their children are kept on the
ModuleV; the interpreter runs Sequential children in order."""

from __future__ import annotations

from shapelens.ops.registry import Layer, layer
from shapelens.values import DictV, ListV, ModuleV, TupleV, Value, is_module_value


def _children_from(values: tuple[Value, ...]) -> list[tuple[str, Value]]:
    if len(values) == 1 and isinstance(values[0], DictV):
        return [(str(k), v) for k, v in values[0].items.items()]
    return [(str(i), v) for i, v in enumerate(values)]


@layer("torch.nn.Sequential")
class Sequential(Layer):
    def build(self, ctx, *args):
        ctx.module.state["children"] = _children_from(args)
        return {}

    def describe(self, m: ModuleV) -> str:
        return f"Sequential({len(m.children or [])} layers)"


@layer("torch.nn.ModuleList")
class ModuleList(Layer):
    def build(self, ctx, modules=None):
        items = list(modules.items) if isinstance(modules, (ListV, TupleV)) else []
        ctx.module.state["children"] = [(str(i), v) for i, v in enumerate(items)]
        return {}

    def describe(self, m: ModuleV) -> str:
        return f"ModuleList({len(m.children or [])})"


@layer("torch.nn.ModuleDict")
class ModuleDict(Layer):
    def build(self, ctx, modules=None):
        if isinstance(modules, DictV):
            kids = [(str(k), v) for k, v in modules.items.items()]
        elif isinstance(modules, (ListV, TupleV)):
            kids = [(str(p.items[0].value), p.items[1]) for p in modules.items
                    if isinstance(p, TupleV) and len(p.items) == 2 and hasattr(p.items[0], "value")]
        else:
            kids = []
        ctx.module.state["children"] = kids
        return {}

    def describe(self, m: ModuleV) -> str:
        return f"ModuleDict({len(m.children or [])})"


def is_container(m: Value) -> bool:
    return isinstance(m, ModuleV) and m.children is not None and is_module_value(m)
