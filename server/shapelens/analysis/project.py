"""The workspace as the interpreter sees it: files (open documents first, then disk), their
parsed trees and module namespaces, and import resolution.

Relative imports and absolute imports of workspace packages are resolved by path; what that
cannot find is asked of jedi, which knows the environment's search paths. torch and other
libraries are never loaded: their names become `TorchRef`s that the rule registry answers.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shapelens.analysis.source import ParsedFile, parse_source
from shapelens.values import UNKNOWN, ClassV, Const, ModuleRef, Span, TorchRef, Value

if TYPE_CHECKING:  # pragma: no cover
    from shapelens.analysis.interpreter import Interpreter

# Libraries whose names are kept symbolic (answered by rules / library helpers, never loaded).
LIBRARY_ROOTS = {
    "torch", "einops", "math", "functools", "collections", "typing", "typing_extensions", "dataclasses", "types",
    "operator", "itertools", "warnings", "logging", "numpy", "argparse", "contextlib", "random", "os", "sys",
    "enum", "abc", "copy", "inspect", "re", "jaxtyping", "torchtyping", "pathlib", "json",
}

MAX_FILE_BYTES = 2_000_000
# Looking for call sites in other files: directories never searched, and how far to look.
SKIP_DIRS = {"venv", "env", "node_modules", "__pycache__", "site-packages", "dist-packages", "build", "dist"}
MAX_SCANNED_FILES = 5000
MAX_CALLER_FILES = 8
CALLER_SCAN_SECONDS = 30.0
SCRIPT_PATH = re.compile(r"(^|/)(tests?|scripts?|examples?|notebooks?)/|(^|/)(test_[^/]*|[^/]*_test|train[^/]*|eval[^/]*|main|run[^/]*|demo[^/]*|example[^/]*|bench[^/]*)\.py$")
MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]", re.M)


def canonical(q: str) -> str:
    """Map torch's internal module paths and aliases to the public names rules use."""
    if q.startswith("torch.nn.modules.") or q.startswith("torch.nn.parameter."):
        return "torch.nn." + q.rsplit(".", 1)[-1]
    if q.startswith("torch.nn.utils.rnn."):
        return q
    if q.startswith("torch.functional."):
        return "torch." + q.rsplit(".", 1)[-1]
    if q.startswith("torch._tensor.Tensor."):
        return "torch.Tensor." + q.rsplit(".", 1)[-1]
    if q.startswith("torch.nn.functional.") or q.startswith("torch."):
        return ALIASES.get(q, q)
    return q


ALIASES = {
    "torch.autograd.Variable": "torch.autograd.Variable",
}


class LazyNamespace(dict):
    """A module namespace that runs its file on first read (see Project.lazy_namespace)."""

    def __init__(self, project: "Project", path: str) -> None:
        super().__init__()
        self._project, self._path, self._loaded = project, path, False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            ns = self._project.namespace(self._path)
            if ns is not None and ns is not self:
                self.update(ns)

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self._load()
        return super().__contains__(key)

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def get(self, key, default=None):
        self._load()
        return super().get(key, default)

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()

    def values(self):
        self._load()
        return super().values()


@dataclass
class Project:
    roots: list[str] = field(default_factory=list)
    overlay: dict[str, str] = field(default_factory=dict)  # open documents: path -> text
    use_jedi: bool = True
    _parsed: dict[str, tuple[tuple, ParsedFile]] = field(default_factory=dict)
    _namespaces: dict[str, dict[str, Value]] = field(default_factory=dict)
    _loading: set[str] = field(default_factory=set)
    interp: "Interpreter | None" = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    # files -------------------------------------------------------------------------------------
    def read(self, path: str) -> str | None:
        if path in self.overlay:
            return self.overlay[path]
        try:
            if os.path.getsize(path) > MAX_FILE_BYTES:
                return None
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def _stamp(self, path: str) -> tuple:
        if path in self.overlay:
            return ("overlay", hash(self.overlay[path]))
        try:
            st = os.stat(path)
            return ("disk", st.st_mtime_ns, st.st_size)
        except OSError:
            return ("missing",)

    def parsed(self, path: str) -> ParsedFile | None:
        stamp = self._stamp(path)
        hit = self._parsed.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        text = self.read(path)
        if text is None:
            return None
        pf = parse_source(text, path)
        self._parsed[path] = (stamp, pf)
        return pf

    def set_parsed(self, pf: ParsedFile) -> None:
        self._parsed[pf.path] = (self._stamp(pf.path), pf)

    # names -----------------------------------------------------------------------------------
    def canonical(self, q: str) -> str:
        return canonical(q)

    def torch_attr(self, ref: TorchRef, name: str) -> Value:
        return TorchRef(f"{ref.qualname}.{name}")

    def span_of_class(self, cls: ClassV) -> Span | None:
        if cls.node is None:
            return None
        pf = self.parsed(cls.path)
        return pf.span(cls.node) if pf else None

    # imports ---------------------------------------------------------------------------------
    def import_module(self, name: str, importer: str, level: int) -> Value:
        root = name.split(".")[0] if name else ""
        if level == 0 and root in LIBRARY_ROOTS:
            return TorchRef(name)
        path = self.resolve_module(name, importer, level)
        if path is None:
            return TorchRef(name) if level == 0 and name else UNKNOWN
        return ModuleRef(path, self.lazy_namespace(path))

    def import_from(self, module: str, name: str, importer: str, level: int) -> Value:
        root = module.split(".")[0] if module else ""
        if level == 0 and root in LIBRARY_ROOTS:
            return TorchRef(f"{module}.{name}")
        path = self.resolve_module(module, importer, level)
        if path is None:
            # `from . import blocks` names a submodule, not an attribute.
            sub = self.resolve_module(f"{module}.{name}" if module else name, importer, level)
            if sub is not None:
                return ModuleRef(sub, self.lazy_namespace(sub))
            if level == 0 and module:
                return TorchRef(f"{module}.{name}")
            return UNKNOWN
        ns = self.namespace(path)
        if ns is None:
            return UNKNOWN
        if name in ns:
            return ns[name]
        sub = self.resolve_module(f"{module}.{name}" if module else name, importer, level)
        if sub is not None and sub != path:
            return ModuleRef(sub, self.lazy_namespace(sub))
        return UNKNOWN

    def resolve_module(self, name: str, importer: str, level: int) -> str | None:
        parts = [p for p in name.split(".") if p] if name else []
        if level > 0:
            base = os.path.dirname(os.path.abspath(importer))
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return self._find(base, parts)
        bases = [os.path.dirname(os.path.abspath(importer))] + [os.path.abspath(r) for r in self.roots]
        # The src layout: packages under <root>/src import as top-level names.
        bases += [os.path.join(os.path.abspath(r), "src") for r in self.roots if os.path.isdir(os.path.join(r, "src"))]
        # A file inside a package: the package's parent directory is a search root too.
        d = os.path.dirname(os.path.abspath(importer))
        while os.path.exists(os.path.join(d, "__init__.py")):
            d = os.path.dirname(d)
            bases.append(d)
        for b in bases:
            found = self._find(b, parts)
            if found:
                return found
        if self.use_jedi and parts:
            return self._jedi_resolve(name, importer)
        return None

    def _find(self, base: str, parts: list[str]) -> str | None:
        if not parts:
            init = os.path.join(base, "__init__.py")
            return init if self._exists(init) else None
        p = os.path.join(base, *parts)
        for cand in (p + ".py", os.path.join(p, "__init__.py")):
            if self._exists(cand):
                return cand
        return None

    def _exists(self, path: str) -> bool:
        return path in self.overlay or os.path.isfile(path)

    _jedi_cache: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _py_files: tuple[float, list[str]] | None = None
    _caller_cache: dict[str, tuple[tuple, tuple[bool, str, frozenset[str]]]] = field(default_factory=dict)

    def _jedi_resolve(self, name: str, importer: str) -> str | None:
        """Ask jedi where an absolute import lives (site-packages, src layouts, path hooks)."""
        key = (name, os.path.dirname(importer))
        if key in self._jedi_cache:
            return self._jedi_cache[key]
        result: str | None = None
        try:
            import jedi

            project = jedi.Project(self.roots[0]) if self.roots else None
            code = f"import {name}\n"
            script = jedi.Script(code, path=importer if os.path.isabs(importer) else None, project=project)
            for d in script.goto(1, len(code) - 2, follow_imports=True):
                mp = d.module_path
                if mp is not None and str(mp).endswith(".py"):
                    result = str(mp)
                    break
        except Exception:
            result = None
        # Only workspace-like files are followed; installed libraries stay symbolic.
        if result is not None and ("site-packages" in result or "dist-packages" in result):
            result = None
        self._jedi_cache[key] = result
        return result

    def namespace(self, path: str) -> dict[str, Value] | None:
        """The module-level names of a workspace file, from running its top level abstractly."""
        if path in self._namespaces:
            return self._namespaces[path]
        if path in self._loading:
            return {}
        pf = self.parsed(path)
        if pf is None or self.interp is None:
            return None
        self._loading.add(path)
        ns: dict[str, Value] = {"__name__": Const("<import>")}
        self._namespaces[path] = ns
        try:
            self.interp.exec_module(pf, ns)
        except Exception:
            pass
        finally:
            self._loading.discard(path)
        return ns

    def lazy_namespace(self, path: str) -> dict[str, Value]:
        """A module's names, computed when first looked at: `import pkg` or `from pkg import sub`
        does not run every file of a large package (torchvision/__init__ imports 200 files)."""
        if path in self._namespaces:
            return self._namespaces[path]
        return LazyNamespace(self, path)

    # call sites elsewhere ----------------------------------------------------------------------
    def python_files(self) -> list[str]:
        """The workspace's .py files (environments, caches and build output left out), listed at
        most every CALLER_SCAN_SECONDS."""
        now = time.monotonic()
        if self._py_files is not None and now - self._py_files[0] < CALLER_SCAN_SECONDS:
            return self._py_files[1]
        out: list[str] = []
        for root in self.roots:
            for d, dirs, files in os.walk(root):
                dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
                out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".py"))
                if len(out) >= MAX_SCANNED_FILES:
                    break
        out += [p for p in self.overlay if p.endswith(".py") and p not in out and not p.startswith("<")]
        self._py_files = (now, out)
        return out

    def caller_files(self, path: str, names: list[str], limit: int = MAX_CALLER_FILES) -> list[str]:
        """Other files that import the module at `path`, mention one of `names` and look like
        scripts (a `__main__` guard, or a test/train/eval/demo file, or under tests/, scripts/,
        examples/): the calls that give its models real shapes. Library modules that merely
        reuse a class are not run."""
        base = os.path.basename(path)
        stem = os.path.basename(os.path.dirname(path)) if base == "__init__.py" else base[:-3]
        imports = re.compile(rf"^\s*(from\s+[\w.]*\b{re.escape(stem)}\s+import\b|import\s+[\w.]*\b{re.escape(stem)}\b)", re.M)
        out = []
        for f in self.python_files():
            if os.path.abspath(f) == os.path.abspath(path):
                continue
            guard, import_lines, words = self._caller_facts(f)
            if not guard and not SCRIPT_PATH.search(os.path.relpath(f, os.path.dirname(path))):
                continue
            if imports.search(import_lines) and any(n in words for n in names):
                out.append(f)
                if len(out) >= limit:
                    break
        return out

    def _caller_facts(self, f: str) -> tuple[bool, str, frozenset[str]]:
        """What caller_files asks of a file (a `__main__` guard, its import lines, its words),
        kept until the file changes: the workspace is not re-read on every analysis."""
        stamp = self._stamp(f)
        hit = self._caller_cache.get(f)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        text = self.read(f) or ""
        imports = "\n".join(line for line in text.splitlines() if line.lstrip().startswith(("import ", "from ")))
        facts = (MAIN_GUARD.search(text) is not None, imports, frozenset(re.findall(r"[A-Za-z_]\w*", text)))
        self._caller_cache[f] = (stamp, facts)
        return facts

    def forget_namespaces(self) -> None:
        self._namespaces.clear()
