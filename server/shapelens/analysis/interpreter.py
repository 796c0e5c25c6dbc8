"""The abstract interpreter: runs Python statements over abstract values.

One interpreter evaluates module top levels (imports, classes, call sites), `__init__`
(constant propagation: layers are built from known sizes), and `forward` (tensors flow
through layers and ops). Values that cannot be known become `Unknown`; a condition that
cannot be decided runs both branches and joins what they bind.

Bounded everywhere: a step budget per analysis, a call-depth limit, a cap on loop unrolling.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any, Callable

from shapelens import findings as codes
from shapelens.analysis import builtins as pybuiltins
from shapelens.analysis import constvals
from shapelens.analysis.recorder import Constraint, ModelRun, Recorder
from shapelens.analysis.source import ParsedFile
from shapelens.dims import Dim, eq, floordiv, fmt_shape, ge, gt, le, lt, ne
from shapelens.findings import Finding, Fix, Edit, Related, Severity
from shapelens.ops import REGISTRY, NotUnderstood, ShapeError
from shapelens.ops.registry import Layer, bind_values
from shapelens.values import (
    FALSE,
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
    MethodRef,
    ModuleRef,
    ModuleV,
    ObjectV,
    PartialV,
    Prov,
    RangeV,
    SliceV,
    Span,
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
    size_value,
    MISSING,
)

MAX_DEPTH = 48
MAX_UNROLL = 512
DEFAULT_BUDGET = 400_000


class Flow(Enum):
    NORMAL = 0
    RETURN = 1
    BREAK = 2
    CONTINUE = 3


class BudgetExhausted(Exception):
    pass


@dataclass(eq=False)
class FracV(Value):
    """A rational number built from integers (`H / 2`), kept exact for `int()`/`math.ceil`."""

    num: Dim
    den: int

    def describe(self) -> str:
        return f"{self.num}/{self.den}"


@dataclass
class Frame:
    locals: dict[str, Value]
    globals: dict[str, Value]
    pf: ParsedFile
    qualname: str
    cls: ClassV | None = None
    self_v: Value | None = None
    returns: list[Value] = field(default_factory=list)
    is_module_level: bool = False
    loops: list = field(default_factory=list)  # LoopExits of the loops being run, innermost last

    @property
    def path(self) -> str:
        return self.pf.path

    def lookup(self, name: str) -> Value | None:
        if name in self.locals:
            return self.locals[name]
        if name in self.globals:
            return self.globals[name]
        return pybuiltins.BUILTINS.get(name)


@dataclass
class LoopExits:
    """Environments of paths that left the current loop under an undecided condition."""

    breaks: list[dict[str, Value]] = field(default_factory=list)
    continues: list[dict[str, Value]] = field(default_factory=list)


def join_all(envs: list[dict[str, Value]]) -> dict[str, Value]:
    out = envs[0]
    for e in envs[1:]:
        out = join_envs(out, e)
    return dict(out)


class RuleContext:
    """What a shape rule can ask of the interpreter (see `ops.registry.OpContext`)."""

    def __init__(self, interp: "Interpreter", frame: Frame, node: ast.AST, module: ModuleV | None, arg_nodes: list[ast.AST]):
        self.interp = interp
        self.frame = frame
        self.node = node
        self.module = module
        self.arg_nodes = arg_nodes

    def fail(self, code: codes.Code, message: str, *, data: dict | None = None):
        raise ShapeError(code, message, data=data)

    def warn(self, code: codes.Code, message: str, *, data: dict | None = None) -> None:
        self.interp.report(self.frame, self.node, code, message, module=self.module, data=data)

    def require_eq(self, actual: Dim, expected: Dim, code: codes.Code, message: Callable[[], str]) -> None:
        r = eq(actual, expected)
        if r is False:
            raise ShapeError(code, message())
        if r is None and actual.is_known and expected.is_known:
            self.interp.add_constraint(self.frame, self.node, actual, expected, code, message)

    def unknown_dim(self, why: str = "") -> Dim:
        return Dim.unknown(why)

    def fresh_symbol(self, hint: str) -> Dim:
        return self.interp.fresh_symbol(hint)

    def arg_text(self, index: int) -> str:
        if 0 <= index < len(self.arg_nodes):
            return self.frame.pf.segment(self.arg_nodes[index])
        return "input"


class Interpreter:
    def __init__(self, project: "Any", recorder: Recorder, budget: int = DEFAULT_BUDGET):
        self.project = project
        self.rec = recorder
        self.budget = budget
        self.depth = 0
        self.active: list[tuple[FunctionV, int]] = []
        self.call_stack: list[tuple[str, Span]] = []  # (path, span) of calls in progress
        self.symbols: dict[str, int] = {}
        self.solved: dict[str, Dim] = {}
        self.main_path: str | None = None
        self.guessing = False  # running a model on an input whose rank ShapeLens guessed

    # ------------------------------------------------------------------------------------------
    # reporting
    # ------------------------------------------------------------------------------------------
    def report(
        self,
        frame: Frame,
        node: ast.AST,
        code: codes.Code,
        message: str,
        *,
        module: Value | None = None,
        fixes: list[Fix] | None = None,
        severity: Severity | None = None,
        data: dict | None = None,
        producer: Value | None = None,
    ) -> None:
        path, span = frame.path, frame.pf.span(node)
        related: list[Related] = []
        if isinstance(module, (ModuleV, ObjectV)) and module.def_span is not None and module.def_path:
            what = module.label() if isinstance(module, ModuleV) else (module.name or module.cls.name)
            desc = self.describe_module(module)
            related.append(Related(module.def_path, module.def_span, f"{what} is defined here: {desc}"))
        # Where the offending input got its shape (hover's derivation, as a clickable place).
        if isinstance(producer, TensorV) and producer.prov is not None and producer.prov.span is not None \
                and producer.prov.path and (producer.prov.path, producer.prov.span) != (path, span):
            related.append(Related(producer.prov.path, producer.prov.span,
                                   f"the input gets shape {fmt_shape(producer.shape)} here ({producer.prov.label})"))
        # A problem inside code of another file is reported at the call in the analysed file.
        if self.main_path is not None and path != self.main_path:
            outer = next((c for c in reversed(self.call_stack) if c[0] == self.main_path), None)
            if outer is None:
                return
            related.insert(0, Related(path, span, message))
            message = f"{message} (in {path.rsplit('/', 1)[-1]}:{span.line})"
            path, span = outer
            fixes = []
        severity = severity or code.severity
        if self.guessing and severity == Severity.ERROR:
            # Not proven: torch might accept the real input. Said, but not as an error.
            severity = Severity.WARNING
            message += " (with an input shape ShapeLens guessed; give forward's input a shape to check it)"
            data = {**(data or {}), "guessed_input": True}
        self.rec.finding(
            Finding(code.code, message, path, span, severity, related, list(fixes or []), data=dict(data or {}))
        )

    def describe_module(self, m: Value) -> str:
        if isinstance(m, ModuleV) and isinstance(m.rule, Layer):
            try:
                return m.rule.describe(m)
            except Exception:  # a description is never worth a crash
                return m.short
        if isinstance(m, ObjectV):
            return m.cls.name
        return m.describe()

    def add_constraint(self, frame: Frame, node: ast.AST, lhs: Dim, rhs: Dim, code: codes.Code, message: Callable[[], str]) -> None:
        # Substitute what earlier constraints pinned down; a contradiction is an error.
        if self.solved:
            l2, r2 = lhs.subs(self.solved), rhs.subs(self.solved)
            if eq(l2, r2) is False:
                raise ShapeError(code, message() + f" (given {', '.join(f'{k}={v}' for k, v in self.solved.items())} required earlier)")
            lhs, rhs = l2, r2
        diff = lhs - rhs
        syms = diff.symbols()
        if len(syms) == 1 and len(diff.terms) == 2 and diff.constant_term and all(len(m) <= 1 for m, _ in diff.terms):
            (mono, c), = [(m, c) for m, c in diff.terms if m]
            if len(mono) == 1 and mono[0][1] == 1 and type(mono[0][0]).__name__ == "Sym":
                k = -diff.constant_term
                if k % c == 0:
                    self.solved[next(iter(syms))] = Dim.const(k // c)
        self.rec.constraints.append(Constraint(lhs, rhs, frame.path, frame.pf.span(node), message()))

    def fresh_symbol(self, hint: str) -> Dim:
        n = self.symbols.get(hint, 0)
        self.symbols[hint] = n + 1
        return Dim.sym(hint if n == 0 else f"{hint}{n + 1}")

    def tick(self, n: int = 1) -> None:
        self.budget -= n
        if self.budget < 0:
            raise BudgetExhausted()

    # ------------------------------------------------------------------------------------------
    # modules (files)
    # ------------------------------------------------------------------------------------------
    def exec_module(self, pf: ParsedFile, namespace: dict[str, Value]) -> dict[str, Value]:
        frame = Frame(namespace, namespace, pf, "<module>", is_module_level=True)
        namespace.setdefault("__name__", Const("__main__" if pf.path == self.main_path else "<import>"))
        namespace.setdefault("__file__", Const(pf.path))
        self.exec_block(pf.tree.body, frame)
        return namespace

    # ------------------------------------------------------------------------------------------
    # statements
    # ------------------------------------------------------------------------------------------
    def exec_block(self, stmts: list[ast.stmt], frame: Frame) -> Flow:
        for stmt in stmts:
            flow = self.exec_stmt(stmt, frame)
            if flow is not Flow.NORMAL:
                return flow
        return Flow.NORMAL

    def exec_stmt(self, stmt: ast.stmt, frame: Frame) -> Flow:
        self.tick()
        try:
            method = getattr(self, "stmt_" + type(stmt).__name__, None)
            if method is None:
                return Flow.NORMAL
            return method(stmt, frame)
        except (BudgetExhausted, RecursionError):
            raise
        except ShapeError as e:  # a rule failure outside a call (should not happen) is reported
            self.report(frame, stmt, e.code, e.message)
            return Flow.NORMAL

    def stmt_Expr(self, s: ast.Expr, frame: Frame) -> Flow:
        self.eval(s.value, frame)
        return Flow.NORMAL

    def stmt_Pass(self, s, frame) -> Flow:
        return Flow.NORMAL

    def stmt_Assign(self, s: ast.Assign, frame: Frame) -> Flow:
        value = self.eval(s.value, frame)
        for target in s.targets:
            self.assign(target, value, frame, s)
        return Flow.NORMAL

    def stmt_AnnAssign(self, s: ast.AnnAssign, frame: Frame) -> Flow:
        if s.value is None:
            return Flow.NORMAL
        value = self.eval(s.value, frame)
        self.assign(s.target, value, frame, s)
        return Flow.NORMAL

    def stmt_AugAssign(self, s: ast.AugAssign, frame: Frame) -> Flow:
        load = ast.Name(s.target.id, ast.Load()) if isinstance(s.target, ast.Name) else s.target
        current = self.eval(load, frame)
        right = self.eval(s.value, frame)
        value = self.binop(s.op, current, right, frame, s, inplace=True)
        self.assign(s.target, value, frame, s)
        return Flow.NORMAL

    def stmt_Return(self, s: ast.Return, frame: Frame) -> Flow:
        frame.returns.append(self.eval(s.value, frame) if s.value is not None else NONE)
        return Flow.RETURN

    def stmt_Break(self, s, frame) -> Flow:
        return Flow.BREAK

    def stmt_Continue(self, s, frame) -> Flow:
        return Flow.CONTINUE

    def stmt_Delete(self, s: ast.Delete, frame: Frame) -> Flow:
        for t in s.targets:
            if isinstance(t, ast.Name):
                frame.locals.pop(t.id, None)
            elif isinstance(t, ast.Subscript):
                self.del_item(self.eval(t.value, frame), self.eval(t.slice, frame))
            elif isinstance(t, ast.Attribute):
                obj = self.eval(t.value, frame)
                if isinstance(obj, ObjectV):
                    obj.attrs.pop(t.attr, None)
                    kids = container_children(obj)
                    if kids is not None:
                        kids[:] = [(n, c) for n, c in kids if n != t.attr]
        return Flow.NORMAL

    @staticmethod
    def del_item(obj: Value, key: Value) -> None:
        """`del d[k]`, `del xs[i]`, `del xs[a:b]`; what cannot be told leaves the container open."""
        if isinstance(obj, DictV):
            k = as_const(key)
            if k is MISSING:
                mark_open(obj)
            else:
                try:
                    obj.items.pop(k, None)
                except TypeError:
                    mark_open(obj)
        elif isinstance(obj, ListV):
            if isinstance(key, SliceV):
                sl = slice_consts(key)
                if sl is None:
                    mark_open(obj)
                else:
                    del obj.items[sl]
                return
            i = as_int(key)
            if i is not None and -len(obj.items) <= i < len(obj.items):
                del obj.items[i]
            else:
                mark_open(obj)
        elif isinstance(obj, ModuleV) and obj.children is not None:
            k = as_const(key)
            if isinstance(k, str):
                obj.children[:] = [(n, c) for n, c in obj.children if n != k]
            elif isinstance(k, int) and -len(obj.children) <= k < len(obj.children):
                del obj.children[k]

    def stmt_Global(self, s, frame) -> Flow:
        return Flow.NORMAL

    stmt_Nonlocal = stmt_Global

    def stmt_Assert(self, s, frame) -> Flow:
        return Flow.NORMAL

    def stmt_Raise(self, s, frame) -> Flow:
        # A path that raises produces nothing; treat like a return with no value to join.
        return Flow.RETURN

    def stmt_Import(self, s: ast.Import, frame: Frame) -> Flow:
        for alias in s.names:
            if alias.asname:
                frame.locals[alias.asname] = self.project.import_module(alias.name, frame.path, 0)
            else:
                top = alias.name.split(".")[0]
                frame.locals[top] = self.project.import_module(top, frame.path, 0)
        return Flow.NORMAL

    def stmt_ImportFrom(self, s: ast.ImportFrom, frame: Frame) -> Flow:
        mod = s.module or ""
        for alias in s.names:
            if alias.name == "*":
                src = self.project.import_module(mod, frame.path, s.level)
                if isinstance(src, ModuleRef):
                    for k, v in src.namespace.items():
                        if not k.startswith("_"):
                            frame.locals[k] = v
                continue
            frame.locals[alias.asname or alias.name] = self.project.import_from(mod, alias.name, frame.path, s.level)
        return Flow.NORMAL

    def stmt_FunctionDef(self, s: ast.FunctionDef, frame: Frame) -> Flow:
        fn = self.make_function(s, frame)
        value: Value = fn
        for dec in reversed(s.decorator_list):
            value = self.apply_decorator(dec, value, frame)
        frame.locals[s.name] = value
        return Flow.NORMAL

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def make_function(self, s: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, frame: Frame) -> FunctionV:
        defaults: dict[str, Value] = {}
        args = s.args
        positional = args.posonlyargs + args.args
        for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[a.arg] = self.eval(d, frame)
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            if d is not None:
                defaults[a.arg] = self.eval(d, frame)
        name = getattr(s, "name", "<lambda>")
        decos = tuple(self.decorator_name(d) for d in getattr(s, "decorator_list", []))
        closure = None if frame.is_module_level else frame.locals
        return FunctionV(s, frame.globals, frame.path, f"{frame.qualname}.{name}" if not frame.is_module_level else name,
                         defaults, closure, frame.cls, decos)

    @staticmethod
    def decorator_name(d: ast.expr) -> str:
        if isinstance(d, ast.Call):
            d = d.func
        parts = []
        while isinstance(d, ast.Attribute):
            parts.append(d.attr)
            d = d.value
        if isinstance(d, ast.Name):
            parts.append(d.id)
        return ".".join(reversed(parts))

    def apply_decorator(self, dec: ast.expr, fn: Value, frame: Frame) -> Value:
        name = self.decorator_name(dec)
        last = name.rsplit(".", 1)[-1]
        if last in ("staticmethod", "classmethod", "property", "cached_property"):
            return fn  # recorded in FunctionV.decorators
        # Unknown decorators (torch.no_grad(), jit, wraps...) are taken to keep the function.
        return fn

    def stmt_ClassDef(self, s: ast.ClassDef, frame: Frame) -> Flow:
        bases = [self.eval(b, frame) for b in s.bases]
        cls = ClassV(s.name, frame.path, s, bases, {})
        decos = [self.decorator_name(d) for d in s.decorator_list]
        cls.is_dataclass = any(d.rsplit(".", 1)[-1] == "dataclass" for d in decos)
        body_frame = Frame(cls.namespace, frame.globals, frame.pf, s.name, cls=cls)
        body_frame.closure_parent = frame  # type: ignore[attr-defined]
        for stmt in s.body:
            try:
                self.exec_stmt(stmt, body_frame)
            except BudgetExhausted:
                raise
        for v in cls.namespace.values():
            if isinstance(v, FunctionV) and v.owner is None:
                v.owner = cls
        frame.locals[s.name] = cls
        return Flow.NORMAL

    def stmt_If(self, s: ast.If, frame: Frame) -> Flow:
        cond = self.truth(self.eval(s.test, frame))
        if cond is True:
            return self.exec_block(s.body, frame)
        if cond is False:
            return self.exec_block(s.orelse, frame)
        return self.branch(frame, lambda f: self.exec_block(s.body, f), lambda f: self.exec_block(s.orelse, f))

    def branch(self, frame: Frame, a: Callable[[Frame], Flow], b: Callable[[Frame], Flow]) -> Flow:
        """Run two alternatives on copies of the locals and join what falls through. Lists and
        dicts the alternatives mutate in place are restored between them and joined after."""
        before = dict(frame.locals)
        boxes = mutable_boxes(before)
        snap = [box_contents(c) for c in boxes]
        flow_a = a(frame)
        env_a = frame.locals
        after_a = [box_contents(c) for c in boxes]
        for c, content in zip(boxes, snap):
            set_box_contents(c, content)
        frame.locals = dict(before)
        flow_b = b(frame)
        env_b = frame.locals
        after_b = [box_contents(c) for c in boxes]
        if flow_a is Flow.NORMAL and flow_b is Flow.NORMAL:
            for c, ca, cb in zip(boxes, after_a, after_b):
                join_box(c, ca, cb)
            self.set_env(frame, join_envs(env_a, env_b))
            return Flow.NORMAL
        if flow_a is Flow.NORMAL or flow_b is Flow.NORMAL:
            # One alternative leaves: a return (its value is already collected), or a break /
            # continue the enclosing loop joins in where that path lands.
            a_stays = flow_a is Flow.NORMAL
            leaving, env_leave = (flow_b, env_b) if a_stays else (flow_a, env_a)
            self.note_loop_exit(frame, leaving, env_leave)
            if a_stays:
                for c, content in zip(boxes, after_a):
                    set_box_contents(c, content)
            self.set_env(frame, env_a if a_stays else env_b)
            return Flow.NORMAL
        # Both leave.
        if flow_a == flow_b:
            if flow_a is Flow.RETURN:
                self.set_env(frame, env_a)
            else:
                self.set_env(frame, join_envs(env_a, env_b))
            return flow_a
        if Flow.RETURN in (flow_a, flow_b):  # the other path leaves the loop body and goes on
            flow, env = (flow_b, env_b) if flow_a is Flow.RETURN else (flow_a, env_a)
            self.set_env(frame, env)
            return flow
        # break on one side, continue on the other: the break lands after the loop.
        env_break, env_cont = (env_a, env_b) if flow_a is Flow.BREAK else (env_b, env_a)
        self.note_loop_exit(frame, Flow.BREAK, env_break)
        self.set_env(frame, env_cont)
        return Flow.CONTINUE

    @staticmethod
    def set_env(frame: Frame, env: dict[str, Value]) -> None:
        if frame.is_module_level:  # module-level locals are the module's namespace itself
            if env is not frame.globals:
                frame.globals.clear()
                frame.globals.update(env)
            frame.locals = frame.globals
        else:
            frame.locals = env

    @staticmethod
    def note_loop_exit(frame: Frame, flow: Flow, env: dict[str, Value]) -> None:
        if frame.loops and flow in (Flow.BREAK, Flow.CONTINUE):
            (frame.loops[-1].breaks if flow is Flow.BREAK else frame.loops[-1].continues).append(dict(env))

    def loop_body(self, body: list[ast.stmt], frame: Frame, exits: "LoopExits") -> Flow:
        """One iteration: NORMAL to go on, BREAK to leave the loop, RETURN to leave the function.
        Paths that `continue`d under an undecided condition rejoin at the iteration's end."""
        flow = self.exec_block(body, frame)
        conts, exits.continues = exits.continues, []
        if flow is Flow.RETURN:
            if conts:  # other paths carry on with the next iteration
                self.set_env(frame, join_all(conts))
                return Flow.NORMAL
            return Flow.RETURN
        if flow is Flow.BREAK:
            exits.breaks.extend([dict(frame.locals)] + conts)
            return Flow.BREAK
        if conts:
            self.set_env(frame, join_all([frame.locals] + conts))
        return Flow.NORMAL

    def loop_end(self, frame: Frame, exits: "LoopExits", flow: Flow) -> Flow:
        """After the loop: paths that broke out join the one that ran to the end."""
        if flow is Flow.RETURN:
            if not exits.breaks:
                return Flow.RETURN
            self.set_env(frame, join_all(exits.breaks))
            return Flow.NORMAL
        if exits.breaks:
            self.set_env(frame, join_all([frame.locals] + exits.breaks if flow is Flow.NORMAL else exits.breaks))
        return Flow.NORMAL

    def stmt_For(self, s: ast.For, frame: Frame) -> Flow:
        iterable = self.eval(s.iter, frame)
        items = self.iterate(iterable)
        exits = LoopExits()
        frame.loops.append(exits)
        try:
            if items is None or len(items) > MAX_UNROLL:
                # Unknown number of iterations: run the body once on unknown items (a DataLoader's
                # batch when iterating one), join with skipping.
                batch = pybuiltins.loader_batch(iterable)
                item = UNKNOWN if batch is None else batch
                return self.branch(frame, lambda f: self._loop_once(s, f, item, exits), lambda f: Flow.NORMAL)
            flow = Flow.NORMAL
            for item in items:
                self.assign(s.target, item, frame, s)
                flow = self.loop_body(s.body, frame, exits)
                if flow is not Flow.NORMAL:
                    break
            else:
                return self.loop_else(s.orelse, frame, exits)
            return self.loop_end(frame, exits, flow)
        finally:
            frame.loops.pop()

    def loop_else(self, orelse: list[ast.stmt], frame: Frame, exits: LoopExits) -> Flow:
        """The `else:` clause runs on the path that did not break; the ones that broke skip it."""
        flow = self.exec_block(orelse, frame)
        if flow is Flow.NORMAL:
            return self.loop_end(frame, exits, Flow.NORMAL)
        if not exits.breaks:
            return flow
        if flow in (Flow.BREAK, Flow.CONTINUE) and len(frame.loops) > 1:  # of an enclosing loop
            outer = frame.loops[-2]
            (outer.breaks if flow is Flow.BREAK else outer.continues).append(dict(frame.locals))
        self.set_env(frame, join_all(exits.breaks))
        return Flow.NORMAL

    def _loop_once(self, s: ast.For | ast.While, frame: Frame, item: Value | None, exits: "LoopExits") -> Flow:
        if item is not None and isinstance(s, ast.For):
            self.assign(s.target, item, frame, s)
        flow = self.loop_body(s.body, frame, exits)
        return self.loop_end(frame, exits, flow)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, s: ast.While, frame: Frame) -> Flow:
        exits = LoopExits()
        frame.loops.append(exits)
        try:
            for _ in range(MAX_UNROLL):
                cond = self.truth(self.eval(s.test, frame))
                if cond is False:
                    return self.loop_else(s.orelse, frame, exits)
                if cond is None:
                    break
                flow = self.loop_body(s.body, frame, exits)
                if flow is not Flow.NORMAL:
                    return self.loop_end(frame, exits, flow)
            # Undecidable (or too long) from here: once more or not at all, names it rebinds are
            # widened to their join.
            return self.branch(frame, lambda f: self._loop_once(s, f, None, exits), lambda f: self.loop_end(f, exits, Flow.NORMAL))
        finally:
            frame.loops.pop()

    def stmt_With(self, s: ast.With, frame: Frame) -> Flow:
        for item in s.items:
            v = self.eval(item.context_expr, frame)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN if not isinstance(v, TensorV) else v, frame, s)
        return self.exec_block(s.body, frame)

    stmt_AsyncWith = stmt_With

    def stmt_Try(self, s: ast.Try, frame: Frame) -> Flow:
        flow = self.exec_block(s.body, frame)
        if flow is Flow.NORMAL:
            flow = self.exec_block(s.orelse, frame)
        fin = self.exec_block(s.finalbody, frame)
        return flow if fin is Flow.NORMAL else fin

    stmt_TryStar = stmt_Try

    # ------------------------------------------------------------------------------------------
    # assignment
    # ------------------------------------------------------------------------------------------
    def assign(self, target: ast.expr, value: Value, frame: Frame, stmt: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            frame.locals[target.id] = value
            if isinstance(value, TensorV):
                self.rec.assign(frame.path, stmt.lineno, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                if isinstance(t, ast.Starred):
                    self.assign(t.value, v, frame, stmt)
                else:
                    self.assign(t, v, frame, stmt)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame)
            self.set_attr(obj, target.attr, value, frame, stmt)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame)
            key = self.eval(target.slice, frame)
            self.set_item(obj, key, value)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, frame, stmt)

    def unpack(self, value: Value, n: int, target: ast.Tuple | ast.List) -> list[Value]:
        star = next((i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)), None)
        items = self.iterate(value)
        if items is None:
            if isinstance(value, TensorV) and value.shape is not None and len(value.shape) and star is None:
                return [self.call_rule("torch.Tensor.__getitem__", (value, IntV.of(i)), {}) for i in range(n)]
            return [UNKNOWN] * n
        if star is None:
            if len(items) != n:
                return [UNKNOWN] * n
            return items
        after = n - star - 1
        if len(items) < n - 1:
            return [UNKNOWN] * n
        return items[:star] + [ListV(items[star: len(items) - after])] + items[len(items) - after:]

    def set_attr(self, obj: Value, name: str, value: Value, frame: Frame, stmt: ast.stmt) -> None:
        if isinstance(obj, ObjectV):
            obj.attrs[name] = value
            if obj.cls.is_module and isinstance(value, (ModuleV, ObjectV)) and is_module_value(value):
                self.name_module(value, name, frame.path, frame.pf.span(stmt))
                # A subclass of Sequential/ModuleList/ModuleDict registers submodules in order.
                kids = container_children(obj)
                if kids is not None:
                    kids[:] = [(n, c) for n, c in kids if n != name] + [(name, value)]
        elif isinstance(obj, ClassV):
            obj.namespace[name] = value
        elif isinstance(obj, ModuleV):
            obj.state.setdefault("attrs", {})[name] = value

    def name_module(self, m: Value, name: str, path: str, span: Span) -> None:
        if isinstance(m, (ModuleV, ObjectV)) and m.name is None:
            m.name = name
            if m.def_span is None or m.def_path != path:
                m.def_path, m.def_span = path, span
            if isinstance(m, ModuleV) and m.children:
                for child_name, child in m.children:
                    if isinstance(child, (ModuleV, ObjectV)) and child.name is None:
                        self.name_module(child, f"{name}.{child_name}", child.def_path or path, child.def_span or span)

    def set_item(self, obj: Value, key: Value, value: Value) -> None:
        if isinstance(obj, ListV):
            i = as_int(key)
            if i is not None and -len(obj.items) <= i < len(obj.items):
                obj.items[i] = value
            else:
                obj.items[:] = [UNKNOWN] * len(obj.items)
        elif isinstance(obj, DictV):
            k = as_const(key)
            try:
                if k is MISSING:
                    raise TypeError
                obj.items[k] = value
            except TypeError:  # an entry under a key nobody knows: the contents are open
                mark_open(obj)
        elif isinstance(obj, ModuleV) and obj.kind == "torch.nn.ModuleDict" and obj.children is not None:
            k = as_const(key)
            if isinstance(k, str):
                obj.children = [(n, c) for n, c in obj.children if n != k] + [(k, value)]

    # ------------------------------------------------------------------------------------------
    # expressions
    # ------------------------------------------------------------------------------------------
    def eval(self, node: ast.expr | None, frame: Frame) -> Value:
        if node is None:
            return NONE
        self.tick()
        method = getattr(self, "ex_" + type(node).__name__, None)
        if method is None:
            return UNKNOWN
        try:
            return method(node, frame)
        except (BudgetExhausted, RecursionError):
            raise
        except ShapeError as e:
            self.report(frame, node, e.code, e.message)
            return UNKNOWN

    def ex_Constant(self, n: ast.Constant, frame: Frame) -> Value:
        return const_of(n.value)

    def ex_Name(self, n: ast.Name, frame: Frame) -> Value:
        v = frame.lookup(n.id)
        if v is None:
            parent = getattr(frame, "closure_parent", None)
            if parent is not None:
                v = parent.lookup(n.id)
        return v if v is not None else UNKNOWN

    def ex_Tuple(self, n: ast.Tuple, frame: Frame) -> Value:
        return TupleV(tuple(self.eval_elts(n.elts, frame)))

    def ex_List(self, n: ast.List, frame: Frame) -> Value:
        return ListV(self.eval_elts(n.elts, frame))

    def ex_Set(self, n: ast.Set, frame: Frame) -> Value:
        return ListV(self.eval_elts(n.elts, frame))

    def eval_elts(self, elts: list[ast.expr], frame: Frame) -> list[Value]:
        out: list[Value] = []
        for e in elts:
            if isinstance(e, ast.Starred):
                items = self.iterate(self.eval(e.value, frame))
                if items is None:
                    return [UNKNOWN] * 0 + [UNKNOWN]
                out.extend(items)
            else:
                out.append(self.eval(e, frame))
        return out

    def ex_Dict(self, n: ast.Dict, frame: Frame) -> Value:
        d = DictV()
        for k, v in zip(n.keys, n.values):
            if k is None:
                src = self.eval(v, frame)
                if isinstance(src, DictV):
                    d.items.update(src.items)
                continue
            key = as_const(self.eval(k, frame))
            val = self.eval(v, frame)
            if key is MISSING:
                mark_open(d)
                continue
            try:
                d.items[key] = val
            except TypeError:
                mark_open(d)
        return d

    def ex_JoinedStr(self, n, frame) -> Value:
        # f-strings of known values are known: layer names such as f"layer{i}" key containers.
        parts: list[str] | None = []
        for v in n.values:
            if isinstance(v, ast.FormattedValue):
                c = as_const(self.eval(v.value, frame))
                spec = self.eval(v.format_spec, frame) if v.format_spec is not None else Const("")
                if c is MISSING or parts is None or not isinstance(as_const(spec), str):
                    parts = None
                    continue
                try:
                    c = {115: str, 114: repr, 97: ascii}.get(v.conversion, lambda x: x)(c)
                    parts.append(format(c, as_const(spec)))
                except Exception:
                    parts = None
            elif isinstance(v, ast.Constant) and parts is not None:
                parts.append(str(v.value))
        return Const("".join(parts)) if parts is not None else UnknownV("string")

    def ex_Slice(self, n: ast.Slice, frame: Frame) -> Value:
        return SliceV(self.eval(n.lower, frame), self.eval(n.upper, frame), self.eval(n.step, frame))

    def ex_Starred(self, n: ast.Starred, frame: Frame) -> Value:
        return self.eval(n.value, frame)

    def ex_Lambda(self, n: ast.Lambda, frame: Frame) -> Value:
        return self.make_function(n, frame)

    def ex_NamedExpr(self, n: ast.NamedExpr, frame: Frame) -> Value:
        v = self.eval(n.value, frame)
        frame.locals[n.target.id] = v
        return v

    def ex_IfExp(self, n: ast.IfExp, frame: Frame) -> Value:
        cond = self.truth(self.eval(n.test, frame))
        if cond is True:
            return self.eval(n.body, frame)
        if cond is False:
            return self.eval(n.orelse, frame)
        return join(self.eval(n.body, frame), self.eval(n.orelse, frame))

    def ex_BoolOp(self, n: ast.BoolOp, frame: Frame) -> Value:
        is_and = isinstance(n.op, ast.And)
        result: Value = UNKNOWN
        undecided = False
        for v_node in n.values:
            v = self.eval(v_node, frame)
            t = self.truth(v)
            if t is None:
                undecided = True
                result = v
                continue
            if is_and and t is False:
                return v if not undecided else UNKNOWN
            if not is_and and t is True:
                return v if not undecided else UNKNOWN
            result = v
        return UNKNOWN if undecided else result

    def ex_UnaryOp(self, n: ast.UnaryOp, frame: Frame) -> Value:
        v = self.eval(n.operand, frame)
        if isinstance(n.op, ast.Not):
            t = self.truth(v)
            return UNKNOWN if t is None else Const(not t)
        if isinstance(v, TensorV):
            name = {ast.USub: "__neg__", ast.UAdd: "__pos__", ast.Invert: "__invert__"}[type(n.op)]
            return self.call_rule_at(f"torch.Tensor.{name}", (v,), {}, frame, n, name)
        if isinstance(v, IntV):
            if isinstance(n.op, ast.USub):
                return IntV(-v.dim)
            if isinstance(n.op, ast.UAdd):
                return v
            if isinstance(n.op, ast.Invert):
                return IntV(-v.dim - 1)
        c = as_const(v)
        if c is not MISSING:
            try:
                return const_of({ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(n.op)](c))
            except Exception:
                return UNKNOWN
        return UNKNOWN

    def ex_BinOp(self, n: ast.BinOp, frame: Frame) -> Value:
        left = self.eval(n.left, frame)
        right = self.eval(n.right, frame)
        return self.binop(n.op, left, right, frame, n)

    def binop(self, op: ast.operator, left: Value, right: Value, frame: Frame, node: ast.AST, inplace: bool = False) -> Value:
        opname = type(op).__name__
        if isinstance(left, TensorV) or isinstance(right, TensorV):
            dunder = BINOP_DUNDER[opname]
            if inplace:
                dunder = "__i" + dunder[2:]
            label = BINOP_SYMBOL.get(opname, opname)
            return self.call_rule_at(f"torch.Tensor.{dunder}", (left, right), {}, frame, node, label)
        return python_binop(opname, left, right)

    def ex_Compare(self, n: ast.Compare, frame: Frame) -> Value:
        left = self.eval(n.left, frame)
        result: Value = TRUE
        for op, comp in zip(n.ops, n.comparators):
            right = self.eval(comp, frame)
            identity = isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn))
            if not identity and (isinstance(left, TensorV) or isinstance(right, TensorV)):
                if type(op).__name__ in COMPARE_DUNDER:
                    return self.call_rule_at(f"torch.Tensor.{COMPARE_DUNDER[type(op).__name__]}", (left, right), {}, frame, n, "compare")
                return UNKNOWN
            r = compare(op, left, right)
            t = self.truth(r)
            if t is False:
                return FALSE
            if t is None:
                result = UNKNOWN
            left = right
        return result

    def ex_Attribute(self, n: ast.Attribute, frame: Frame) -> Value:
        obj = self.eval(n.value, frame)
        return self.get_attr(obj, n.attr, frame, n)

    def ex_Subscript(self, n: ast.Subscript, frame: Frame) -> Value:
        obj = self.eval(n.value, frame)
        key = self.eval(n.slice, frame)
        if isinstance(obj, TensorV):
            return self.call_rule_at("torch.Tensor.__getitem__", (obj, key), {}, frame, n, "index")
        return self.get_item(obj, key, frame, n)

    def get_item(self, obj: Value, key: Value, frame: Frame | None = None, node: ast.AST | None = None) -> Value:
        if isinstance(obj, ListV) and is_open(obj):
            return UNKNOWN
        if isinstance(obj, (TupleV, ListV)):
            items = list(obj.items)
            if isinstance(key, SliceV):
                s = slice_consts(key)
                if s is None:
                    return UNKNOWN
                sub = items[s]
                return TupleV(tuple(sub), obj.is_size) if isinstance(obj, TupleV) else ListV(sub)
            i = as_int(key)
            if i is not None and -len(items) <= i < len(items):
                return items[i]
            if i is not None and frame is not None and node is not None and obj.__class__ is TupleV and obj.is_size:
                raise ShapeError(codes.INDEX, f"tuple index {i} out of range for a size of {len(items)} dimensions {obj.describe()}")
            return UNKNOWN
        if isinstance(obj, DictV):
            k = as_const(key)
            if k is not MISSING:
                try:
                    return obj.items.get(k, UNKNOWN)
                except TypeError:
                    return UNKNOWN
            return UNKNOWN
        if isinstance(obj, ModuleV) and obj.children is not None:
            kids = obj.children
            if isinstance(key, SliceV):
                s = slice_consts(key)
                if s is None:
                    return UNKNOWN
                sub = kids[s]
                return ModuleV(obj.kind, {}, obj.rule, list(sub), name=obj.name, def_path=obj.def_path, def_span=obj.def_span)
            k = as_const(key)
            if isinstance(k, int):
                return kids[k][1] if -len(kids) <= k < len(kids) else UNKNOWN
            if isinstance(k, str):
                return next((c for nm, c in kids if nm == k), UNKNOWN)
            return UNKNOWN
        if isinstance(obj, ObjectV):
            fn = obj.cls.lookup("__getitem__")
            if isinstance(fn, FunctionV) and frame is not None and node is not None:
                return self.call_function(fn, (obj, key), {}, frame, node)
            if container_children(obj) is not None:
                return self.get_item(obj.attrs["__layer__"], key, frame, node)
        return UNKNOWN

    def ex_ListComp(self, n: ast.ListComp, frame: Frame) -> Value:
        items = self.comprehension(n.generators, frame, lambda f: [self.eval(n.elt, f)])
        return UNKNOWN if items is None else ListV(items)

    def ex_GeneratorExp(self, n: ast.GeneratorExp, frame: Frame) -> Value:
        items = self.comprehension(n.generators, frame, lambda f: [self.eval(n.elt, f)])
        return UNKNOWN if items is None else ListV(items)

    def ex_SetComp(self, n, frame) -> Value:
        return self.ex_ListComp(n, frame)

    def ex_DictComp(self, n: ast.DictComp, frame: Frame) -> Value:
        pairs = self.comprehension(n.generators, frame, lambda f: [TupleV((self.eval(n.key, f), self.eval(n.value, f)))])
        if pairs is None:
            return UNKNOWN
        d = DictV()
        for p in pairs:
            k = as_const(p.items[0])  # type: ignore[attr-defined]
            if k is not MISSING:
                d.items[k] = p.items[1]  # type: ignore[attr-defined]
        return d

    def comprehension(self, gens: list[ast.comprehension], frame: Frame, emit: Callable[[Frame], list[Value]]) -> list[Value] | None:
        inner = Frame(dict(frame.locals), frame.globals, frame.pf, frame.qualname, frame.cls, frame.self_v)
        out: list[Value] = []

        def rec(i: int) -> bool:
            if i == len(gens):
                out.extend(emit(inner))
                return True
            g = gens[i]
            items = self.iterate(self.eval(g.iter, inner))
            if items is None or len(items) > MAX_UNROLL:  # a cut-off list would have a wrong length
                return False
            for item in items:
                self.assign_quiet(g.target, item, inner)
                conds = [self.truth(self.eval(c, inner)) for c in g.ifs]
                if any(c is None for c in conds):
                    return False
                if all(conds) and not rec(i + 1):
                    return False
            return True

        return out if rec(0) else None

    def assign_quiet(self, target: ast.expr, value: Value, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.locals[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t, v in zip(target.elts, self.unpack(value, len(target.elts), target)):
                self.assign_quiet(t, v, frame)

    # ------------------------------------------------------------------------------------------
    # attributes
    # ------------------------------------------------------------------------------------------
    def get_attr(self, obj: Value, name: str, frame: Frame, node: ast.AST | None = None) -> Value:
        if isinstance(obj, TorchRef):
            return self.project.torch_attr(obj, name)
        if isinstance(obj, ModuleRef):
            return obj.namespace.get(name, UNKNOWN)
        if isinstance(obj, TensorV):
            return tensor_attr(self, obj, name, frame, node)
        if isinstance(obj, ObjectV):
            if name in obj.attrs:
                return obj.attrs[name]
            found = obj.cls.lookup(name)
            if found is not None:
                return self.bind_class_attr(found, obj, frame, node)
            if name == "training":
                return FALSE  # ShapeLens analyses inference: model.eval()
            layer = obj.attrs.get("__layer__")
            if isinstance(layer, ModuleV):
                return self.get_attr(layer, name, frame, node)
            if obj.cls.is_module or obj.cls.torch_bases():
                return MethodRef(obj, name)
            if obj.cls.is_dataclass:
                return UNKNOWN
            return UNKNOWN
        if isinstance(obj, ClassV):
            found = obj.lookup(name)
            if isinstance(found, FunctionV) and "classmethod" in found.decorators:
                return BoundMethod(obj, found)
            return found if found is not None else UNKNOWN
        if isinstance(obj, SuperV):
            found = obj.cls.lookup(name, after=obj.cls)
            if found is not None:
                return self.bind_class_attr(found, obj.self_v, frame, node)
            # A @dataclass base's generated __init__ assigns its fields.
            if name == "__init__" and any(c.is_dataclass for c in obj.cls.mro()[1:]):
                return MethodRef(SuperV(obj.cls, obj.self_v), "dataclass.__init__")
            # Falls through to torch's base class.
            for q in obj.cls.torch_bases():
                return MethodRef(SuperV(obj.cls, obj.self_v), f"{q}.{name}")
            return UNKNOWN
        if isinstance(obj, ModuleV):
            return module_attr(self, obj, name)
        if isinstance(obj, TupleV) and obj.field(name) is not None:
            return obj.field(name)  # type: ignore[return-value]
        if isinstance(obj, (ListV, DictV, TupleV, IntV, Const)):
            return MethodRef(obj, name)
        return UNKNOWN

    def bind_class_attr(self, found: Value, inst: Value, frame: Frame, node: ast.AST | None) -> Value:
        if isinstance(found, FunctionV):
            if "staticmethod" in found.decorators:
                return found
            if "classmethod" in found.decorators:
                return BoundMethod(inst.cls if isinstance(inst, ObjectV) else inst, found)
            if "property" in found.decorators or "cached_property" in found.decorators:
                return self.call_function(found, (inst,), {}, frame, node or found.node)
            return BoundMethod(inst, found)
        return found

    # ------------------------------------------------------------------------------------------
    # calls
    # ------------------------------------------------------------------------------------------
    def ex_Call(self, n: ast.Call, frame: Frame) -> Value:
        func = self.eval(n.func, frame)
        args: list[Value] = []
        arg_nodes: list[ast.AST] = []
        for a in n.args:
            if isinstance(a, ast.Starred):
                items = self.iterate(self.eval(a.value, frame))
                if items is None:
                    return self.unknown_call(func, frame, n, [UNKNOWN])
                args.extend(items)
                arg_nodes.extend([a] * len(items))
            else:
                args.append(self.eval(a, frame))
                arg_nodes.append(a)
        kwargs: dict[str, Value] = {}
        for kw in n.keywords:
            v = self.eval(kw.value, frame)
            if kw.arg is None:
                if isinstance(v, DictV):
                    kwargs.update({str(k): x for k, x in v.items.items()})
                else:
                    return self.unknown_call(func, frame, n, args)
            else:
                kwargs[kw.arg] = v
        return self.call(func, tuple(args), kwargs, frame, n, arg_nodes)

    def call(self, func: Value, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST,
             arg_nodes: list[ast.AST] | None = None) -> Value:
        arg_nodes = arg_nodes or []
        if isinstance(func, BoundMethod):
            if isinstance(func.func, FunctionV):
                return self.call_function(func.func, (func.self_v,) + args, kwargs, frame, node)
            return self.call(func.func, (func.self_v,) + args, kwargs, frame, node, arg_nodes)
        if isinstance(func, FunctionV):
            return self.call_function(func, args, kwargs, frame, node)
        if isinstance(func, ClassV):
            return self.instantiate(func, args, kwargs, frame, node)
        if isinstance(func, (ModuleV, ObjectV)) and is_module_value(func):
            return self.call_module(func, args, kwargs, frame, node, arg_nodes)
        if isinstance(func, ObjectV):
            fn = func.cls.lookup("__call__")
            if isinstance(fn, FunctionV):
                return self.call_function(fn, (func,) + args, kwargs, frame, node)
            return UNKNOWN
        if isinstance(func, TorchRef):
            return self.call_torch(func.qualname, args, kwargs, frame, node, arg_nodes)
        if isinstance(func, MethodRef):
            return self.call_method(func, args, kwargs, frame, node, arg_nodes)
        if isinstance(func, BuiltinFn):
            return pybuiltins.call_builtin(self, func.name, args, kwargs, frame, node)
        if isinstance(func, PartialV):
            return self.call(func.func, func.args + args, {**func.kwargs, **kwargs}, frame, node, arg_nodes)
        if isinstance(func, SuperV):
            return UNKNOWN
        return self.unknown_call(func, frame, node, list(args) + list(kwargs.values()))

    def unknown_call(self, func: Value, frame: Frame, node: ast.AST, args: list[Value]) -> Value:
        if any(isinstance(a, TensorV) for a in args):
            name = frame.pf.segment(node.func) if isinstance(node, ast.Call) else "call"
            key = (frame.path, name)
            if key not in self.rec.unknown_names:
                self.rec.unknown_names.add(key)
                self.report(frame, node, codes.UNKNOWN_CALL,
                            f"ShapeLens does not understand `{name}(...)`: shapes that depend on its result are unknown")
        return UNKNOWN

    def call_function(self, fn: FunctionV, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST) -> Value:
        if self.depth >= MAX_DEPTH or sum(1 for f, _ in self.active if f is fn) >= 3:
            return UNKNOWN
        bound = bind_arguments(fn, args, kwargs)
        if bound is None:
            return UNKNOWN
        pf = self.project.parsed(fn.path)
        if pf is None:
            return UNKNOWN
        self_v = args[0] if args and fn.owner is not None else None
        callee = Frame(bound, fn.globals, pf, fn.qualname, cls=fn.owner, self_v=self_v)
        if fn.closure is not None:
            callee.closure_parent = Frame(fn.closure, fn.globals, pf, fn.qualname)  # type: ignore[attr-defined]
        self.depth += 1
        self.active.append((fn, self.depth))
        self.call_stack.append((frame.path, frame.pf.span(node)))
        try:
            if isinstance(fn.node, ast.Lambda):
                return self.eval(fn.node.body, callee)
            for a in fn.node.args.args + fn.node.args.posonlyargs + fn.node.args.kwonlyargs:
                v = bound.get(a.arg)
                if isinstance(v, TensorV):
                    self.rec.assign(fn.path, fn.node.lineno, a.arg, v)
            self.exec_block(fn.node.body, callee)
            if not callee.returns:
                return NONE
            result = callee.returns[0]
            for r in callee.returns[1:]:
                result = join(result, r)
            return result
        finally:
            self.call_stack.pop()
            self.active.pop()
            self.depth -= 1

    def instantiate(self, cls: ClassV, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST) -> Value:
        obj = ObjectV(cls, {}, def_path=frame.path, def_span=frame.pf.span(node))
        if cls.is_dataclass and cls.lookup("__init__") is None:
            self.init_dataclass_fields(obj, cls, args, kwargs)
            fn = cls.lookup("__post_init__")
            if isinstance(fn, FunctionV):
                self.call_function(fn, (obj,), {}, frame, node)
            return obj
        init = cls.lookup("__init__")
        if isinstance(init, FunctionV):
            self.call_function(init, (obj,) + args, kwargs, frame, node)
        else:
            self.torch_base_init(obj, cls, args, kwargs, frame, node)
        return obj

    @staticmethod
    def init_dataclass_fields(obj: ObjectV, cls: ClassV, args: tuple[Value, ...], kwargs: dict[str, Value]) -> None:
        """What a @dataclass's generated __init__ does: fields from arguments, else defaults."""
        for i, (name, default) in enumerate(dataclass_fields(cls)):
            if i < len(args):
                obj.attrs[name] = args[i]
            elif name in kwargs:
                obj.attrs[name] = kwargs[name]
            elif default is not None:
                obj.attrs[name] = default

    def torch_base_init(self, obj: ObjectV, cls: ClassV, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST) -> None:
        """`super().__init__(...)` reaching a torch class: a layer base builds its spec."""
        for q in cls.torch_bases():
            canon = self.project.canonical(q)
            rule = REGISTRY.layer(canon)
            if rule is not None and canon not in ("torch.nn.Module",):
                m = self.build_layer(canon, rule, args, kwargs, frame, node)
                if isinstance(m, ModuleV):
                    obj.attrs["__layer__"] = m
                    if m.children:
                        for cname, child in m.children:
                            obj.attrs.setdefault(cname, child)
                return

    def call_method(self, ref: MethodRef, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST,
                    arg_nodes: list[ast.AST]) -> Value:
        target = ref.self_v
        if isinstance(target, TensorV) and ref.name in ("tolist", "item", "diff"):
            known = constvals.to_python(target) if ref.name != "diff" else constvals.diff_values(target)
            if known is not MISSING:
                return known
        if isinstance(target, TensorV):
            return self.call_rule_at(f"torch.Tensor.{ref.name}", (target,) + args, kwargs, frame, node, ref.name, arg_nodes, method=True)
        if isinstance(target, SuperV):
            # super().__init__ / super().forward reaching a torch base class.
            q, _, meth = ref.name.rpartition(".")
            if q == "dataclass" and meth == "__init__":
                base = next(c for c in target.cls.mro()[1:] if c.is_dataclass)
                if isinstance(target.self_v, ObjectV):
                    self.init_dataclass_fields(target.self_v, base, args, kwargs)
                return NONE
            if meth == "__init__":
                if isinstance(target.self_v, ObjectV):
                    self.torch_base_init(target.self_v, target.cls, args, kwargs, frame, node)
                return NONE
            if meth == "forward" and isinstance(target.self_v, ObjectV):
                layer = target.self_v.attrs.get("__layer__")
                if isinstance(layer, ModuleV):
                    return self.call_module(layer, args, kwargs, frame, node, arg_nodes)
            return pybuiltins.module_method(self, target.self_v, meth, args, kwargs, frame, node)
        if isinstance(target, (ObjectV, ModuleV)):
            return pybuiltins.module_method(self, target, ref.name, args, kwargs, frame, node)
        return pybuiltins.value_method(self, target, ref.name, args, kwargs, frame, node)

    def call_module(self, m: Value, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST,
                    arg_nodes: list[ast.AST] | None = None) -> Value:
        arg_nodes = arg_nodes or []
        if isinstance(m, ObjectV):
            fwd = m.cls.lookup("forward")
            if isinstance(fwd, FunctionV):
                result = self.call_function(fwd, (m,) + args, kwargs, frame, node)
            elif isinstance(m.attrs.get("__layer__"), ModuleV):
                result = self.call_module(m.attrs["__layer__"], args, kwargs, frame, node, arg_nodes)
            else:
                result = UNKNOWN
            m.seen.append((args, result))
            if isinstance(fwd, FunctionV):
                self.rec.runs.append(ModelRun(m.cls.name, m.cls.path, self.project.span_of_class(m.cls), args, result, m))
            self.record_call(frame, node, result, m.name or m.cls.name, m)
            return result
        assert isinstance(m, ModuleV)
        if m.children is not None and m.kind in ("torch.nn.Sequential",):
            x: Value = args[0] if args else UNKNOWN
            for _, child in m.children:
                x = self.call_module(child, (x,), {}, frame, node, arg_nodes[:1]) if is_module_value(child) else UNKNOWN
            m.seen.append((args, x))
            return x
        rule = m.rule
        if not isinstance(rule, Layer):
            return self.unknown_call(m, frame, node, list(args))
        ctx = RuleContext(self, frame, node, m, arg_nodes)
        try:
            ba = bind_values(rule.forward_signature(), args, kwargs)
        except TypeError:
            return UNKNOWN
        try:
            result = rule.forward(ctx, m, *ba.args, **ba.kwargs)
        except ShapeError as e:
            x0 = next((a for a in args if isinstance(a, TensorV)), None)
            data = dict(e.data or {})
            if x0 is not None and x0.shape is not None:
                data.setdefault("input_shape", tuple(x0.shape))  # for fixes that reshape the input
            data.setdefault("layer_args", {k: as_int(v) for k, v in m.args.items() if as_int(v) is not None})
            data.setdefault("layer", m.label())
            data.setdefault("layer_kind", m.kind)
            if m.def_path is not None and "arg_spans" in m.state:
                data.setdefault("arg_spans", dict(m.state["arg_spans"]))  # where its arguments are written
                data.setdefault("def_path", m.def_path)
            self.report(frame, node, e.code, e.message, module=m, fixes=self.fixes_for(e, m, frame), data=data,
                        producer=x0)
            result = failed_result(args)
        except NotUnderstood as e:
            result = UNKNOWN if not any(isinstance(a, TensorV) for a in args) else TensorV(None)
            if not any(is_vague(a) for a in args):
                self.report_not_understood(frame, node, m.short, str(e))
        except (BudgetExhausted, RecursionError):
            raise
        except Exception as e:  # a bug in a rule must not take the analysis down
            result = TensorV(None, None)
            self.report_not_understood(frame, node, m.short, f"internal error: {type(e).__name__}: {e}")
        m.seen.append((args, result))
        result = self.stamp(result, m.label(), args, frame, node)
        self.record_call(frame, node, result, m.label(), m)
        return result

    def fixes_for(self, e: ShapeError, m: ModuleV, frame: Frame) -> list[Fix]:
        """Turn a rule's fix data (which argument, what value) into a source edit."""
        param, needed = e.data.get("param"), e.data.get("needed")
        spans = m.state.get("arg_spans", {})
        if param is None or needed is None or param not in spans or m.def_path is None:
            return []
        text = e.data.get("needed_text") or str(needed)
        return [Fix(f"Set {param} of {m.label()} to {text}", (Edit(spans[param], text),))]

    def report_not_understood(self, frame: Frame, node: ast.AST, name: str, why: str) -> None:
        key = (frame.path, name)
        if key in self.rec.unknown_names:
            return
        self.rec.unknown_names.add(key)
        self.report(frame, node, codes.UNKNOWN_CALL, f"ShapeLens could not follow `{name}` here ({why}): shapes after it are unknown")

    def record_call(self, frame: Frame, node: ast.AST, result: Value, label: str, module: Value | None) -> None:
        if isinstance(result, TensorV):
            self.rec.call(frame.path, frame.pf.span(node), label, result, module)
        elif isinstance(result, TupleV):
            for item in result.items:
                if isinstance(item, TensorV):
                    self.rec.call(frame.path, frame.pf.span(node), label, item, module)
                    break

    def stamp(self, result: Value, label: str, args: tuple[Value, ...], frame: Frame, node: ast.AST) -> Value:
        """Attach provenance (for hover's derivation chain) to fresh tensor results."""
        parent = next((a for a in args if isinstance(a, TensorV)), None)
        if parent is None:
            parent = next((i for a in args if isinstance(a, (ListV, TupleV)) for i in a.items if isinstance(i, TensorV)), None)

        def one(t: Value) -> Value:
            if not isinstance(t, TensorV):
                return t
            if any(t is a for a in args) or t.prov is not None:
                t = TensorV(t.shape, t.dtype, None, t.contiguous, t.meta)
            t.prov = Prov(label, parent, frame.path, frame.pf.span(node))
            return t

        if isinstance(result, TensorV):
            return one(result)
        if isinstance(result, TupleV) and any(isinstance(i, TensorV) for i in result.items):
            items = tuple(
                one(i) if isinstance(i, TensorV)
                else TupleV(tuple(one(j) for j in i.items), i.is_size, i.names) if isinstance(i, TupleV)
                else i
                for i in result.items
            )
            return TupleV(items, result.is_size, result.names)
        return result

    # torch functions and layers ---------------------------------------------------------------
    def call_torch(self, qualname: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST,
                   arg_nodes: list[ast.AST]) -> Value:
        canon = self.project.canonical(qualname)
        rule = REGISTRY.layer(canon)
        if rule is not None:
            return self.build_layer(canon, rule, args, kwargs, frame, node, arg_nodes)
        if REGISTRY.function(canon) is not None:
            return self.call_rule_at(canon, args, kwargs, frame, node, canon.rsplit(".", 1)[-1], arg_nodes)
        if canon == "torch.diff" and len(args) == 1 and isinstance(args[0], TensorV):
            known = constvals.diff_values(args[0])
            if known is not MISSING:
                return known
        special = pybuiltins.call_library(self, canon, args, kwargs, frame, node)
        if special is not MISSING:
            return special
        if canon.startswith(("torch.", "einops.")) or any(isinstance(a, TensorV) for a in args):
            key = (frame.path, canon)
            if any(isinstance(a, TensorV) for a in args) or canon.startswith("torch."):
                if key not in self.rec.unknown_names and (any(isinstance(a, TensorV) for a in list(args) + list(kwargs.values()))):
                    self.rec.unknown_names.add(key)
                    self.report(frame, node, codes.UNKNOWN_CALL,
                                f"ShapeLens does not know `{canon}`: shapes that depend on its result are unknown")
        return UNKNOWN

    def build_layer(self, canon: str, rule: Layer, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame,
                    node: ast.AST, arg_nodes: list[ast.AST] | None = None) -> Value:
        if any(is_open(a) for a in list(args) + list(kwargs.values())):
            return UNKNOWN  # a container of layers whose number is not known
        sig = rule._signature()
        try:
            ba = bind_values(sig, args, kwargs)
        except TypeError as e:
            self.report_not_understood(frame, node, canon.rsplit(".", 1)[-1], f"arguments do not match: {e}")
            return ModuleV(canon, {}, None, def_path=frame.path, def_span=frame.pf.span(node))
        m = ModuleV(canon, dict(ba.arguments), rule, def_path=frame.path, def_span=frame.pf.span(node))
        # Spans of the arguments as written, for quick fixes that edit them.
        if isinstance(node, ast.Call):
            spans: dict[str, Span] = {}
            names = list(sig.parameters)
            for i, a in enumerate(node.args):
                if isinstance(a, ast.Starred):
                    break
                if i < len(names):
                    spans[names[i]] = frame.pf.span(a)
            for kw in node.keywords:
                if kw.arg:
                    spans[kw.arg] = frame.pf.span(kw.value)
            m.state["arg_spans"] = spans
            m.state["arg_texts"] = {k: frame.pf.text(sp) for k, sp in spans.items()}
        ctx = RuleContext(self, frame, node, m, arg_nodes or [])
        try:
            built = rule.build(ctx, *ba.args, **ba.kwargs)
        except ShapeError as e:
            self.report(frame, node, e.code, e.message)
            built = None
        except (BudgetExhausted, RecursionError):
            raise
        except Exception:  # NotUnderstood, or a bug in a rule: keep the arguments as given
            built = None
        if isinstance(built, dict):
            m.args.update(built)
        if "children" in m.state:
            m.children = m.state.pop("children")
        return m

    def call_rule_at(self, name: str, args: tuple[Value, ...], kwargs: dict[str, Value], frame: Frame, node: ast.AST,
                     label: str, arg_nodes: list[ast.AST] | None = None, method: bool = False) -> Value:
        rule = REGISTRY.function(name)
        if any(is_open(a) for a in list(args) + list(kwargs.values())):
            # A list whose length is not known (built by a loop of unknown length) is unknown to rules.
            args = tuple(UNKNOWN if is_open(a) else a for a in args)
            kwargs = {k: UNKNOWN if is_open(v) else v for k, v in kwargs.items()}
        if rule is None:
            if method and name.startswith("torch.Tensor."):
                self.report_not_understood(frame, node, label, "this tensor method is not modelled")
                return UNKNOWN
            return self.unknown_call(TorchRef(name), frame, node, list(args))
        ctx = RuleContext(self, frame, node, None, arg_nodes or [])
        try:
            result = rule(ctx, args, kwargs)
        except ShapeError as e:
            self.report(frame, node, e.code, e.message, data=e.data,
                        producer=next((a for a in args if isinstance(a, TensorV)), None))
            result = failed_result(args)
        except NotUnderstood as e:
            if any(isinstance(a, TensorV) for a in list(args) + list(kwargs.values())) and not any(is_vague(a) for a in args):
                self.report_not_understood(frame, node, label, str(e))
            return UNKNOWN
        except (BudgetExhausted, RecursionError):
            raise
        except Exception as e:  # a bug in a rule must not take the analysis down
            self.report_not_understood(frame, node, label, f"internal error: {type(e).__name__}: {e}")
            return UNKNOWN
        result = self.stamp(result, label, args, frame, node)
        if name in ("torch.arange", "torch.linspace"):
            result = constvals.arange_values(args, kwargs, result) if name == "torch.arange" else \
                constvals.linspace_values(args, kwargs, result)
        elif name in ("torch.tensor", "torch.as_tensor") and args:
            result = constvals.tensor_values(args[0], result)
        else:
            result = constvals.op_values(name, args, result, kwargs)
        if isinstance(node, ast.Call):
            self.record_call(frame, node, result, label, None)
        return result

    def call_rule(self, name: str, args: tuple[Value, ...], kwargs: dict[str, Value]) -> Value:
        """Run a rule outside any source position (e.g. unpacking a tensor); errors → unknown."""
        rule = REGISTRY.function(name)
        if rule is None:
            return UNKNOWN
        ctx = _SilentContext(self)
        try:
            result = rule(ctx, args, kwargs)
        except (BudgetExhausted, RecursionError):
            raise
        except Exception:
            return UNKNOWN
        return constvals.op_values(name, args, result, kwargs)

    # ------------------------------------------------------------------------------------------
    # iteration and truth
    # ------------------------------------------------------------------------------------------
    def iterate(self, v: Value) -> list[Value] | None:
        if is_open(v):
            return None
        if isinstance(v, (TupleV, ListV)):
            return list(v.items)
        if isinstance(v, ObjectV) and container_children(v) is not None:
            v = v.attrs["__layer__"]
        if isinstance(v, DictV):
            return [const_of(k) for k in v.items]
        if isinstance(v, RangeV):
            a, b, s = v.start.value, v.stop.value, v.step.value
            if a is None or b is None or s is None or s == 0:
                return None
            r = range(a, b, s)
            if len(r) > MAX_UNROLL:
                return None
            return [IntV.of(i) for i in r]
        if isinstance(v, ModuleV) and v.children is not None:
            if v.kind == "torch.nn.ModuleDict":
                return [Const(n) for n, _ in v.children]
            return [c for _, c in v.children]
        if isinstance(v, TensorV) and v.shape:
            n = v.shape[0].value
            if n is not None and n <= 64:
                return [self.call_rule("torch.Tensor.__getitem__", (v, IntV.of(i)), {}) for i in range(n)]
            return None
        if isinstance(v, Const) and isinstance(v.value, str):
            return [Const(c) for c in v.value]
        return None

    def truth(self, v: Value) -> bool | None:
        if isinstance(v, Const):
            return bool(v.value)
        if isinstance(v, IntV):
            r = eq(v.dim, 0)
            return None if r is None else not r
        if isinstance(v, (TupleV, ListV)):
            return bool(v.items)
        if isinstance(v, DictV):
            return bool(v.items)
        if isinstance(v, (ModuleV, ObjectV, FunctionV, ClassV, TorchRef, BoundMethod, ModuleRef, PartialV, BuiltinFn, MethodRef)):
            return True
        return None


class _SilentContext:
    module = None

    def __init__(self, interp: Interpreter):
        self.interp = interp

    def fail(self, code, message, *, data=None):
        raise ShapeError(code, message, data=data)

    def warn(self, code, message, *, data=None):
        pass

    def require_eq(self, actual, expected, code, message):
        if eq(actual, expected) is False:
            raise ShapeError(code, message())

    def unknown_dim(self, why=""):
        return Dim.unknown(why)

    def fresh_symbol(self, hint):
        return self.interp.fresh_symbol(hint)

    def arg_text(self, index):
        return "input"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def failed_result(args: tuple[Value, ...]) -> Value:
    """What an op that torch would reject yields: nothing known, so nothing downstream is guessed."""
    return TensorV(None, None)


def bind_arguments(fn: FunctionV, args: tuple[Value, ...], kwargs: dict[str, Value]) -> dict[str, Value] | None:
    a = fn.node.args
    positional = [x.arg for x in a.posonlyargs + a.args]
    out: dict[str, Value] = {}
    for name, v in zip(positional, args):
        out[name] = v
    extra = list(args[len(positional):])
    if extra:
        if a.vararg is None:
            extra = []
        else:
            out[a.vararg.arg] = TupleV(tuple(extra))
    elif a.vararg is not None:
        out[a.vararg.arg] = TupleV(())
    kw_rest: dict[str, Value] = {}
    kwonly = [x.arg for x in a.kwonlyargs]
    for k, v in kwargs.items():
        if k in positional[: len(args)]:
            continue
        if k in positional or k in kwonly:
            out[k] = v
        else:
            kw_rest[k] = v
    if a.kwarg is not None:
        d = DictV()
        d.items.update(kw_rest)
        out[a.kwarg.arg] = d
    for name in positional + kwonly:
        if name not in out:
            out[name] = fn.defaults.get(name, UNKNOWN)
    return out


def dataclass_fields(cls: ClassV) -> list[tuple[str, Value | None]]:
    out: list[tuple[str, Value | None]] = []
    for c in reversed(cls.mro()):
        if c.node is None:
            continue
        for stmt in c.node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                default = c.namespace.get(name) if stmt.value is not None else None
                out = [(n, d) for n, d in out if n != name] + [(name, default)]
    return out


def slice_consts(s: SliceV) -> slice | None:
    vals = []
    for v in (s.start, s.stop, s.step):
        c = as_const(v)
        if c is MISSING or not (c is None or isinstance(c, int)):
            return None
        vals.append(c)
    return slice(*vals)


def join(a: Value, b: Value) -> Value:
    """The least precise value covering both: equal parts kept, differing sizes unknown."""
    if a is b:
        return a
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        dtype = a.dtype if a.dtype == b.dtype else None
        if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
            return TensorV(None, dtype)
        dims = tuple(x if eq(x, y) is True else Dim.unknown("differs between branches") for x, y in zip(a.shape, b.shape))
        return TensorV(dims, dtype, a.prov if dims == a.shape else None, a.contiguous and b.contiguous)
    if isinstance(a, IntV) and isinstance(b, IntV):
        return a if eq(a.dim, b.dim) is True else IntV(Dim.unknown("differs between branches"))
    if isinstance(a, Const) and isinstance(b, Const):
        return a if type(a.value) is type(b.value) and a.value == b.value else UNKNOWN
    if isinstance(a, TupleV) and isinstance(b, TupleV) and len(a.items) == len(b.items):
        return TupleV(tuple(join(x, y) for x, y in zip(a.items, b.items)), a.is_size and b.is_size)
    if isinstance(a, ListV) and isinstance(b, ListV) and len(a.items) == len(b.items):
        return ListV([join(x, y) for x, y in zip(a.items, b.items)])
    if isinstance(a, DictV) and isinstance(b, DictV) and a.items.keys() == b.items.keys():
        d = DictV()
        d.items = {k: join(a.items[k], b.items[k]) for k in a.items}
        return d
    if type(a) is type(b) and isinstance(a, (ModuleV, ObjectV, FunctionV, ClassV, TorchRef)):
        return a if a is b else UNKNOWN
    return UNKNOWN


def join_envs(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for k in a.keys() | b.keys():
        if k in a and k in b:
            out[k] = join(a[k], b[k])
        else:
            out[k] = a.get(k) or b.get(k)  # type: ignore[assignment]
    return out


BINOP_DUNDER = {
    "Add": "__add__", "Sub": "__sub__", "Mult": "__mul__", "Div": "__truediv__", "FloorDiv": "__floordiv__",
    "Mod": "__mod__", "Pow": "__pow__", "MatMult": "__matmul__", "BitAnd": "__and__", "BitOr": "__or__",
    "BitXor": "__xor__", "LShift": "__lshift__", "RShift": "__rshift__",
}
BINOP_SYMBOL = {
    "Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**", "MatMult": "@",
    "BitAnd": "&", "BitOr": "|", "BitXor": "^",
}
COMPARE_DUNDER = {"Eq": "__eq__", "NotEq": "__ne__", "Lt": "__lt__", "LtE": "__le__", "Gt": "__gt__", "GtE": "__ge__"}


def python_binop(opname: str, left: Value, right: Value) -> Value:
    """Arithmetic on integers (possibly symbolic) and constants, as Python would do it."""
    ld, rd = as_dim(left) if isinstance(left, IntV) else None, as_dim(right) if isinstance(right, IntV) else None
    if ld is not None and rd is not None:
        if opname == "Add":
            return IntV(ld + rd)
        if opname == "Sub":
            return IntV(ld - rd)
        if opname == "Mult":
            return IntV(ld * rd)
        if opname == "FloorDiv":
            if rd.value == 0:
                return UNKNOWN
            return IntV(floordiv(ld, rd))
        if opname == "Mod":
            if rd.value == 0:
                return UNKNOWN
            return IntV(ld % rd)
        if opname == "Div":
            if rd.value is not None and rd.value != 0:
                if ld.value is not None:
                    return Const(ld.value / rd.value)
                q = ld.exact_div(rd)
                if q is not None:
                    return FracV(q, 1)
                if rd.value > 0:
                    return FracV(ld, rd.value)
            return UNKNOWN
        if opname == "Pow" and rd.value is not None and 0 <= rd.value <= 16:
            return IntV(ld ** rd.value)
        if ld.value is not None and rd.value is not None:
            try:
                return const_of(BIN_PY[opname](ld.value, rd.value))
            except Exception:
                return UNKNOWN
        return UNKNOWN
    # FracV: keep exact rationals built from ints.
    if isinstance(left, FracV) or isinstance(right, FracV):
        return frac_binop(opname, left, right)
    # Symbolic int times an exact float (H * 0.5) → rational.
    if ld is not None and ld.value is None and isinstance(right, Const) and isinstance(right.value, float):
        fr = Fraction(right.value).limit_denominator(1 << 20)
        if opname == "Mult" and Fraction(right.value) == fr:
            return FracV(ld * fr.numerator, fr.denominator)
        if opname == "Div" and right.value:
            fr = 1 / Fraction(right.value)
            return FracV(ld * fr.numerator, fr.denominator)
        return UNKNOWN
    if rd is not None and rd.value is None and isinstance(left, Const) and isinstance(left.value, float) and opname == "Mult":
        return python_binop(opname, right, left)
    lc, rc = as_const(left), as_const(right)
    if lc is MISSING or rc is MISSING:
        if isinstance(left, (TupleV, ListV)) and isinstance(right, (TupleV, ListV)) and opname == "Add":
            items = list(left.items) + list(right.items)
            return TupleV(tuple(items), left.is_size if isinstance(left, TupleV) else False) if isinstance(left, TupleV) else ListV(items)
        if isinstance(left, (TupleV, ListV)) and opname == "Mult" and as_int(right) is not None:
            k = as_int(right) or 0
            items = list(left.items) * max(k, 0)
            return TupleV(tuple(items)) if isinstance(left, TupleV) else ListV(items)
        return UNKNOWN
    try:
        return const_of(BIN_PY[opname](lc, rc))
    except Exception:
        return UNKNOWN


def frac_binop(opname: str, left: Value, right: Value) -> Value:
    def as_pair(v: Value) -> tuple[Dim, int] | None:
        if isinstance(v, FracV):
            return v.num, v.den
        if isinstance(v, IntV):
            return v.dim, 1
        c = as_const(v)
        if isinstance(c, float):
            fr = Fraction(c)
            if fr.denominator <= (1 << 20):
                return Dim.const(fr.numerator), fr.denominator
        return None

    a, b = as_pair(left), as_pair(right)
    if a is None or b is None:
        return UNKNOWN
    (an, ad), (bn, bd) = a, b
    if opname == "Mult" and (an.value is not None or bn.value is not None):
        return simplify_frac(an * bn, ad * bd)
    if opname in ("Add", "Sub"):
        num = an * bd + bn * ad if opname == "Add" else an * bd - bn * ad
        return simplify_frac(num, ad * bd)
    if opname == "Div" and bn.value is not None and bn.value > 0:
        return simplify_frac(an * bd, ad * bn.value)
    if opname == "FloorDiv" and bn.value is not None and bn.value > 0:
        return IntV(floordiv(an * bd, Dim.const(ad * bn.value)))
    return UNKNOWN


def simplify_frac(num: Dim, den: int) -> Value:
    if den == 1:
        return IntV(num)
    if num.value is not None:
        return Const(num.value / den)
    q = num.exact_div(den)
    if q is not None:
        return FracV(q, 1)
    return FracV(num, den)


BIN_PY: dict[str, Callable[[Any, Any], Any]] = {
    "Add": operator.add, "Sub": operator.sub, "Mult": operator.mul, "Div": operator.truediv,
    "FloorDiv": operator.floordiv, "Mod": operator.mod, "Pow": operator.pow, "BitAnd": operator.and_,
    "BitOr": operator.or_, "BitXor": operator.xor, "LShift": operator.lshift, "RShift": operator.rshift,
    "MatMult": operator.matmul,
}


def compare(op: ast.cmpop, left: Value, right: Value) -> Value:
    name = type(op).__name__
    if name in ("Is", "IsNot"):
        same: bool | None
        if isinstance(left, Const) and isinstance(right, Const):
            same = left.value is right.value or (left.value is None and right.value is None)
        elif (isinstance(left, Const) and left.value is None) or (isinstance(right, Const) and right.value is None):
            other = right if isinstance(left, Const) and left.value is None else left
            if isinstance(other, (UnknownV,)):
                return UNKNOWN
            same = isinstance(other, Const) and other.value is None
        else:
            same = True if left is right else None
        if same is None:
            return UNKNOWN
        return Const(same if name == "Is" else not same)
    if name in ("In", "NotIn"):
        if isinstance(right, (TupleV, ListV)):
            lc = as_const(left)
            if lc is MISSING:
                return UNKNOWN
            consts = [as_const(i) for i in right.items]
            if any(c is MISSING for c in consts):
                return UNKNOWN
            r = lc in consts
            return Const(r if name == "In" else not r)
        if isinstance(right, DictV):
            lc = as_const(left)
            if lc is MISSING:
                return UNKNOWN
            r = lc in right.items
            return Const(r if name == "In" else not r)
        return UNKNOWN
    ld, rd = as_dim(left), as_dim(right)
    if ld is not None and rd is not None:
        f = {"Eq": eq, "NotEq": ne, "Lt": lt, "LtE": le, "Gt": gt, "GtE": ge}[name]
        r = f(ld, rd)
        return UNKNOWN if r is None else Const(r)
    if isinstance(left, TupleV) and isinstance(right, TupleV) and name in ("Eq", "NotEq"):
        if len(left.items) != len(right.items):
            return Const(name == "NotEq")
        results = [compare(ast.Eq(), x, y) for x, y in zip(left.items, right.items)]
        if any(isinstance(r, Const) and r.value is False for r in results):
            return Const(name == "NotEq")
        if all(isinstance(r, Const) and r.value is True for r in results):
            return Const(name == "Eq")
        return UNKNOWN
    lc, rc = as_const(left), as_const(right)
    if lc is MISSING or rc is MISSING:
        return UNKNOWN
    try:
        return Const({"Eq": operator.eq, "NotEq": operator.ne, "Lt": operator.lt, "LtE": operator.le,
                      "Gt": operator.gt, "GtE": operator.ge}[name](lc, rc))
    except Exception:
        return UNKNOWN


TENSOR_PROPERTIES = {"T", "mT", "H", "mH"}


def tensor_attr(interp: Interpreter, t: TensorV, name: str, frame: Frame, node: ast.AST | None) -> Value:
    if name == "shape":
        return size_value(t.shape) if t.shape is not None else UNKNOWN
    if name == "ndim":
        return IntV.of(len(t.shape)) if t.shape is not None else UNKNOWN
    if name == "dtype":
        return TorchRef(f"torch.{t.dtype}") if t.dtype else UNKNOWN
    if name in ("data", "grad"):
        return TensorV(t.shape, t.dtype)
    if name in ("real", "imag"):
        return TensorV(t.shape, None)
    if name == "is_cuda" or name == "requires_grad" or name == "device":
        return UNKNOWN
    if name in TENSOR_PROPERTIES:
        if node is not None:
            return interp.call_rule_at(f"torch.Tensor.{name}", (t,), {}, frame, node, name)
        return interp.call_rule(f"torch.Tensor.{name}", (t,), {})
    return MethodRef(t, name)


CONV_TUPLE_ATTRS = ("kernel_size", "stride", "padding", "dilation", "output_padding")


def conv_rank(kind: str) -> int:
    """2 for torch.nn.Conv2d / ConvTranspose2d (and the lazy ones), 0 for anything else."""
    short = kind.rsplit(".", 1)[-1].replace("Lazy", "")
    if short in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
        return int(short[-2])
    return 0


def module_attr(interp: Interpreter, m: ModuleV, name: str) -> Value:
    attrs = m.state.get("attrs", {})
    if name in attrs:
        return attrs[name]
    if m.children is not None:
        for n, c in m.children:
            if n == name:
                return c
    rule = m.rule
    if isinstance(rule, Layer):
        # Parameters before constructor arguments: `linear.bias` is a tensor, not `bias=True`.
        try:
            params = rule.params(m)
        except Exception:
            params = None
        if params and name in params:
            return TensorV(params[name], "float32")
        if params is not None and name in ("weight", "bias"):
            return NONE  # registered as None (bias=False, affine=False)
    if name in m.args:
        n = conv_rank(m.kind)
        if n and name in CONV_TUPLE_ATTRS and as_dim(m.args[name]) is not None:
            return TupleV((m.args[name],) * n)  # torch keeps these as tuples: conv.stride == (2, 2)
        return m.args[name]
    if isinstance(rule, Layer):
        alias = getattr(rule, "attr_aliases", {}).get(name)
        if alias is not None:
            return m.args.get(alias, UNKNOWN)
    if name == "training":
        return Const(m.state["training"]) if "training" in m.state else FALSE
    return MethodRef(m, name)


# A list or dict whose contents are not all known (items added by a loop that ran an unknown
# number of times, under a key nobody knows): iterating, measuring or indexing it is unknown.
def is_vague(v: Value) -> bool:
    """An operand already unknown (a tensor of unknown rank, or nothing known): a rule that
    cannot follow it is not the cause, and saying so again at every later layer is noise."""
    return isinstance(v, UnknownV) or (isinstance(v, TensorV) and v.shape is None)


def mark_open(v: Value) -> None:
    v.open_ended = True  # type: ignore[attr-defined]


def is_open(v: Value) -> bool:
    return isinstance(v, (ListV, DictV)) and getattr(v, "open_ended", False)


def mutable_boxes(env: dict[str, Value]) -> list[Value]:
    """Lists and dicts reachable from the locals (and one level inside them)."""
    out: list[Value] = []
    seen: set[int] = set()

    def add(v: Value, depth: int) -> None:
        if isinstance(v, (ListV, DictV)) and id(v) not in seen:
            seen.add(id(v))
            out.append(v)
        if depth and isinstance(v, (ListV, TupleV)):
            for i in v.items:
                add(i, depth - 1)
        elif depth and isinstance(v, DictV):
            for i in v.items.values():
                add(i, depth - 1)

    for v in env.values():
        add(v, 1)
    return out


def box_contents(v: Value) -> tuple[Any, bool]:
    items = list(v.items) if isinstance(v, ListV) else dict(v.items)  # type: ignore[attr-defined]
    return items, is_open(v)


def set_box_contents(v: Value, content: tuple[Any, bool]) -> None:
    items, open_ = content
    if isinstance(v, ListV):
        v.items[:] = items
    else:
        v.items.clear()  # type: ignore[attr-defined]
        v.items.update(items)  # type: ignore[attr-defined]
    v.open_ended = open_  # type: ignore[attr-defined]


def join_box(v: Value, a: tuple[Any, bool], b: tuple[Any, bool]) -> None:
    """After two alternatives: what both hold is kept; differing lengths or keys leave it open."""
    (ia, oa), (ib, ob) = a, b
    if isinstance(v, ListV):
        if len(ia) == len(ib):
            v.items[:] = [x if x is y else join(x, y) for x, y in zip(ia, ib)]
            v.open_ended = oa or ob  # type: ignore[attr-defined]
        else:
            v.items[:] = ib if len(ib) < len(ia) else ia
            mark_open(v)
        return
    keys = ia.keys() & ib.keys()
    v.items.clear()  # type: ignore[attr-defined]
    v.items.update({k: ia[k] if ia[k] is ib[k] else join(ia[k], ib[k]) for k in keys})  # type: ignore[attr-defined]
    v.open_ended = oa or ob or ia.keys() != ib.keys()  # type: ignore[attr-defined]


def container_children(obj: ObjectV) -> list[tuple[str, Value]] | None:
    """The ordered submodules of a user subclass of a torch container (its `__layer__`)."""
    layer = obj.attrs.get("__layer__")
    if isinstance(layer, ModuleV) and layer.children is not None:
        return layer.children
    return None
