"""Keep only the safe part of a Python file: imports, definitions and constants.

The worker must build a user's model without running the user's script code (training loops,
``os.remove``, ``while True``). :func:`safe_module_source` rewrites a file so that only

- imports (also inside ``try:`` blocks, with their ``except ImportError`` fallbacks),
- class and function definitions (decorators and bases as written; class bodies whole),
- module-level assignments and annotated assignments of *constant expressions*
  (see ``_Filter.is_const``), ``__all__`` included,
- ``if TYPE_CHECKING:`` blocks (imports only) and ``if`` blocks whose test is itself a constant
  expression (e.g. ``sys.version_info >= (3, 8)``; bodies filtered the same way; never
  ``if __name__ == "__main__":``)

survive. Every other statement is replaced by ``pass`` on its first line and blank lines for
the rest, so the result has exactly as many lines as the input and every kept statement sits
on its original line: tracebacks and line traces map 1:1 to the user's file.

Pure Python; no torch.
"""

from __future__ import annotations

import ast
import re

__all__ = ["LoadError", "safe_module_source"]


class LoadError(Exception):
    """The file cannot be loaded safely (for instance it does not parse)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# Calls that cannot have effects when their arguments are constants. Qualified names after
# import-alias resolution; a trailing ".*" admits every attribute of that module.
_SAFE_CALLS = frozenset(
    {
        "dict", "tuple", "list", "frozenset", "set", "int", "float", "str", "bool", "complex",
        "bytes", "slice", "object",
        "collections.namedtuple", "typing.NamedTuple", "typing.TypedDict",
        "typing.TypeVar", "typing.NewType", "functools.partial", "dataclasses.field",
    }
)
_SAFE_CALL_MODULES = ("typing.", "typing_extensions.", "math.")

# Builtin names a constant may refer to without them having been bound in the file.
_BUILTIN_NAMES = frozenset(
    {
        "int", "float", "str", "bool", "bytes", "complex", "object", "tuple", "list", "dict",
        "set", "frozenset", "type", "slice", "Ellipsis", "NotImplemented", "len", "range",
        "Exception", "ValueError", "TypeError", "ImportError", "ModuleNotFoundError",
    }
)

_LINE_SPLIT = re.compile(r"(?<=\n)")


def safe_module_source(source: str) -> str:
    """Return ``source`` reduced to imports, definitions and constants, line for line.

    The result always parses and has the same number of lines as ``source`` (newlines are
    normalised to ``\\n``). Raises :class:`LoadError` when ``source`` itself does not parse.
    """
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):  # an editor's BOM; Python's own decoder drops it too
        text = text[1:]
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise LoadError(f"syntax error: {exc.msg}", exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. null bytes
        raise LoadError(f"cannot parse file: {exc}") from None

    lines = _LINE_SPLIT.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    filt = _Filter(lines)
    filt.block(tree.body, top_level=True)
    result = filt.render()
    if _parses(result) and result.count("\n") == text.count("\n"):
        return result
    # Defensive: an exotic layout (several statements joined by ';' across a multi-line
    # statement) defeated the span rewrite. Fall back to whole-line imports only.
    result = _imports_only(tree, lines)
    if _parses(result):
        return result
    return "\n" * text.count("\n")


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _imports_only(tree: ast.Module, lines: list[str]) -> str:
    out = ["\n" if ln.endswith("\n") else "" for ln in lines]
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and stmt.col_offset == 0:
            first, last = stmt.lineno - 1, stmt.end_lineno - 1
            seg = lines[first : last + 1]
            # Only when the import owns its lines outright.
            if ";" not in "".join(seg):
                out[first : last + 1] = seg
    return "".join(out)


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Filter:
    """Walks statements, records which source spans to replace by ``pass``."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.known: set[str] = set()  # names bound by kept statements
        self.aliases: dict[str, str] = {}  # local name -> qualified name (from imports)
        self.drops: list[ast.stmt] = []

    # ----- decisions -------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], top_level: bool = False) -> None:
        for stmt in stmts:
            self.statement(stmt, top_level)

    def statement(self, stmt: ast.stmt, top_level: bool) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self._bind_import(stmt)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.known.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            if self._assign_targets_ok(stmt.targets) and self.is_const(stmt.value):
                for t in stmt.targets:
                    self._bind_target(t)
            else:
                self.drops.append(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            ok = isinstance(stmt.target, ast.Name) and (
                stmt.value is None or self.is_const(stmt.value)
            ) and self.is_const(stmt.annotation, lenient=True)
            if ok:
                if stmt.value is not None:
                    self.known.add(stmt.target.id)
            else:
                self.drops.append(stmt)
        elif isinstance(stmt, ast.AugAssign):
            if not (
                isinstance(stmt.target, ast.Name)
                and stmt.target.id in self.known
                and self.is_const(stmt.value)
            ):
                self.drops.append(stmt)
        elif isinstance(stmt, ast.Expr):
            # Docstrings and bare constants; never calls.
            if not isinstance(stmt.value, ast.Constant):
                self.drops.append(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._try(stmt)
        elif isinstance(stmt, ast.If):
            self._if(stmt)
        else:
            # Loops, with, calls, del, assert, raise, global, match, ... never run.
            self.drops.append(stmt)

    def _try(self, stmt: ast.Try) -> None:
        # Kept only when its body holds an import (the optional-dependency idiom); each part
        # is filtered with the same rules, so whatever survives is itself safe.
        if not any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body):
            self.drops.append(stmt)
            return
        self.block(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None and not self.is_const(handler.type, lenient=True):
                self.drops.append(stmt)
                return
            if handler.name:
                self.known.add(handler.name)
            self.block(handler.body)
        self.block(stmt.orelse)
        self.block(stmt.finalbody)

    def _if(self, stmt: ast.If) -> None:
        test = stmt.test
        name = _dotted(test)
        if name is not None and (name == "TYPE_CHECKING" or name.endswith(".TYPE_CHECKING")):
            # Evaluates to False at runtime; keep it as written, imports only inside.
            for s in stmt.body:
                if not isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)):
                    self.drops.append(s)
            for s in stmt.orelse:
                self.statement(s, False)
            return
        if self._mentions_dunder_name(test) or not self.is_const(test):
            self.drops.append(stmt)
            return
        self.block(stmt.body)
        self.block(stmt.orelse)

    @staticmethod
    def _mentions_dunder_name(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node))

    def _bind_import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        for alias in stmt.names:
            if isinstance(stmt, ast.Import):
                local = alias.asname or alias.name.split(".")[0]
                self.aliases[local] = alias.name if alias.asname else local
            else:
                if alias.name == "*":
                    continue
                local = alias.asname or alias.name
                mod = stmt.module or ""
                self.aliases[local] = f"{mod}.{alias.name}" if mod else alias.name
            self.known.add(local)

    def _assign_targets_ok(self, targets: list[ast.expr]) -> bool:
        def ok(t: ast.expr) -> bool:
            if isinstance(t, ast.Name):
                return True
            if isinstance(t, ast.Starred):
                return ok(t.value)
            if isinstance(t, (ast.Tuple, ast.List)):
                return all(ok(e) for e in t.elts)
            return False  # attribute / subscript stores mutate other objects

        return all(ok(t) for t in targets)

    def _bind_target(self, t: ast.expr) -> None:
        if isinstance(t, ast.Name):
            self.known.add(t.id)
        elif isinstance(t, ast.Starred):
            self._bind_target(t.value)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self._bind_target(e)

    def qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    def is_const(self, node: ast.expr | None, lenient: bool = False) -> bool:
        """True when evaluating ``node`` has no effect beyond building a value.

        ``lenient`` admits unknown names (annotations and ``except`` types only ever look
        names up).
        """
        if node is None:
            return True
        c = lambda n: self.is_const(n, lenient)  # noqa: E731
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return lenient or node.id in self.known or node.id in _BUILTIN_NAMES
        if isinstance(node, ast.Attribute):
            return c(node.value)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(c(e) for e in node.elts)
        if isinstance(node, ast.Starred):
            return c(node.value)
        if isinstance(node, ast.Dict):
            return all(c(k) for k in node.keys if k is not None) and all(
                c(v) for v in node.values
            )
        if isinstance(node, ast.BinOp):
            # Refuse giant powers / repetitions that would only burn memory.
            if isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int)
                and node.right.value <= 64
            ):
                return False
            return c(node.left) and c(node.right)
        if isinstance(node, ast.UnaryOp):
            return c(node.operand)
        if isinstance(node, ast.BoolOp):
            return all(c(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return c(node.left) and all(c(v) for v in node.comparators)
        if isinstance(node, ast.IfExp):
            return c(node.test) and c(node.body) and c(node.orelse)
        if isinstance(node, ast.Subscript):
            return c(node.value) and c(node.slice)
        if isinstance(node, ast.Slice):
            return c(node.lower) and c(node.upper) and c(node.step)
        if isinstance(node, ast.JoinedStr):
            return all(c(v) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return c(node.value) and c(node.format_spec)
        if isinstance(node, ast.Lambda):
            a = node.args
            return all(c(d) for d in a.defaults) and all(c(d) for d in a.kw_defaults)
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is None:
                return False
            head = name.split(".")[0]
            if head not in self.known and head not in _BUILTIN_NAMES:
                return False
            qual = self.qualify(name)
            if qual not in _SAFE_CALLS and not qual.startswith(_SAFE_CALL_MODULES):
                return False
            return all(c(a) for a in node.args) and all(c(k.value) for k in node.keywords)
        return False

    # ----- rendering -------------------------------------------------------------------
    def render(self) -> str:
        lines = list(self.lines)
        # Work bottom-up so earlier column offsets stay valid on shared lines.
        for stmt in sorted(self.drops, key=lambda s: (_first_line(s), s.col_offset), reverse=True):
            self._replace(lines, stmt)
        return "".join(lines)

    def _replace(self, lines: list[str], stmt: ast.stmt) -> None:
        first = _first_line(stmt) - 1
        first_col = _first_col(stmt)
        last = stmt.end_lineno - 1
        end_col = stmt.end_col_offset
        head_line = lines[first]
        head_b = head_line.encode("utf-8")
        prefix = head_b[:first_col].decode("utf-8", "replace")
        if first == last:
            tail = head_b[end_col:].decode("utf-8", "replace")
            lines[first] = prefix + "pass" + tail
            return
        nl = "\n" if head_line.endswith("\n") else ""
        lines[first] = prefix + "pass" + nl
        for i in range(first + 1, last):
            lines[i] = "\n" if lines[i].endswith("\n") else ""
        last_b = lines[last].encode("utf-8")
        tail = last_b[end_col:].decode("utf-8", "replace")
        if tail.strip().startswith(";"):
            # Another statement follows on the last line: give it something to follow.
            indent = prefix if not prefix.strip() else " " * len(prefix)
            lines[last] = indent + "pass" + tail
        else:  # only whitespace or a comment remains
            lines[last] = "\n" if tail.endswith("\n") else ""


def _first_line(stmt: ast.stmt) -> int:
    decos = getattr(stmt, "decorator_list", None)
    if decos:
        return min(stmt.lineno, *(d.lineno for d in decos))
    return stmt.lineno


def _first_col(stmt: ast.stmt) -> int:
    decos = getattr(stmt, "decorator_list", None)
    if decos:
        # The '@' sits one column before the decorator expression.
        first = min(decos, key=lambda d: d.lineno)
        if first.lineno < stmt.lineno:
            return max(first.col_offset - 1, 0)
    return stmt.col_offset
