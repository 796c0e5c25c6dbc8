"""The article's examples (tests/seed/), checked exactly as the issue states them."""

import json
import pathlib

import pytest

from shapelens.analysis.analyze import analyze
from shapelens.cli import main
from shapelens.findings import Severity

SEED = pathlib.Path(__file__).parent / "seed"


def shapes(path: pathlib.Path, capsys) -> dict:
    assert main(["--shapes", str(path), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["lines"]


def line_of(path: pathlib.Path, text: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(text)


def test_example1_shapes_and_no_error(capsys):
    p = SEED / "example1.py"
    lines = shapes(p, capsys)
    first = line_of(p, "x = self.pool(torch.relu(self.conv1(x)))")
    assert lines[str(first)]["x"] == [1, 16, 14, 14]
    assert lines[str(line_of(p, "x = x.view(x.size(0), -1)"))]["x"] == [1, 3136]
    assert lines[str(line_of(p, "x = self.fc1(x)"))]["x"] == [1, 10]
    assert lines[str(line_of(p, "output = model(input_tensor)"))]["output"] == [1, 10]
    r = analyze(str(p), p.read_text())
    assert not [f for f in r.findings if f.severity == Severity.ERROR]
    # The intermediate conv1 output on the first line of forward (what hover shows).
    inner = [(c.label, c.value.describe()) for c in r.calls[first]]
    assert ("conv1", "(1, 16, 28, 28)") in inner


def test_example1_on_32x32_input_errors_on_fc1(capsys):
    p = SEED / "example1_32x32.py"
    r = analyze(str(p), p.read_text())
    errors = [f for f in r.findings if f.severity == Severity.ERROR]
    assert len(errors) == 1
    (e,) = errors
    assert e.span.line == line_of(p, "x = self.fc1(x)")
    assert "3136" in e.message and "4096" in e.message and e.code == "SL101"
    assert e.related and "fc1" in e.related[0].message  # the layer's definition
    assert e.related[0].span.line == line_of(p, "self.fc1 = nn.Linear")
    assert [v.describe() for v in r.assigns[line_of(p, "x = x.view(x.size(0), -1)")]["x"]] == ["(1, 4096)"]
    # The quick fix sets in_features to what the data needs, as the user would write it.
    (fix,) = e.fixes
    assert fix.edits[0].new_text.replace(" ", "") in ("4096", "16*16*16")


def test_example2_is_not_an_error_and_gets_the_per_timestep_hint(capsys):
    p = SEED / "example2.py"
    r = analyze(str(p), p.read_text())
    assert not [f for f in r.findings if f.severity == Severity.ERROR]
    hints = [f for f in r.findings if f.code == "SL201"]
    assert hints and hints[0].severity == Severity.HINT
    lines = shapes(p, capsys)
    assert lines[str(line_of(p, "output = model(input_tensor)"))]["output"] == [3, 20, 5]


def test_example3_output(capsys):
    p = SEED / "example3.py"
    lines = shapes(p, capsys)
    assert lines[str(line_of(p, "output = model(input_tensor)"))]["output"] == [3, 5]
    assert lines[str(line_of(p, "output = output[:, -1, :]"))]["output"] == [3, 20]


def test_kernel_larger_than_its_input_is_an_error_naming_the_size(tmp_path):
    p = tmp_path / "small.py"
    p.write_text(
        "import torch\nimport torch.nn as nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(4, 8, kernel_size=5)\n\n"
        "    def forward(self, x):\n"
        "        return self.conv(x)\n\n"
        "y = Net()(torch.randn(1, 4, 3, 3))\n"
    )
    r = analyze(str(p), p.read_text())
    (e,) = [f for f in r.findings if f.severity == Severity.ERROR]
    assert e.code == "SL111" and e.span.line == 10
    assert "-1" in e.message and "5" in e.message and "3" in e.message


@pytest.mark.parametrize("name", ["example1.py", "example1_32x32.py", "example2.py", "example3.py"])
def test_seed_files_agree_with_torch(name):
    """What torch does with the same file: errors only where torch raises."""
    import runpy

    import torch  # noqa: F401  (the oracle)

    p = SEED / name
    try:
        runpy.run_path(str(p), run_name="__main__")
        raised = False
    except RuntimeError:
        raised = True
    r = analyze(str(p), p.read_text())
    assert raised == any(f.severity == Severity.ERROR for f in r.findings)
