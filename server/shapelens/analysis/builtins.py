"""Python built-ins, standard-library helpers, nn.Module methods and container methods, over
abstract values. Anything not modelled answers Unknown."""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING

from shapelens.dims import Dim, floordiv, prod
from shapelens.values import (
    FALSE,
    MISSING,
    NONE,
    TRUE,
    UNKNOWN,
    BoundMethod,
    BuiltinFn,
    ClassV,
    Const,
    DictV,
    FunctionV,
    IntV,
    ListV,
    ModuleV,
    ObjectV,
    PartialV,
    RangeV,
    SuperV,
    TensorV,
    TorchRef,
    TupleV,
    UnknownV,
    Value,
    as_const,
    as_dim,
    as_int,
    const_of,
    is_module_value,
)

if TYPE_CHECKING:  # pragma: no cover
    from shapelens.analysis.interpreter import Frame, Interpreter

BUILTIN_NAMES = (
    "len range zip enumerate list tuple dict set frozenset int float bool str min max sum abs round isinstance "
    "issubclass hasattr getattr setattr print super sorted reversed any all iter next type callable divmod pow map "
    "filter id repr hash vars object property staticmethod classmethod NotImplementedError ValueError "
    "RuntimeError TypeError KeyError IndexError AssertionError Exception"
).split()
BUILTINS: dict[str, Value] = {n: BuiltinFn(n) for n in BUILTIN_NAMES}
BUILTINS["None"] = NONE
BUILTINS["True"] = TRUE
BUILTINS["False"] = FALSE


def _items(interp: "Interpreter", v: Value) -> list[Value] | None:
    return interp.iterate(v)


def call_builtin(interp: "Interpreter", name: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: "Frame", node: ast.AST) -> Value:
    a = args
    if name == "len":
        if not a:
            return UNKNOWN
        v = a[0]
        if isinstance(v, TensorV):
            if v.shape is None or not v.shape:
                return UNKNOWN
            return IntV(v.shape[0])
        items = _items(interp, v)
        if items is not None and (isinstance(v, (TupleV, ListV, DictV, ObjectV)) or (isinstance(v, ModuleV) and v.children is not None)):
            return IntV.of(len(items))
        return UNKNOWN
    if name == "range":
        dims = [as_dim(x) for x in a]
        if not dims or any(d is None for d in dims):
            return UNKNOWN
        if len(dims) == 1:
            return RangeV(Dim.const(0), dims[0], Dim.const(1))  # type: ignore[arg-type]
        return RangeV(dims[0], dims[1], dims[2] if len(dims) > 2 else Dim.const(1))  # type: ignore[arg-type]
    if name == "zip":
        seqs = [_items(interp, x) for x in a]
        if any(s is None for s in seqs):
            return UNKNOWN
        return ListV([TupleV(t) for t in zip(*seqs)])  # type: ignore[misc]
    if name == "enumerate":
        items = _items(interp, a[0]) if a else None
        start = as_int(a[1]) if len(a) > 1 else as_int(kwargs.get("start")) if "start" in kwargs else 0
        if items is None and a and loader_batch(a[0]) is not None:
            return make_loader(TupleV((IntV(Dim.unknown("loop index")), loader_batch(a[0]))), a[0])
        if items is None or start is None:
            return UNKNOWN
        return ListV([TupleV((IntV.of(i + start), x)) for i, x in enumerate(items)])
    if name in ("list", "tuple", "set", "frozenset", "sorted", "reversed"):
        if not a:
            return ListV([]) if name != "tuple" else TupleV(())
        items = _items(interp, a[0])
        if items is None:
            return UNKNOWN
        if name == "reversed":
            items = items[::-1]
        if name in ("set", "frozenset"):
            consts = [as_const(i) for i in items]
            if any(c is MISSING for c in consts):
                return UNKNOWN  # how many distinct items is not known
            try:
                items = [const_of(c) for c in dict.fromkeys(consts)]
            except TypeError:
                return UNKNOWN
        if name == "sorted":
            consts = [as_const(i) for i in items]
            if any(c is MISSING for c in consts):
                return UNKNOWN
            try:
                items = [const_of(c) for c in sorted(consts)]
            except TypeError:
                return UNKNOWN
        if name == "tuple":
            return TupleV(tuple(items), isinstance(a[0], TupleV) and a[0].is_size)
        return ListV(items)
    if name == "dict":
        d = DictV()
        if a:
            if isinstance(a[0], DictV):
                if getattr(a[0], "open_ended", False):
                    return UNKNOWN
                d.items.update(a[0].items)
            else:
                pairs = _items(interp, a[0])
                if pairs is None:
                    return UNKNOWN
                for p in pairs:
                    k = as_const(p.items[0]) if isinstance(p, (TupleV, ListV)) and len(p.items) == 2 else MISSING
                    if k is MISSING:
                        return UNKNOWN  # an entry nobody can name: the dict is not known
                    try:
                        d.items[k] = p.items[1]  # type: ignore[union-attr]
                    except TypeError:
                        return UNKNOWN
        d.items.update(kwargs)
        return d
    if name == "int":
        if not a:
            return IntV.of(0)
        return to_int(a[0])
    if name == "float":
        c = as_const(a[0]) if a else 0.0
        return Const(float(c)) if isinstance(c, (int, float)) and not isinstance(c, bool) else UNKNOWN
    if name == "bool":
        t = interp.truth(a[0]) if a else False
        return UNKNOWN if t is None else Const(t)
    if name == "str":
        c = as_const(a[0]) if a else ""
        return Const(str(c)) if c is not MISSING else UnknownV("string")
    if name in ("min", "max"):
        items = list(a)
        if len(items) == 1:
            items = _items(interp, items[0]) or []
        if items and all(isinstance(i, TensorV) for i in items):
            return UNKNOWN
        dims = [as_dim(i) for i in items]
        if not dims or any(d is None for d in dims):
            consts = [as_const(i) for i in items]
            if consts and all(isinstance(c, (int, float)) for c in consts):
                return const_of((min if name == "min" else max)(consts))
            return UNKNOWN
        best = dims[0]
        for d in dims[1:]:
            from shapelens.dims import le

            r = le(d, best) if name == "min" else le(best, d)
            if r is None:
                return IntV(Dim.unknown("min/max of unrelated sizes"))
            if r:
                best = d
        return IntV(best)  # type: ignore[arg-type]
    if name == "sum":
        items = _items(interp, a[0]) if a else None
        if items is None:
            return UNKNOWN
        if items and isinstance(items[0], TensorV):
            acc: Value = items[0]
            for x in items[1:]:
                acc = interp.call_rule("torch.Tensor.__add__", (acc, x), {})
            return acc
        total = Dim.const(as_int(a[1]) or 0) if len(a) > 1 else Dim.const(0)
        for x in items:
            d = as_dim(x)
            if d is None:
                return UNKNOWN
            total = total + d
        return IntV(total)
    if name == "abs":
        d = as_dim(a[0]) if a else None
        if d is not None and d.value is not None:
            return IntV.of(abs(d.value))
        c = as_const(a[0]) if a else MISSING
        return const_of(abs(c)) if isinstance(c, (int, float)) else UNKNOWN
    if name == "round":
        c = as_const(a[0]) if a else MISSING
        return const_of(round(c)) if isinstance(c, (int, float)) and len(a) == 1 else UNKNOWN
    if name == "divmod":
        x, y = as_dim(a[0]), as_dim(a[1])
        if x is None or y is None:
            return UNKNOWN
        return TupleV((IntV(x // y), IntV(x % y)))
    if name == "pow":
        from shapelens.analysis.interpreter import python_binop

        return python_binop("Pow", a[0], a[1])
    if name == "isinstance":
        return is_instance(interp, a[0], a[1]) if len(a) == 2 else UNKNOWN
    if name == "issubclass":
        return UNKNOWN
    if name == "hasattr":
        obj, attr = a[0], as_const(a[1])
        if isinstance(obj, ObjectV) and isinstance(attr, str):
            missing = attribute_missing(obj, attr)
            return UNKNOWN if missing is None else Const(not missing)
        return UNKNOWN
    if name == "getattr":
        attr = as_const(a[1]) if len(a) > 1 else MISSING
        if not isinstance(attr, str):
            return UNKNOWN
        if isinstance(a[0], Const) and a[0].value is None and len(a) > 2:
            return a[2]  # None has no attributes but its dunders
        if isinstance(a[0], ObjectV) and len(a) > 2:
            missing = attribute_missing(a[0], attr)
            if missing is True:
                return a[2]
            if missing is None:
                return UNKNOWN
        v = interp.get_attr(a[0], attr, frame, None)
        if isinstance(v, UnknownV) and len(a) > 2:
            return a[2]
        return v
    if name == "setattr":
        attr = as_const(a[1]) if len(a) > 1 else MISSING
        if isinstance(attr, str) and len(a) > 2:
            interp.set_attr(a[0], attr, a[2], frame, node)  # type: ignore[arg-type]
        return NONE
    if name == "print":
        return NONE
    if name == "super":
        if frame.cls is not None and frame.self_v is not None:
            return SuperV(frame.cls, frame.self_v)
        if a and isinstance(a[0], ClassV) and len(a) > 1:
            return SuperV(a[0], a[1])
        return UNKNOWN
    if name in ("any", "all"):
        items = _items(interp, a[0]) if a else None
        if items is None:
            return UNKNOWN
        truths = [interp.truth(i) for i in items]
        if name == "any":
            if any(t is True for t in truths):
                return TRUE
            return FALSE if all(t is False for t in truths) else UNKNOWN
        if any(t is False for t in truths):
            return FALSE
        return TRUE if all(t is True for t in truths) else UNKNOWN
    if name in ("iter",):
        return a[0] if a else UNKNOWN
    if name == "next":
        if a and loader_batch(a[0]) is not None:
            return loader_batch(a[0])
        items = _items(interp, a[0]) if a else None
        return items[0] if items else UNKNOWN
    if name == "map":
        if len(a) < 2:
            return UNKNOWN
        seqs = [_items(interp, x) for x in a[1:]]
        if any(s is None for s in seqs):
            return UNKNOWN
        return ListV([interp.call(a[0], tuple(xs), {}, frame, node) for xs in zip(*seqs)])  # type: ignore[misc]
    if name == "filter":
        return UNKNOWN
    if name == "callable":
        return TRUE if isinstance(a[0], (FunctionV, BoundMethod, ClassV, ModuleV, TorchRef, PartialV)) else UNKNOWN
    if name == "type":
        return a[0].cls if a and isinstance(a[0], ObjectV) else UNKNOWN
    return UNKNOWN


# What every nn.Module has without setting it (methods and the `training` flag).
NN_MODULE_ATTRS = frozenset((
    "training forward parameters named_parameters buffers named_buffers children named_children modules "
    "named_modules train eval to to_empty cuda cpu xpu ipu mtia type float double half bfloat16 apply zero_grad "
    "state_dict load_state_dict register_buffer register_parameter add_module register_module get_submodule "
    "get_parameter get_buffer get_extra_state set_extra_state requires_grad_ share_memory extra_repr "
    "register_forward_hook register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook "
    "register_backward_hook register_state_dict_pre_hook register_load_state_dict_post_hook compile "
    "dump_patches call_super_init __call__ __class__ __dict__ __module__ _modules _parameters _buffers"
).split())


def attribute_missing(obj: ObjectV, name: str) -> bool | None:
    """Whether `obj.name` would raise AttributeError: True, False, or None when it cannot be told
    (a base class or `__getattr__` ShapeLens cannot see into)."""
    if name in obj.attrs or obj.cls.lookup(name) is not None:
        return False
    if obj.cls.lookup("__getattr__") is not None:
        return None
    layer = obj.attrs.get("__layer__")
    if isinstance(layer, ModuleV) and layer.children is not None:  # a container subclass
        return name not in NN_MODULE_ATTRS and name not in CONTAINER_METHODS and name not in (
            "pop", "get", "__getitem__", "__len__", "__iter__") and all(n != name for n, _ in layer.children)
    if "__layer__" in obj.attrs:
        return None
    if any(not isinstance(b, ClassV) and not (isinstance(b, TorchRef) and b.qualname in ("torch.nn.Module", "object"))
           for c in obj.cls.mro() for b in c.bases):
        return None  # an unknown base (or a torch layer base) may define it
    if obj.cls.node is None:  # synthetic objects (SimpleNamespace, loaders): what was given is all
        return name not in obj.attrs
    if obj.cls.is_module:
        return name not in NN_MODULE_ATTRS
    return not (name.startswith("__") and name.endswith("__"))


def to_int(v: Value) -> Value:
    from shapelens.analysis.interpreter import FracV

    if isinstance(v, IntV):
        return v
    if isinstance(v, FracV):
        # int() truncates toward zero; sizes are non-negative, so it is a floor.
        return IntV(floordiv(v.num, Dim.const(v.den)))
    if isinstance(v, TensorV):
        known = (v.meta or {}).get("values")
        if isinstance(known, (int, float, bool)):
            return IntV.of(int(known))
        return IntV(Dim.unknown("int() of a tensor"))
    c = as_const(v)
    if isinstance(c, (int, float, bool)):
        return IntV.of(int(c))
    if isinstance(c, str):
        try:
            return IntV.of(int(c))
        except ValueError:
            return UNKNOWN
    return UNKNOWN


# collections.abc / typing names → the abstract values that are instances of them.
ABC_TYPES: dict[str, tuple] = {
    "Sequence": (ListV, TupleV, str), "MutableSequence": (ListV,), "List": (ListV,), "Tuple": (TupleV,),
    "Mapping": (DictV,), "MutableMapping": (DictV,), "Dict": (DictV,), "OrderedDict": (DictV,),
    "Iterable": (ListV, TupleV, DictV, RangeV, str), "Collection": (ListV, TupleV, DictV, str),
    "Sized": (ListV, TupleV, DictV, str),
}


def is_instance(interp: "Interpreter", obj: Value, cls: Value) -> Value:
    if isinstance(cls, TupleV):
        results = [is_instance(interp, obj, c) for c in cls.items]
        if any(r is TRUE or (isinstance(r, Const) and r.value is True) for r in results):
            return TRUE
        if all(isinstance(r, Const) and r.value is False for r in results):
            return FALSE
        return UNKNOWN
    if isinstance(cls, BuiltinFn):
        py = {"int": (IntV,), "float": (), "list": (ListV,), "tuple": (TupleV,), "dict": (DictV,), "str": (), "bool": ()}.get(cls.name)
        if py is None:
            return UNKNOWN
        if cls.name == "int":
            return Const(isinstance(obj, IntV))
        if cls.name in ("float", "str", "bool"):
            c = as_const(obj)
            if c is MISSING:
                return UNKNOWN if isinstance(obj, UnknownV) else FALSE
            want = {"float": float, "str": str, "bool": bool}[cls.name]
            return Const(isinstance(c, want))
        if isinstance(obj, UnknownV):
            return UNKNOWN
        return Const(isinstance(obj, py))
    if isinstance(cls, TorchRef):
        q = interp.project.canonical(cls.qualname)
        abc = ABC_TYPES.get(q.rsplit(".", 1)[-1]) if q.startswith(("collections.", "typing.")) else None
        if abc is not None:
            if isinstance(obj, UnknownV):
                return UNKNOWN
            if isinstance(obj, Const) and isinstance(obj.value, str):
                return Const(str in abc)
            return Const(isinstance(obj, abc))
        if q in ("torch.Tensor", "torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            if isinstance(obj, TensorV):
                return TRUE
            return UNKNOWN if isinstance(obj, UnknownV) else FALSE
        if isinstance(obj, ModuleV):
            if q == "torch.nn.Module" or q == obj.kind:
                return TRUE
            return FALSE
        if isinstance(obj, ObjectV):
            if q == "torch.nn.Module" and obj.cls.is_module:
                return TRUE
            bases = [interp.project.canonical(b) for b in obj.cls.torch_bases()]
            return TRUE if q in bases else FALSE
        if isinstance(obj, (TensorV, IntV, Const, ListV, TupleV, DictV)):
            return FALSE
        return UNKNOWN
    if isinstance(cls, ClassV):
        if isinstance(obj, ObjectV):
            return Const(cls in obj.cls.mro())
        if isinstance(obj, UnknownV):
            return UNKNOWN
        return FALSE
    return UNKNOWN


# ---------------------------------------------------------------------------------------------
# standard-library and torch helpers that are not shape rules
# ---------------------------------------------------------------------------------------------

NO_OP_PREFIXES = ("torch.nn.init.", "torch._assert", "torch.jit.", "warnings.", "logging.", "torch._C._log_api_usage_once")


def call_library(interp: "Interpreter", q: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: "Frame", node: ast.AST) -> Value:
    """Library calls that matter for following model code; MISSING when not handled here."""
    if q == "torch.jit.annotate" and len(args) == 2:
        return args[1]
    if q in ("torch.jit.is_scripting", "torch.jit.is_tracing", "torch.compiler.is_compiling", "torch._dynamo.is_compiling"):
        return FALSE
    if q.startswith(NO_OP_PREFIXES):
        return args[0] if args and isinstance(args[0], TensorV) else NONE
    if q == "functools.partial":
        if not args:
            return UNKNOWN
        return PartialV(args[0], tuple(args[1:]), dict(kwargs))
    if q.startswith("torch.utils.data.") and q.rsplit(".", 1)[-1] in ("TensorDataset", "DataLoader"):
        return data_call(interp, q.rsplit(".", 1)[-1], args, kwargs, frame, node)
    if q in ("copy.copy", "copy.deepcopy") and len(args) == 1:
        return shallow_copy(args[0])
    if q in ("collections.OrderedDict", "typing.OrderedDict"):
        return call_builtin(interp, "dict", args, kwargs, frame, node)
    if q in ("types.SimpleNamespace", "argparse.Namespace"):
        cls = ClassV("SimpleNamespace", frame.path, None, [], {})
        return ObjectV(cls, dict(kwargs))
    if q.startswith("math."):
        return math_call(q[5:], args)
    if q in ("operator.mul",) and len(args) == 2:
        from shapelens.analysis.interpreter import python_binop

        return python_binop("Mult", args[0], args[1])
    if q in ("functools.reduce",) and len(args) >= 2:
        items = interp.iterate(args[1])
        if items is None:
            return UNKNOWN
        acc = args[2] if len(args) > 2 else (items[0] if items else UNKNOWN)
        for x in (items if len(args) > 2 else items[1:]):
            acc = interp.call(args[0], (acc, x), {}, frame, node)
        return acc
    if q in ("torch.utils.checkpoint.checkpoint", "torch.utils.checkpoint.checkpoint_sequential"):
        if q.endswith("checkpoint") and args:
            kw = {k: v for k, v in kwargs.items() if k not in ("use_reentrant", "preserve_rng_state", "determinism_check", "debug", "context_fn")}
            return interp.call(args[0], tuple(args[1:]), kw, frame, node)
        return UNKNOWN
    if q in ("torch.is_tensor",):
        return TRUE if args and isinstance(args[0], TensorV) else UNKNOWN
    if q in ("torch.no_grad", "torch.inference_mode", "torch.enable_grad", "torch.autocast", "contextlib.nullcontext",
             "torch.set_grad_enabled", "torch.manual_seed", "torch.set_printoptions", "torch.device", "torch.cuda.is_available",
             "torch.backends.cudnn.is_available", "random.seed", "numpy.random.seed"):
        return UNKNOWN
    if q in ("torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.nn.Buffer"):
        return TensorV(args[0].shape, args[0].dtype) if args and isinstance(args[0], TensorV) else UNKNOWN
    if q in ("torch.Size",):
        items = interp.iterate(args[0]) if args else []
        return TupleV(tuple(items), True) if items is not None else UNKNOWN
    if q in ("typing.cast", "typing_extensions.cast") and len(args) == 2:
        return args[1]
    if q.startswith(("typing.", "dataclasses.field")):
        if q == "dataclasses.field":
            if "default" in kwargs:
                return kwargs["default"]
            if "default_factory" in kwargs:
                return interp.call(kwargs["default_factory"], (), {}, frame, node)
        return UNKNOWN
    if q.startswith("torch.fx.wrap") or q.startswith("torch.fx._symbolic_trace"):
        return args[0] if args else UNKNOWN
    return MISSING


# ---------------------------------------------------------------------------------------------
# torch.utils.data: what a DataLoader yields, so `for xb, yb in loader: model(xb)` feeds shapes
# ---------------------------------------------------------------------------------------------


def make_loader(batch: Value, dataset: Value) -> ObjectV:
    return ObjectV(ClassV("DataLoader", "<torch.utils.data>", None, [], {}), {"__batch__": batch, "dataset": dataset})


def loader_batch(v: Value) -> Value | None:
    """The batch a DataLoader (or `enumerate` of one) yields, None for anything else."""
    if isinstance(v, ObjectV) and v.cls.node is None and "__batch__" in v.attrs:
        return v.attrs["__batch__"]
    return None


def data_call(interp: "Interpreter", name: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: "Frame", node: ast.AST) -> Value:
    if name == "TensorDataset":
        tensors = [t for t in args if isinstance(t, TensorV)]
        if len(tensors) != len(args) or any(t.shape is None or not t.shape for t in tensors):
            return UNKNOWN
        sample = TupleV(tuple(TensorV(t.shape[1:], t.dtype) for t in tensors))
        return ObjectV(ClassV("TensorDataset", "<torch.utils.data>", None, [], {}),
                       {"__sample__": sample, "__len__": IntV(tensors[0].shape[0]), "tensors": TupleV(tuple(tensors))})
    dataset = args[0] if args else kwargs.get("dataset", UNKNOWN)
    bs_v = args[1] if len(args) > 1 else kwargs.get("batch_size", IntV.of(1))
    drop_last = interp.truth(kwargs.get("drop_last", FALSE))
    sample, n = dataset_sample(interp, dataset, frame, node)
    if sample is None:
        return make_loader(UNKNOWN, dataset)
    if isinstance(bs_v, Const) and bs_v.value is None:  # batch_size=None: samples as they are
        return make_loader(sample, dataset)
    bs = as_dim(bs_v)
    if bs is None or bs.value is None:
        dim = Dim.unknown("batch size")
    elif n is not None and n.value is not None:
        # Every batch has batch_size rows only if the last one is full (or dropped).
        if n.value < bs.value:
            dim = Dim.const(n.value) if drop_last is False else Dim.unknown("no full batch")
        elif drop_last is True or n.value % bs.value == 0:
            dim = bs
        else:
            dim = Dim.unknown(f"batches of {bs.value}, the last of {n.value % bs.value}")
    elif drop_last is True:
        dim = bs
    else:
        dim = Dim.unknown("the last batch may be smaller")
    return make_loader(collate(sample, dim), dataset)


def dataset_sample(interp: "Interpreter", ds: Value, frame: "Frame", node: ast.AST) -> tuple[Value | None, Dim | None]:
    """One item of a dataset and the dataset's length (None when unknown)."""
    if not isinstance(ds, ObjectV):
        return None, None
    if "__sample__" in ds.attrs:
        n = ds.attrs.get("__len__")
        return ds.attrs["__sample__"], n.dim if isinstance(n, IntV) else None
    getitem, length = ds.cls.lookup("__getitem__"), ds.cls.lookup("__len__")
    if not isinstance(getitem, FunctionV):
        return None, None
    sample = interp.call_function(getitem, (ds, IntV(Dim.unknown("index"))), {}, frame, node)
    n = interp.call_function(length, (ds,), {}, frame, node) if isinstance(length, FunctionV) else UNKNOWN
    return sample, as_dim(n)


def collate(sample: Value, batch: Dim) -> Value:
    """torch's default_collate: tensors stacked on a new first dim, numbers become 1-D tensors."""
    if isinstance(sample, TensorV):
        return TensorV(None if sample.shape is None else (batch,) + tuple(sample.shape), sample.dtype)
    if isinstance(sample, (TupleV, ListV)):
        return ListV([collate(i, batch) for i in sample.items])
    if isinstance(sample, DictV):
        return DictV({k: collate(v, batch) for k, v in sample.items.items()})
    if isinstance(sample, IntV):
        return TensorV((batch,), "int64")
    if isinstance(sample, Const) and isinstance(sample.value, (bool, float)):
        return TensorV((batch,), "bool" if isinstance(sample.value, bool) else "float64")
    return UNKNOWN


def shallow_copy(v: Value) -> Value:
    """`copy.copy`: a new container/object with the same items (shapes need no deeper copy)."""
    if isinstance(v, ObjectV):
        return ObjectV(v.cls, dict(v.attrs), None, v.def_path, v.def_span)
    if isinstance(v, ListV):
        return ListV(list(v.items))
    if isinstance(v, DictV):
        return DictV(dict(v.items))
    if isinstance(v, ModuleV):
        return ModuleV(v.kind, dict(v.args), v.rule, None if v.children is None else list(v.children), None,
                       v.def_path, v.def_span, dict(v.state))
    return v


def math_call(name: str, args: tuple[Value, ...]) -> Value:
    from shapelens.analysis.interpreter import FracV

    if name in ("ceil", "floor", "trunc") and args:
        v = args[0]
        if isinstance(v, IntV):
            return v
        if isinstance(v, FracV):
            if name == "ceil":
                return IntV(floordiv(v.num + (v.den - 1), Dim.const(v.den)))
            return IntV(floordiv(v.num, Dim.const(v.den)))
        c = as_const(v)
        if isinstance(c, (int, float)):
            return IntV.of(int(getattr(math, name)(c)))
        return UNKNOWN
    if name == "prod" and args:
        from shapelens.values import as_seq

        seq = as_seq(args[0])
        if seq is None:
            return UNKNOWN
        dims = [as_dim(x) for x in seq]
        if all(d is not None for d in dims):
            return IntV(prod(dims))  # type: ignore[arg-type]
        consts = [as_const(x) for x in seq]
        if all(isinstance(c, (int, float)) for c in consts):
            return const_of(math.prod(consts))
        return UNKNOWN
    if name in ("pi", "e", "inf"):
        return Const(getattr(math, name))
    consts = [as_const(a) for a in args]
    if any(c is MISSING for c in consts):
        return UNKNOWN
    fn = getattr(math, name, None)
    if fn is None or not callable(fn):
        return UNKNOWN
    try:
        return const_of(fn(*consts))
    except Exception:
        return UNKNOWN


# ---------------------------------------------------------------------------------------------
# methods of built-in values
# ---------------------------------------------------------------------------------------------


def value_method(interp: "Interpreter", target: Value, name: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: "Frame", node: ast.AST) -> Value:
    if isinstance(target, ListV):
        if name == "append" and args:
            target.items.append(args[0])
            return NONE
        if name == "extend" and args:
            items = interp.iterate(args[0])
            if items is None:
                target.items.append(UNKNOWN)
            else:
                target.items.extend(items)
            return NONE
        if name == "insert" and len(args) == 2:
            i = as_int(args[0])
            if i is not None:
                target.items.insert(i, args[1])
            return NONE
        if name == "pop":
            if not target.items:
                return UNKNOWN
            i = as_int(args[0]) if args else -1
            if i is None:
                return UNKNOWN
            return target.items.pop(i)
        if name == "copy":
            return ListV(list(target.items))
        if name == "index" or name == "count":
            return UNKNOWN
        if name == "reverse":
            target.items.reverse()
            return NONE
    if isinstance(target, DictV):
        if name == "items":
            return ListV([TupleV((const_of(k), v)) for k, v in target.items.items()])
        if name == "keys":
            return ListV([const_of(k) for k in target.items])
        if name == "values":
            return ListV(list(target.items.values()))
        if name == "get":
            k = as_const(args[0]) if args else MISSING
            if k is MISSING:
                return UNKNOWN
            try:
                return target.items.get(k, args[1] if len(args) > 1 else NONE)
            except TypeError:
                return UNKNOWN
        if name in ("pop",):
            k = as_const(args[0]) if args else MISSING
            if k is MISSING:
                return UNKNOWN
            return target.items.pop(k, args[1] if len(args) > 1 else UNKNOWN)
        if name == "update" and args and isinstance(args[0], DictV):
            target.items.update(args[0].items)
            return NONE
        if name == "setdefault" and args:
            k = as_const(args[0])
            if k is MISSING:
                return UNKNOWN
            return target.items.setdefault(k, args[1] if len(args) > 1 else NONE)
        if name == "copy":
            d = DictV()
            d.items = dict(target.items)
            return d
    if isinstance(target, TupleV):
        if name == "numel" and target.is_size:
            dims = [as_dim(i) for i in target.items]
            if all(d is not None for d in dims):
                return IntV(prod(dims))  # type: ignore[arg-type]
            return UNKNOWN
        if name in ("index", "count"):
            return UNKNOWN
    if isinstance(target, Const) and isinstance(target.value, str):
        consts = [as_const(a) for a in args]
        if any(c is MISSING for c in consts):
            return UNKNOWN
        fn = getattr(target.value, name, None)
        if callable(fn) and name in ("format", "join", "split", "lower", "upper", "startswith", "endswith", "replace", "strip"):
            try:
                return const_of(fn(*consts))
            except Exception:
                return UNKNOWN
    return UNKNOWN


CONTAINER_METHODS = {"append", "extend", "insert", "update", "items", "keys", "values", "children", "named_children"}
MODULE_FLUENT = {"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "eval", "train", "requires_grad_", "type", "share_memory"}


def module_method(interp: "Interpreter", m: Value, name: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: "Frame", node: ast.AST) -> Value:
    """nn.Module's own methods (and ModuleList/ModuleDict/Sequential container methods)."""
    if name in ("eval", "train"):
        mode = name == "train" and (interp.truth(args[0] if args else kwargs.get("mode", TRUE)) is not False)
        set_training(m, mode)
        return m
    layer = m.attrs.get("__layer__") if isinstance(m, ObjectV) else None
    if isinstance(layer, ModuleV) and layer.children is not None and name in CONTAINER_METHODS:
        # A user subclass of a container: its registered submodules are the layer's children.
        if name in ("append", "extend", "insert", "update"):
            module_method(interp, layer, name, args, kwargs, frame, node)
            for n, c in layer.children:
                m.attrs.setdefault(n, c)
            return m if name in ("append", "extend") else NONE
        return module_method(interp, layer, name, args, kwargs, frame, node)
    if name in MODULE_FLUENT:
        return m
    if name == "_conv_forward" and isinstance(m, ModuleV) and len(args) == 3 and m.kind.rsplit(".", 1)[-1] in (
            "Conv1d", "Conv2d", "Conv3d"):
        # Conv's own helper, used by subclasses' forward: the functional conv with the layer's settings.
        from shapelens.analysis.interpreter import module_attr

        n = m.kind[-2]
        settings = tuple(module_attr(interp, m, a) for a in ("stride", "padding", "dilation", "groups"))
        return interp.call_torch(f"torch.nn.functional.conv{n}d", tuple(args) + settings, {}, frame, node, [])
    if name == "forward":
        if isinstance(m, ModuleV):
            return interp.call_module(m, args, kwargs, frame, node)
        return UNKNOWN
    if name == "__call__":
        return interp.call_module(m, args, kwargs, frame, node)
    if name in ("add_module", "register_module") and len(args) >= 2:
        key = as_const(args[0])
        if isinstance(key, str):
            if isinstance(m, ObjectV):
                interp.set_attr(m, key, args[1], frame, node)  # type: ignore[arg-type]
            elif isinstance(m, ModuleV) and m.children is not None:
                m.children.append((key, args[1]))
        return NONE
    if name in ("register_buffer", "register_parameter") and len(args) >= 2:
        key = as_const(args[0])
        if isinstance(key, str) and isinstance(m, ObjectV):
            m.attrs[key] = args[1]
        return NONE
    if isinstance(m, ModuleV) and m.children is not None:
        if name == "append" and args:
            m.children.append((str(len(m.children)), args[0]))
            return m
        if name == "extend" and args:
            items = interp.iterate(args[0])
            for it in items or []:
                m.children.append((str(len(m.children)), it))
            return m
        if name == "insert" and len(args) == 2:
            i = as_int(args[0])
            if i is not None:
                m.children.insert(i, ("", args[1]))
                m.children[:] = [(str(j), c) if m.kind != "torch.nn.ModuleDict" else (n, c) for j, (n, c) in enumerate(m.children)]
            return NONE
        if name == "items":
            return ListV([TupleV((Const(n), c)) for n, c in m.children])
        if name == "keys":
            return ListV([Const(n) for n, _ in m.children])
        if name == "values":
            return ListV([c for _, c in m.children])
        if name == "children":
            return ListV([c for _, c in m.children])
        if name == "named_children":
            return ListV([TupleV((Const(n), c)) for n, c in m.children])
        if name == "update" and args and isinstance(args[0], DictV):
            for k, v in args[0].items.items():
                m.children.append((str(k), v))
            return NONE
    if name in ("children", "modules", "named_children", "named_modules"):
        mods = submodules(m, recursive=name in ("modules", "named_modules"))
        if name == "modules":
            return ListV([m] + [c for _, c in mods])
        if name == "children":
            return ListV([c for _, c in mods])
        if name == "named_modules":
            return ListV([TupleV((Const(""), m))] + [TupleV((Const(n), c)) for n, c in mods])
        return ListV([TupleV((Const(n), c)) for n, c in mods])
    if name in ("apply",):
        return m
    return UNKNOWN


def set_training(m: Value, mode: bool, seen: set[int] | None = None) -> None:
    """`.eval()` / `.train(mode)`: the flag every submodule's rule and `self.training` read."""
    seen = set() if seen is None else seen
    if id(m) in seen:
        return
    seen.add(id(m))
    if isinstance(m, ModuleV):
        m.state["training"] = mode
        for _, c in m.children or []:
            set_training(c, mode, seen)
    elif isinstance(m, ObjectV) and m.cls.is_module:
        m.attrs["training"] = Const(mode)
        for k, v in list(m.attrs.items()):
            if is_module_value(v):
                set_training(v, mode, seen)


def submodules(m: Value, recursive: bool) -> list[tuple[str, Value]]:
    out: list[tuple[str, Value]] = []
    if isinstance(m, ObjectV):
        direct = [(k, v) for k, v in m.attrs.items() if is_module_value(v) and k != "__layer__"]
    elif isinstance(m, ModuleV) and m.children is not None:
        direct = list(m.children)
    else:
        direct = []
    for n, c in direct:
        out.append((n, c))
        if recursive:
            out.extend((f"{n}.{cn}", cc) for cn, cc in submodules(c, True))
    return out
