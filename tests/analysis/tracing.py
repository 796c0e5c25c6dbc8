"""Ground truth for whole-model tests: run the files for real under sys.settrace and record,
per (file, line), the shapes of tensor-valued names bound by the statement starting on that
line — the `shapelens --shapes` definition (parameters count on their `def` line) — then
compare with what `analyze(...)` reports for the same files, never run.

    fa = check_files(tmp_path, {"model.py": SOURCE})

The main file drives itself (a call site at the bottom, as a user's script would). Every
(file, line, name) torch bound must carry in the engine exactly the same SET of fully concrete
shapes (a block used by several stages sees several), and the engine must report no error.
Names listed in `vague` may be unknown in the engine (a branch it cannot decide) but never a
concrete shape torch did not produce.
"""

from __future__ import annotations

import ast
import os
import runpy
import sys
from typing import Iterable

import torch

from shapelens.analysis.analyze import FileAnalysis, analyze
from shapelens.analysis.project import Project
from shapelens.findings import Severity

Key = tuple[str, int, str]  # (file name relative to the workspace, line, name)


def binding_lines(source: str) -> tuple[dict[int, int], dict[int, set[str]], dict[int, int]]:
    """line → start of the innermost statement holding it; statement start → names it binds;
    first line of a function (decorators included) → its `def` line."""
    tree = ast.parse(source)
    owner: dict[int, int] = {}
    binds: dict[int, set[str]] = {}
    defs: dict[int, int] = {}

    def names(t: ast.expr) -> set[str]:
        if isinstance(t, ast.Name):
            return {t.id}
        if isinstance(t, (ast.Tuple, ast.List)):
            out: set[str] = set()
            for e in t.elts:
                out |= names(e)
            return out
        if isinstance(t, ast.Starred):
            return names(t.value)
        return set()

    def visit(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[min([d.lineno for d in s.decorator_list] + [s.lineno])] = s.lineno
            children = [b for f in ("body", "orelse", "finalbody") for b in getattr(s, f, []) or []]
            children += [b for h in getattr(s, "handlers", []) or [] for b in h.body]
            header_end = (min(b.lineno for b in children) - 1) if children else (s.end_lineno or s.lineno)
            for ln in range(s.lineno, header_end + 1):
                owner[ln] = s.lineno
            targets: set[str] = set()
            if isinstance(s, ast.Assign):
                for t in s.targets:
                    targets |= names(t)
            elif isinstance(s, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
                targets |= names(s.target)
            elif isinstance(s, (ast.With, ast.AsyncWith)):
                for it in s.items:
                    if it.optional_vars is not None:
                        targets |= names(it.optional_vars)
            if targets:
                binds[s.lineno] = targets
            for f in ("body", "orelse", "finalbody"):
                visit(getattr(s, f, []) or [])
            for h in getattr(s, "handlers", []) or []:
                visit(h.body)

    visit(tree.body)
    return owner, binds, defs


def statement_tracer(file_info, record, module_frames: bool = True):
    """A `sys.settrace` hook recording, for frames of files `file_info(path)` describes (with
    `binding_lines`), each name a statement binds (on the statement's first line) and each
    function's arguments (on its `def` line): `record(path, line, name, value)`."""

    def tracer(frame, event, arg):
        path = frame.f_code.co_filename
        fi = file_info(path)
        code = frame.f_code
        is_module = code.co_name == "<module>"
        if fi is None or (code.co_name.startswith("<") and not (module_frames and is_module)):
            return None
        owner, binds, defs = fi
        if not is_module:
            def_line = defs.get(code.co_firstlineno, code.co_firstlineno)
            for a in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
                record(path, def_line, a, frame.f_locals.get(a))
        pending: list[int | None] = [None]

        def flush() -> None:
            stmt = pending[0]
            if stmt is not None and stmt in binds:
                loc = frame.f_locals
                for n in binds[stmt]:
                    if n in loc:
                        record(path, stmt, n, loc[n])

        def local(frame_, event_, arg_):
            if event_ == "line":
                stmt = owner.get(frame_.f_lineno)
                if stmt != pending[0]:
                    flush()
                    pending[0] = stmt
            elif event_ in ("return", "exception"):
                flush()
                pending[0] = None
            return local

        return local

    return tracer


def trace_run(root: str, main: str) -> dict[Key, set[tuple[int, ...]]]:
    """Run `main` (a path under `root`) as __main__, recording tensor bindings in files under root."""
    info: dict[str, tuple | None] = {}
    truth: dict[Key, set[tuple[int, ...]]] = {}
    root = os.path.abspath(root)

    def file_info(path: str):
        if path not in info:
            ok = os.path.abspath(path).startswith(root + os.sep) and os.path.isfile(path)
            info[path] = binding_lines(open(path, encoding="utf-8").read()) if ok else None
        return info[path]

    def record(path: str, line: int, name: str, v) -> None:
        if isinstance(v, torch.Tensor):
            truth.setdefault((os.path.relpath(path, root), line, name), set()).add(tuple(v.shape))

    tracer = statement_tracer(file_info, record)

    before = set(sys.modules)
    sys.path.insert(0, root)
    sys.settrace(tracer)
    try:
        torch.manual_seed(0)
        with torch.no_grad():
            runpy.run_path(main, run_name="__main__")
    finally:
        sys.settrace(None)
        sys.path.remove(root)
        for name in set(sys.modules) - before:  # the workspace's own modules, so tests don't share them
            f = getattr(sys.modules[name], "__file__", None) or ""
            if os.path.abspath(f).startswith(root + os.sep):
                del sys.modules[name]
    return truth


def engine_facts(fa: FileAnalysis, root: str) -> dict[Key, list]:
    out: dict[Key, list] = {}
    for (p, line), names in (fa.all_assigns or {}).items():
        if not os.path.abspath(p).startswith(os.path.abspath(root) + os.sep):
            continue
        for name, vals in names.items():
            out[(os.path.relpath(p, root), line, name)] = [
                None if v.shape is None else tuple(d.value for d in v.shape) for v in vals
            ]
    return out


def write_files(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = os.path.join(str(root), rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def check_files(root, files: dict[str, str], main: str = "model.py", vague: Iterable[str] = (),
                uncalled: bool = False, entries: list | None = None, run: bool = True) -> FileAnalysis:
    """Write `files` under `root`, run `main` for real and abstractly, and compare (see module doc)."""
    root = str(root)
    write_files(root, files)
    path = os.path.join(root, main)
    fa = analyze(path, files[main], project=Project(roots=[root], use_jedi=True), entries=entries,
                 all_files=True, uncalled=uncalled)
    errors = [f"{f.span.line}: {f.code} {f.message}" for f in fa.findings if f.severity == Severity.ERROR]
    assert not errors, errors
    assert fa.complete
    if not run:
        return fa
    truth = trace_run(root, path)
    got = engine_facts(fa, root)
    vague = set(vague)
    problems = []
    for key in sorted(truth):
        want = truth[key]
        facts = got.get(key, [])
        concrete = {g for g in facts if g is not None and all(d is not None for d in g)}
        unclear = [g for g in facts if g is None or any(d is None for d in g)]
        if key[2] in vague:
            if concrete - want:
                problems.append(f"{key}: torch {sorted(want)} but engine says {facts}")
        elif concrete != want or unclear:
            problems.append(f"{key}: torch {sorted(want)} but engine says {facts}")
    assert not problems, "\n".join(problems)
    assert truth, "the real run bound no tensor"
    return fa


def check_model(tmp_path, source: str, **kw) -> FileAnalysis:
    return check_files(tmp_path, {"model.py": source}, **kw)


def shapes_at(fa: FileAnalysis, line_text: str, name: str) -> list:
    """The engine's shapes (strings per dim) for `name` on the line whose text contains `line_text`."""
    for i, text in enumerate(fa.parsed.lines, start=1):
        if line_text in text:
            return [None if v.shape is None else tuple(str(d) for d in v.shape) for v in fa.assigns.get(i, {}).get(name, [])]
    raise AssertionError(f"no line contains {line_text!r}")


def check_symbolic(root, source: str, driver: str, env: dict[str, int], classes: Iterable[str] = ()) -> FileAnalysis:
    """The engine analyses `source` alone (no call site: inputs come from annotations, comments,
    docstrings or usage, so shapes are symbolic); torch runs `source + driver`. Every name torch
    bound in `source`'s lines must have, in the engine, shapes that equal torch's once the symbols
    take the values in `env`. `classes` must have been run from the expected entry kind."""
    from shapelens.dims import Dim

    root = str(root)
    write_files(root, {"model.py": source})
    path = os.path.join(root, "model.py")
    fa = analyze(path, source, project=Project(roots=[root], use_jedi=False), all_files=True)
    errors = [f"{f.span.line}: {f.code} {f.message}" for f in fa.findings if f.severity == Severity.ERROR]
    assert not errors, errors
    write_files(root, {"run.py": source + "\n" + driver})
    truth = trace_run(root, os.path.join(root, "run.py"))
    n_lines = len(source.splitlines())
    subs = {k: Dim.const(v) for k, v in env.items()}
    problems = []
    for (file, line, name), want in sorted(truth.items()):
        if line > n_lines:
            continue
        got = set()
        for v in fa.assigns.get(line, {}).get(name, []):
            got.add(None if v.shape is None else tuple(d.subs(subs).value for d in v.shape))
        if got != want:
            problems.append(f"line {line} {name}: torch {sorted(want)} but engine says {got}")
    assert not problems, "\n".join(problems)
    return fa
