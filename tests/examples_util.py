"""Run example files in real torch and record what happened, for tests/test_examples.py.

    python tests/examples_util.py FILE...   →  JSON on stdout: {path: {"error", "shapes"}}

Each file runs as `__main__` (runpy) on CPU with a fixed seed, under sys.settrace limited to
frames of that file. Recorded per file:

* "error": None, or {"type", "message", "line"} where line is the innermost traceback line in
  the example file itself;
* "shapes": {"<line>": {"<name>": [[dims...], ...]}} — the tensor-valued names each statement
  binds (assignment, augmented/annotated assignment, tuple unpacking, for targets, with-as) and
  each function's tensor arguments on its `def` line; a line that runs several times lists every
  distinct shape it bound.

Kept separate from the test so torch is imported once, in one child process.
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import sys
import warnings


def bound_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in bound_names(elt)]
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    return []  # attributes and subscripts bind no name


def statement_targets(source: str) -> tuple[dict[int, list[str]], dict[int, int]]:
    """{first line of statement: names it binds}, and {any line of a simple statement: its first line}."""
    tree = ast.parse(source)
    targets: dict[int, list[str]] = {}
    first_line: dict[int, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Assign):
            names = [n for t in node.targets for n in bound_names(t)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            names = bound_names(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names = bound_names(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            names = [n for item in node.items if item.optional_vars is not None for n in bound_names(item.optional_vars)]
        if names:
            targets.setdefault(node.lineno, []).extend(n for n in names if n not in targets.get(node.lineno, []))
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With,
                                                                ast.AsyncWith, ast.Try, ast.FunctionDef,
                                                                ast.AsyncFunctionDef, ast.ClassDef)):
            for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                first_line.setdefault(ln, node.lineno)
    return targets, first_line


def run_file(path: str) -> dict:
    import torch

    path = os.path.abspath(path)
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    targets, first_line = statement_targets(source)
    shapes: dict[int, dict[str, set]] = {}
    pending: dict[int, int] = {}  # id(frame) -> statement line whose bindings are due

    def record(line: int, name: str, value) -> None:
        if isinstance(value, torch.Tensor):
            shapes.setdefault(line, {}).setdefault(name, set()).add(tuple(value.shape))

    def flush(frame) -> None:
        line = pending.pop(id(frame), None)
        if line is None:
            return
        local = frame.f_locals
        for name in targets.get(line, ()):
            if name in local:
                record(line, name, local[name])

    def local_trace(frame, event, arg):
        if event == "line":
            stmt = first_line.get(frame.f_lineno, frame.f_lineno)
            if pending.get(id(frame)) != stmt:
                flush(frame)
                if stmt in targets:
                    pending[id(frame)] = stmt
        elif event == "exception":
            pending.pop(id(frame), None)  # the statement did not complete: it bound nothing
        elif event == "return":
            flush(frame)
        return local_trace

    def global_trace(frame, event, arg):
        if frame.f_code.co_filename != path:
            return None
        if event == "call" and frame.f_code.co_name not in ("<module>", "<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>"):
            code = frame.f_code
            for name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
                record(code.co_firstlineno, name, frame.f_locals.get(name))
        return local_trace

    torch.manual_seed(0)
    error = None
    old_argv = sys.argv
    sys.argv = [path]
    sys.settrace(global_trace)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import contextlib
            import io
            with contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(path, run_name="__main__")
    except BaseException as e:  # noqa: BLE001 - any failure of the example is data
        tb, line = e.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == path:
                line = tb.tb_lineno
            tb = tb.tb_next
        error = {"type": type(e).__name__, "message": str(e).splitlines()[0] if str(e) else "", "line": line}
    finally:
        sys.settrace(None)
        sys.argv = old_argv
    return {
        "error": error,
        "shapes": {str(ln): {n: sorted(list(s) for s in v) for n, v in names.items()} for ln, names in sorted(shapes.items())},
    }


def main(paths: list[str]) -> None:
    out = {p: run_file(p) for p in paths}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
