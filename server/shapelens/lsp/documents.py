"""Per-document state and per-workspace projects.

Everything here is touched on the event loop only; analyses run on the thread pool over an
immutable `Snapshot` and come back as a `Result`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from pygls.uris import to_fs_path

from shapelens.analysis.analyze import FileAnalysis, analyze, find_root
from shapelens.analysis.project import Project
from shapelens.config import ProjectConfig, find_pyproject, load_config
from shapelens.lsp.convert import split_lines


@dataclass(frozen=True)
class Snapshot:
    """What one analysis sees: the document as it was at `version`."""

    uri: str
    path: str
    version: int | None
    text: str


@dataclass
class Result:
    snapshot: Snapshot
    analysis: FileAnalysis
    lines: list[str]

    @property
    def has_syntax_error(self) -> bool:
        return bool(self.analysis.parsed.syntax_errors)


@dataclass
class DocState:
    uri: str
    path: str
    project: Project
    version: int | None = None
    text: str = ""
    latest: Result | None = None  # the newest analysis: diagnostics
    good: Result | None = None  # the newest analysis without a syntax error: hover, hints, lenses
    task: asyncio.Task | None = None  # pending (debounced) analysis
    stale: bool = False  # another file of the project changed: re-analyse even at the same version

    def snapshot(self) -> Snapshot:
        return Snapshot(self.uri, self.path, self.version, self.text)

    def view(self) -> Result | None:
        """What hover, hints and lenses answer from: a file with a syntax error keeps its last good analysis."""
        if self.latest is not None and (not self.latest.has_syntax_error or self.good is None):
            return self.latest
        return self.good

    def current(self) -> bool:
        return self.latest is not None and self.latest.snapshot.version == self.version and not self.stale


def uri_to_path(uri: str) -> str:
    """A file path for `file:` URIs; a stable pseudo path (`<untitled:...>`) for the others."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return os.path.abspath(path) if path else f"<{uri}>"


class Projects:
    """One `Project` per workspace root; open documents live in its overlay."""

    def __init__(self) -> None:
        self.roots: list[str] = []
        self.by_root: dict[str, Project] = {}
        self.loose = Project(roots=[], use_jedi=False)  # untitled buffers, notebook cells
        self._configs: dict[str, tuple[float, ProjectConfig]] = {}

    def set_roots(self, roots: list[str]) -> None:
        self.roots = sorted({os.path.abspath(r) for r in roots if r}, key=len, reverse=True)

    def for_path(self, path: str) -> Project:
        if path.startswith("<"):
            return self.loose
        root = next((r for r in self.roots if path == r or path.startswith(r.rstrip(os.sep) + os.sep)), None)
        if root is None:
            root = find_root(path) or os.path.dirname(path)
        project = self.by_root.get(root)
        if project is None:
            project = self.by_root[root] = Project(roots=[root])
        return project

    def config_for(self, path: str) -> ProjectConfig | None:
        """[tool.shapelens] of the nearest pyproject.toml, re-read when it changes."""
        if path.startswith("<"):
            return None
        pyproject = find_pyproject(path)
        if pyproject is None:
            return None
        try:
            mtime = os.stat(pyproject).st_mtime
        except OSError:
            return None
        hit = self._configs.get(pyproject)
        if hit is None or hit[0] != mtime:
            hit = self._configs[pyproject] = (mtime, load_config(pyproject))
        return hit[1]


def run_analysis(snap: Snapshot, project: Project, entries: list) -> Result:
    """The pure work a pool thread does for one snapshot."""
    fa = analyze(snap.path, snap.text, project, entries)
    return Result(snap, fa, split_lines(snap.text))
