"""`[tool.shapelens]` in pyproject.toml: model entries and project options.

    [[tool.shapelens.entries]]
    file = "models/resnet.py"          # relative to this pyproject.toml
    call = "ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)"
    inputs = [[2, 3, 224, 224]]        # one shape per positional forward argument
    dtypes = ["float32"]               # optional
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field


@dataclass
class Entry:
    file: str  # absolute
    call: str
    inputs: list[list]
    dtypes: list[str] | None = None


@dataclass
class ProjectConfig:
    path: str | None = None
    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    confirm_python: str | None = None

    def entries_for(self, file: str) -> list[Entry]:
        f = os.path.abspath(file)
        return [e for e in self.entries if e.file == f]


def find_pyproject(start: str) -> str | None:
    d = os.path.dirname(os.path.abspath(start)) if not os.path.isdir(start) else os.path.abspath(start)
    while True:
        cand = os.path.join(d, "pyproject.toml")
        if os.path.isfile(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(pyproject: str | None) -> ProjectConfig:
    cfg = ProjectConfig(path=pyproject)
    if pyproject is None:
        return cfg
    try:
        with open(pyproject, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        cfg.errors.append(f"{pyproject}: {e}")
        return cfg
    tool = data.get("tool", {}).get("shapelens", {})
    if not isinstance(tool, dict):
        return cfg
    base = os.path.dirname(os.path.abspath(pyproject))
    confirm = tool.get("confirm", {})
    if isinstance(confirm, dict) and isinstance(confirm.get("python"), str):
        cfg.confirm_python = confirm["python"]
    for i, raw in enumerate(tool.get("entries", []) or []):
        if not isinstance(raw, dict):
            cfg.errors.append(f"{pyproject}: entry {i + 1} is not a table")
            continue
        file, call, inputs = raw.get("file"), raw.get("call"), raw.get("inputs")
        if not isinstance(file, str) or not isinstance(call, str) or not isinstance(inputs, list):
            cfg.errors.append(f"{pyproject}: entry {i + 1} needs file, call and inputs")
            continue
        if not all(isinstance(s, list) and all(isinstance(d, (int, str)) for d in s) for s in inputs):
            cfg.errors.append(f"{pyproject}: entry {i + 1}: inputs must be a list of shapes (lists of ints or names)")
            continue
        dtypes = raw.get("dtypes")
        if dtypes is not None and not (isinstance(dtypes, list) and all(isinstance(d, str) for d in dtypes)):
            cfg.errors.append(f"{pyproject}: entry {i + 1}: dtypes must be a list of strings")
            dtypes = None
        cfg.entries.append(Entry(os.path.normpath(os.path.join(base, file)), call, inputs, dtypes))
    return cfg
