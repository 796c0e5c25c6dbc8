"""Workspace modules load through the safe filter; no torch needed (in-process)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from shapelens.confirm.importer import WorkspaceFinder, load_model_module


@pytest.fixture
def finder(workspace):
    f = WorkspaceFinder([str(workspace.root)])
    f.install()
    sys.path.insert(0, str(workspace.root))
    yield f
    f.uninstall()
    f.forget_loaded()
    sys.path.remove(str(workspace.root))


def side_effect(marker):
    return f"open({str(marker)!r}, 'w').write('ran')\n"


def test_sibling_plain_import_is_filtered(workspace, finder):
    marker = workspace.root / "ran.txt"
    workspace.write("helpers_x1.py", "K = 3\n" + side_effect(marker) + "def f():\n    return K\n")
    model = workspace.write("model_x1.py", "import helpers_x1\nV = 1\n" + side_effect(marker))
    mod = load_model_module(str(model), model.read_text(), finder)
    assert mod.helpers_x1.f() == 3
    assert not marker.exists()


def test_relative_import_without_package(workspace, finder):
    marker = workspace.root / "ran.txt"
    workspace.write("blocks.py", "class Block:\n    n = 2\n" + side_effect(marker))
    model = workspace.write("net.py", "from .blocks import Block\nfrom blocks import Block as B2\n")
    mod = load_model_module(str(model), model.read_text(), finder)
    assert mod.Block.n == 2 and mod.B2.n == 2
    assert not marker.exists()


def test_package_relative_and_absolute_imports(workspace, finder):
    marker = workspace.root / "ran.txt"
    workspace.write("mypkg_x/__init__.py", side_effect(marker))
    workspace.write("mypkg_x/layers.py", "class Y:\n    pass\n" + side_effect(marker))
    workspace.write("mypkg_x/sub/__init__.py", "")
    workspace.write("mypkg_x/sub/blocks.py", "from ..layers import Y\nclass Block(Y):\n    pass\n")
    model = workspace.write(
        "mypkg_x/sub/model.py",
        textwrap.dedent(
            """\
            from .blocks import Block
            from mypkg_x.layers import Y
            assert False, "script code must not run"
            """
        ),
    )
    mod = load_model_module(str(model), model.read_text(), finder)
    assert mod.__name__ == "mypkg_x.sub.model"
    assert issubclass(mod.Block, mod.Y)
    assert not marker.exists()


def test_edited_workspace_file_is_reloaded(workspace, finder):
    workspace.write("cfg_x3.py", "N = 1\n")
    model = workspace.write("m_x3.py", "from cfg_x3 import N\n")
    assert load_model_module(str(model), model.read_text(), finder).N == 1
    finder.forget_loaded()
    workspace.write("cfg_x3.py", "N = 2\n")
    assert load_model_module(str(model), model.read_text(), finder).N == 2


def test_third_party_and_stdlib_untouched(workspace, finder):
    model = workspace.write("m_x4.py", "import json\nimport hypothesis\n")
    mod = load_model_module(str(model), model.read_text(), finder)
    assert mod.json.dumps([1]) == "[1]"
    assert "json" not in finder.loaded and "hypothesis" not in finder.loaded
