"""Load the analysed file and its workspace imports through :func:`safe_module_source`.

The worker must never run a user's script code -- neither in the model file nor in the
workspace files it imports (``from .blocks import Block``, ``from mypkg.layers import Y``,
``import helpers``). :class:`WorkspaceFinder` sits first on ``sys.meta_path`` and claims every
module whose source file lies under one of the workspace roots (and not inside an environment's
``site-packages`` or the interpreter's prefix); those are compiled from the filtered source with
the real path as filename, so line numbers map 1:1. Third-party packages import normally.

Pure Python; no torch.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import os
import sys
import types
from typing import Iterable, Sequence

from .loader import LoadError, safe_module_source

__all__ = ["WorkspaceFinder", "SafeSourceLoader", "load_model_module"]


def _norm(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class SafeSourceLoader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles the filtered source and never touches bytecode caches.

    (A cached ``.pyc`` would hold the *unfiltered* code.)
    """

    def get_code(self, fullname: str) -> types.CodeType:
        raw = self.get_data(self.path)
        source = importlib.util.decode_source(raw)
        try:
            safe = safe_module_source(source)
        except LoadError as exc:
            raise ImportError(f"{self.path}: {exc.message}", name=fullname, path=self.path)
        return compile(safe, self.path, "exec", dont_inherit=True)

    def set_data(self, *args, **kwargs) -> None:  # never write __pycache__
        return None


class WorkspaceFinder(importlib.abc.MetaPathFinder):
    """Claims modules whose file lives under a workspace root; loads them safely."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = sorted({_norm(r) for r in roots if r}, key=len, reverse=True)
        self.excluded = self._excluded_dirs()
        self.loaded: set[str] = set()

    @staticmethod
    def _excluded_dirs() -> list[str]:
        dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        # This package itself must load normally even when the workspace is ShapeLens's repo.
        dirs.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return sorted({_norm(d) for d in dirs if d})

    def owns(self, path: str) -> bool:
        p = _norm(path)
        if "site-packages" in p or "dist-packages" in p:
            return False
        if any(_under(p, d) for d in self.excluded):
            return False
        return any(_under(p, r) for r in self.roots)

    def find_spec(self, fullname: str, path: Sequence[str] | None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.has_location:
            return None
        if not spec.origin.endswith(".py") or not self.owns(spec.origin):
            return None
        spec.loader = SafeSourceLoader(fullname, spec.origin)
        self.loaded.add(fullname)
        return spec

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        while self in sys.meta_path:
            sys.meta_path.remove(self)

    def forget_loaded(self) -> None:
        """Drop modules loaded earlier so edited workspace files are read afresh."""
        for name in list(self.loaded):
            sys.modules.pop(name, None)
        self.loaded.clear()


_synthetic_counter = itertools.count()


def _package_of(path: str) -> tuple[str | None, str | None]:
    """(package dotted name, directory to put on sys.path) from ``__init__.py`` files."""
    directory = os.path.dirname(path)
    parts: list[str] = []
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parts.append(os.path.basename(directory))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    if not parts or not all(p.isidentifier() for p in parts):
        return None, None
    return ".".join(reversed(parts)), directory


def load_model_module(path: str, source: str, finder: WorkspaceFinder) -> types.ModuleType:
    """Execute the safe part of ``source`` (the editor's text of ``path``) as a module.

    The module gets a real package context so relative imports work: the enclosing package
    when the directory holds ``__init__.py``, otherwise a synthetic package whose
    ``__path__`` is the file's directory (so ``from .blocks import Block`` finds a sibling).
    Raises :class:`LoadError` when the source does not parse; import errors propagate.
    """
    safe = safe_module_source(source)
    code = compile(safe, path, "exec", dont_inherit=True)
    directory = os.path.dirname(os.path.abspath(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    package, top = _package_of(path)
    if package is not None and stem.isidentifier():
        if top not in sys.path:
            sys.path.insert(0, top)
        importlib.import_module(package)
        finder.loaded.add(package)
        name = f"{package}.{stem}"
    else:
        package = f"_shapelens_ws_{next(_synthetic_counter)}"
        pkg = types.ModuleType(package)
        pkg.__path__ = [directory]
        pkg.__package__ = package
        pkg.__spec__ = importlib.machinery.ModuleSpec(package, None, is_package=True)
        pkg.__spec__.submodule_search_locations = [directory]
        sys.modules[package] = pkg
        finder.loaded.add(package)
        name = f"{package}.{stem if stem.isidentifier() else 'model'}"
    module = types.ModuleType(name)
    module.__file__ = path
    module.__package__ = package
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, origin=path)
    sys.modules[name] = module
    finder.loaded.add(name)
    exec(code, module.__dict__)
    return module
