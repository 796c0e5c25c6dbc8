"""The command line contracts of DESIGN.md: formats, exit codes, recursion, --shapes."""

import json
import subprocess
import sys

import pytest

from shapelens.cli import main

GOOD = """import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)

out = Net()(torch.randn(2, 8))
"""
BAD = GOOD.replace("torch.randn(2, 8)", "torch.randn(2, 9)")


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "good.py").write_text(GOOD)
    (tmp_path / "pkg" / "sub" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "broken_syntax.py").write_text("import torch\ndef f(:\n    pass\nx = torch.zeros(2) @ torch.zeros(3)\n")
    return tmp_path


def test_clean_file_exits_0(tree, capsys):
    assert main(["--check", str(tree / "pkg" / "good.py")]) == 0
    assert capsys.readouterr().out == ""


def test_folder_is_recursive_and_errors_exit_1(tree, capsys):
    assert main(["--check", str(tree / "pkg")]) == 1
    out = capsys.readouterr().out.splitlines()
    bad = [l for l in out if "bad.py" in l]
    assert len(bad) == 1
    path, line, col, rest = bad[0].split(":", 3)
    assert line == "10" and col == "16"
    assert rest.startswith(" error SL101 fc expects 8 input features")


def test_exit_zero(tree):
    assert main(["--check", "--exit-zero", str(tree / "pkg")]) == 0


def test_syntax_error_file_is_analysed_around_the_error(tree, capsys):
    assert main(["--check", str(tree / "pkg" / "broken_syntax.py")]) == 1
    out = capsys.readouterr().out
    assert "SL303" in out  # the syntax error is noted
    assert "SL108" in out  # and the rest of the file still analysed


def test_json_format(tree, capsys):
    main(["--check", "--format", "json", str(tree / "pkg" / "sub" / "bad.py")])
    data = json.loads(capsys.readouterr().out)
    assert [set(d) for d in data] == [{"path", "line", "column", "end_line", "end_column", "severity", "code", "message"}]
    d = data[0]
    assert (d["line"], d["column"], d["severity"], d["code"]) == (10, 16, "error", "SL101")
    assert d["end_line"] == 10 and d["end_column"] > d["column"]


def test_sarif_and_github_formats(tree, capsys):
    main(["--check", "--format", "sarif", str(tree / "pkg" / "sub" / "bad.py")])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (res,) = sarif["runs"][0]["results"]
    assert res["ruleId"] == "SL101" and res["level"] == "error"
    main(["--check", "--format", "github", str(tree / "pkg" / "sub" / "bad.py")])
    line = capsys.readouterr().out.strip()
    assert line.startswith("::error title=shapelens (SL101),file=") and ",line=10,col=16," in line


def test_missing_path_exits_2(tree, capsys):
    assert main(["--check", str(tree / "nope.py")]) == 2


def test_usage_error_exits_2():
    r = subprocess.run([sys.executable, "-m", "shapelens", "--check"], capture_output=True, text=True)
    assert r.returncode == 2


def test_shapes_json(tree, capsys):
    assert main(["--shapes", str(tree / "pkg" / "good.py"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"]["12"] == {"out": [2, 4]}
    assert data["lines"]["9"] == {"x": [2, 8]}
    (model,) = data["models"]
    assert model["class"] == "Net" and model["params"] == 8 * 4 + 4 and model["output"] == [2, 4]


def test_shapes_text_and_symbolic(tmp_path, capsys):
    p = tmp_path / "sym.py"
    p.write_text(
        "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 16, 3, padding=1)\n        self.pool = nn.MaxPool2d(2)\n\n"
        "    def forward(self, x):\n        x = self.pool(self.conv(x))\n        return x\n"
    )
    assert main(["--shapes", str(p), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"]["10"]["x"] == ["B", 16, "H//2", "W//2"]
