"""The server's pure parts, without a client: conversions, severities, hints, hover hooks."""

from __future__ import annotations

import dataclasses

import pytest
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from shapelens.analysis.analyze import analyze
from shapelens.findings import Finding, Severity
from shapelens.lsp.convert import Converter, split_lines
from shapelens.lsp.diagnostics import effective_severity
from shapelens.lsp.hover import hover_markdown
from shapelens.lsp.inlay_hints import inlay_hints
from shapelens.settings import DiagnosticsSettings, InlayHintsSettings, parse_settings
from shapelens.values import Span
from tests.lsp.samples import CNN

LINE = 'ψ = torch.zeros(2); s = "😀"; y = ψ @ w'


@pytest.mark.parametrize("encoding, at_y, end", [("utf-8", 33, 43), ("utf-16", 30, 39), ("utf-32", 29, 38)])
def test_converter_round_trip(encoding, at_y, end):
    conv = Converter(split_lines("a\n" + LINE + "\n"), PositionCodec(encoding))
    cp = LINE.index("y = ψ")
    assert conv.position(2, cp) == types.Position(line=1, character=at_y)
    assert conv.line_end(2) == types.Position(line=1, character=end)
    for col in range(len(LINE) + 1):
        assert conv.from_position(conv.position(2, col)) == (2, col)
    assert conv.range(Span(2, cp, 2, cp + 1)).end.character > at_y
    assert conv.position(99, 0) == types.Position(line=3, character=0)


def test_split_lines_is_lsp_lines():
    assert split_lines("a\r\nb\rc\nd\x0ce\u2028f") == ["a", "b", "c", "d\x0ce\u2028f"]


def finding(code: str, sev: Severity) -> Finding:
    return Finding(code, "m", "/x.py", Span(1, 0, 1, 1), sev)


def test_severity_overrides():
    opts = parse_settings({"diagnostics": {"severity": {"SL101": "warning", "SL202": "off", "SL301": "error"},
                                           "showInformation": False}}).diagnostics
    assert effective_severity(finding("SL101", Severity.ERROR), opts) == Severity.WARNING
    assert effective_severity(finding("SL202", Severity.WARNING), opts) is None
    assert effective_severity(finding("SL301", Severity.INFORMATION), opts) == Severity.ERROR
    assert effective_severity(finding("SL302", Severity.INFORMATION), opts) is None
    assert effective_severity(finding("SL302", Severity.INFORMATION), DiagnosticsSettings()) == Severity.INFORMATION


@pytest.fixture(scope="module")
def cnn():
    return analyze("/tmp/shapelens_units/cnn.py", CNN)


def test_inlay_only_changed_and_truncation():
    src = "import torch\nx = torch.zeros(2, 3)\nx = x + 1\nx = x.view(3, 2)\ny = x\n"
    fa = analyze("/tmp/shapelens_units/hints.py", src)
    all_ = inlay_hints(fa, 1, 100, InlayHintsSettings())
    assert [(h.line, h.label) for h in all_] == [(2, "▸ (2, 3)"), (3, "▸ (2, 3)"), (4, "▸ (3, 2)"), (5, "▸ (3, 2)")]
    changed = inlay_hints(fa, 1, 100, InlayHintsSettings(only_changed=True))
    assert [(h.line, h.label) for h in changed] == [(2, "▸ (2, 3)"), (4, "▸ (3, 2)"), (5, "▸ (3, 2)")]
    short = inlay_hints(fa, 1, 100, InlayHintsSettings(max_length=10))
    assert short[0].label == "▸ (2, 3)"
    tiny = inlay_hints(fa, 2, 2, InlayHintsSettings(max_length=5))
    assert [h.label for h in tiny] == ["▸ (2…"]
    assert inlay_hints(fa, 1, 100, InlayHintsSettings(enable=False)) == []
    assert inlay_hints(fa, 3, 3, InlayHintsSettings())[0].col == len("x = x + 1")


def test_inlay_hint_before_comment_and_several_names():
    src = "import torch\na, b = torch.zeros(2, 3), torch.zeros(4)  # pair\n"
    fa = analyze("/tmp/shapelens_units/pair.py", src)
    (h,) = inlay_hints(fa, 1, 5, InlayHintsSettings())
    assert h.label == "▸ a: (2, 3), b: (4,)"
    assert h.col == src.split("\n")[1].index("  # pair")


def test_hover_confirmed_hook(cnn):
    line = CNN.split("\n").index("        x = self.fc1(x)") + 1
    col = 8
    assert "confirmed" not in hover_markdown(cnn, line, col)
    ok = dataclasses.replace(cnn, confirmed={"lines": {str(line): {"x": [[1, 10]]}}})
    assert "✓ confirmed by torch" in hover_markdown(ok, line, col)
    differs = dataclasses.replace(cnn, confirmed={"shapes": {line: {"x": [[2, 10]]}}})
    assert "torch: (2, 10)" in hover_markdown(differs, line, col)


def test_inlay_hint_on_a_def_header_skips_comments():
    init = "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n"
    src = ("import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n" + init +
           "    def forward(self, x):\n        # a comment\n\n        return self.conv(x)\n\n\n"
           "class N(nn.Module):\n" + init + "    def forward(\n        self, x,\n    ):  # done\n        return self.conv(x)\n")
    lines = src.split("\n")
    fa = analyze("/tmp/shapelens_units/header.py", src)
    hints = {h.line: h for h in inlay_hints(fa, 1, 100, InlayHintsSettings())}
    first = lines.index("    def forward(self, x):") + 1
    second = lines.index("    def forward(") + 1
    assert (hints[first].col, hints[first].label) == (len(lines[first - 1]), "▸ (B, 3, H, W)")
    assert (hints[second + 2].col, hints[second + 2].label) == (len("    ):"), "▸ (B, 3, H, W)")


def test_hover_on_a_container_and_a_submodule():
    src = ("import torch\nimport torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n"
           "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n"
           "        return self.fc(x)\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.features = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n        self.block = Block()\n\n"
           "    def forward(self, x):\n        return self.block(self.features(x))\n\n\n"
           "y = Net()(torch.zeros(2, 3))\n")
    fa = analyze("/tmp/shapelens_units/containers.py", src)
    lines = src.split("\n")
    line = lines.index("        return self.block(self.features(x))") + 1
    features = hover_markdown(fa, line, lines[line - 1].index("features") + 1)
    assert features.startswith("**features** · `Sequential` · 16 params")
    assert "`(2, 4)`" in features
    block = hover_markdown(fa, line, lines[line - 1].index("block") + 1)
    assert block.startswith("**block** · `Block` · 20 params")
    assert "`(2, 4)` → `(2, 4)`" in block


def test_hover_on_a_suppression_comment_explains_the_codes():
    src = "import torch\nx = torch.zeros(2) @ torch.zeros(3)  # noqa: E501  # shapelens: ignore[SL108, SL101]\n"
    fa = analyze("/tmp/shapelens_units/suppress.py", src)
    line = src.split("\n")[1]
    text = hover_markdown(fa, 2, line.index("ignore[") + 3)
    assert text.startswith("**SL108** `matmul` (error):") and "**SL101** `linear-features`" in text
    assert "sl108-matmul" in text
    assert "E501" not in (hover_markdown(fa, 2, line.index("noqa") + 1) or "")
