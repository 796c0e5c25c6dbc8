"""Quick fixes (shapelens.fixes): each one, applied, removes its finding and keeps valid Python."""

from __future__ import annotations

import ast
import textwrap

import pytest

from shapelens.analysis.analyze import analyze
from shapelens.fixes import apply_edits, fixes_for

HEADER = "import torch\nimport torch.nn as nn\n\n\n"

LINEAR = HEADER + textwrap.dedent('''
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
            self.fc1 = nn.Linear(100, 10)  # noqa: E501

        def forward(self, x):
            x = torch.relu(self.conv1(x))
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            return x


    out = Net()(torch.zeros(1, 3, 28, 28))
''')

FOUR_D = HEADER + textwrap.dedent('''
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.fc = nn.Linear(8 * 8 * 8, 10)

        def forward(self, x):
            y = self.conv(x)
            return self.fc(y)


    Head()(torch.zeros(2, 3, 10, 10))
''')

FOUR_D_EXPR = HEADER + textwrap.dedent('''
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.fc = nn.Linear(512, 10)

        def forward(self, x):
            return self.fc(
                self.conv(x))


    Head()(torch.zeros(2, 3, 10, 10))
''')

RNN = HEADER + textwrap.dedent('''
    class Tagger(nn.Module):
        def __init__(self, batch_first):
            super().__init__()
            self.rnn = nn.LSTM(8, 32, batch_first=batch_first)
            self.fc = nn.Linear(32, 5)

        def forward(self, x):
            output, _ = self.rnn(x)
            return self.fc(output)


    Tagger(True)(torch.zeros(2, 7, 8))
''')

RNN_SEQ_FIRST = RNN.replace("Tagger(True)(torch.zeros(2, 7, 8))", "Tagger(False)(torch.zeros(7, 2, 8))")

MISC = HEADER + textwrap.dedent('''
    ψ = torch.zeros(2, 3); s = "😀"; y = ψ @ torch.zeros(4, 5)
    a = torch.zeros(2, 3)  # shapelens: ignore[SL999]
    b = a @ a  # a comment
    c = torch.cat([a,
                   torch.zeros(4, 4)])
    d = torch.zeros(6).view(4, 2) + torch.zeros(
        2, 3)
''')


def analyse(src: str, tmp_path):
    path = tmp_path / "model.py"
    path.write_text(src)
    return analyze(str(path), src)


def gone(finding, before, after) -> bool:
    """One finding with this message fewer (messages may repeat on several lines)."""
    count = lambda fa: sum(f.message == finding.message for f in fa.findings)
    return count(after) == count(before) - 1


def check_fix(src: str, title_part: str, code: str, tmp_path) -> str:
    fa = analyse(src, tmp_path)
    finding, fix = next((f, x) for f in fa.findings if f.code == code
                        for x in fixes_for(f, fa.parsed) if title_part in x.title)
    fixed = apply_edits(src, fix.edits)
    ast.parse(fixed)
    after = analyse(fixed, tmp_path)
    assert finding.message not in [f.message for f in after.findings], fixed
    assert sum(f.code == code for f in after.findings) == sum(f.code == code for f in fa.findings) - 1, fixed
    return fixed


def test_set_in_features(tmp_path):
    fixed = check_fix(LINEAR, "Set in_features of fc1", "SL101", tmp_path)
    assert "nn.Linear(16 * 14 * 14, 10)  # noqa: E501" in fixed


def test_flatten_before_statement(tmp_path):
    fixed = check_fix(FOUR_D, "Flatten y", "SL101", tmp_path)
    assert "        y = self.conv(x)\n        y = torch.flatten(y, 1)\n        return self.fc(y)\n" in fixed


def test_flatten_after_a_compound_header(tmp_path):
    src = FOUR_D.replace("        return self.fc(y)\n", "        if y is not None: return self.fc(y)\n        return y\n")
    fixed = check_fix(src, "Flatten y", "SL101", tmp_path)
    assert "if y is not None: y = torch.flatten(y, 1); return self.fc(y)" in fixed


def test_flatten_without_import_torch(tmp_path):
    src = FOUR_D.replace("import torch\n", "import torch as T\n").replace("torch.zeros", "T.zeros")
    fixed = check_fix(src, "Flatten y", "SL101", tmp_path)
    assert "T.flatten(y, 1)" in fixed


def test_flatten_wraps_an_expression(tmp_path):
    fixed = check_fix(FOUR_D_EXPR, "Flatten the input", "SL101", tmp_path)
    assert "torch.flatten(self.conv(x), 1)" in fixed


def test_flatten_only_when_the_sizes_multiply_out(tmp_path):
    src = FOUR_D.replace("nn.Linear(8 * 8 * 8, 10)", "nn.Linear(500, 10)")
    fa = analyse(src, tmp_path)
    for f in fa.findings:
        assert not any("Flatten" in x.title for x in fixes_for(f, fa.parsed))


@pytest.mark.parametrize("src, expected", [(RNN, "self.fc(output[:, -1, :])"), (RNN_SEQ_FIRST, "self.fc(output[-1])")])
def test_last_timestep(src, expected, tmp_path):
    fixed = check_fix(src, "Take the last timestep", "SL201", tmp_path)
    assert expected in fixed


@pytest.mark.parametrize("src", [LINEAR, FOUR_D, FOUR_D_EXPR, RNN, MISC], ids=["linear", "4d", "4d-expr", "rnn", "misc"])
def test_every_finding_can_be_ignored(src, tmp_path):
    fa = analyse(src, tmp_path)
    assert fa.findings
    for finding in fa.findings:
        ignore = [x for x in fixes_for(finding, fa.parsed) if x.title.startswith("Ignore")]
        assert len(ignore) == 1, finding
        fixed = apply_edits(src, ignore[0].edits)
        ast.parse(fixed)
        assert gone(finding, fa, analyse(fixed, tmp_path)), fixed


def test_ignore_keeps_other_comments(tmp_path):
    fa = analyse(LINEAR, tmp_path)
    (finding,) = [f for f in fa.findings if f.code == "SL101"]
    # The finding is on the call; put the fix on the layer definition line to see the comment kept.
    from dataclasses import replace

    moved = replace(finding, span=finding.related[0].span)
    (ignore,) = [x for x in fixes_for(moved, fa.parsed) if x.title.startswith("Ignore")]
    fixed = apply_edits(LINEAR, ignore.edits)
    assert "nn.Linear(100, 10)  # noqa: E501  # shapelens: ignore[SL101]" in fixed


def test_ignore_extends_an_existing_list(tmp_path):
    src = MISC.replace("a = torch.zeros(2, 3)  # shapelens: ignore[SL999]\nb = a @ a  # a comment",
                       "a = torch.zeros(2, 3)\nb = a @ a  # shapelens: ignore[SL999]")
    fa = analyse(src, tmp_path)
    finding = next(f for f in fa.findings if f.code == "SL108" and fa.parsed.lines[f.span.line - 1].startswith("b ="))
    (ignore,) = [x for x in fixes_for(finding, fa.parsed) if x.title.startswith("Ignore")]
    fixed = apply_edits(src, ignore.edits)
    assert "b = a @ a  # shapelens: ignore[SL999, SL108]" in fixed


def test_ignore_skips_lines_ending_in_a_string_or_backslash(tmp_path):
    src = HEADER + 'a = torch.zeros(2, 3)\nb = a @ \\\n    a\nc = (a @ a, """\n""")\n'
    fa = analyse(src, tmp_path)
    assert len([f for f in fa.findings if f.code == "SL108"]) == 2
    for finding in fa.findings:
        (ignore,) = [x for x in fixes_for(finding, fa.parsed) if x.title.startswith("Ignore")] or [None]
        if ignore is None:
            continue  # no line of this finding can carry a comment
        fixed = apply_edits(src, ignore.edits)
        ast.parse(fixed)
        assert gone(finding, fa, analyse(fixed, tmp_path)), fixed


LAYER_ARGS = HEADER + textwrap.dedent('''
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3)
            self.conv2 = nn.Conv2d(32, 8, kernel_size=3)
            self.bn = nn.BatchNorm1d(num_features=4)
            self.rnn = nn.GRU(input_size=5, hidden_size=7, batch_first=True)
            self.norm = nn.GroupNorm(2, 6)

        def forward(self, x, s, v, g):
            x = self.conv2(self.conv1(x))
            v = self.bn(v)
            y, _ = self.rnn(s)
            g = self.norm(g)
            return x, y, v, g


    Net()(torch.zeros(2, 3, 16, 16), torch.zeros(2, 9, 6), torch.zeros(2, 3, 5), torch.zeros(2, 4, 5))
''')


@pytest.mark.parametrize("code, title, written", [
    ("SL102", "Set in_channels of conv2 to 16", "nn.Conv2d(16, 8, kernel_size=3)"),
    ("SL103", "Set num_features of bn to 3", "nn.BatchNorm1d(num_features=3)"),
    ("SL104", "Set input_size of rnn to 6", "nn.GRU(input_size=6, hidden_size=7"),
    ("SL103", "Set num_channels of norm to 4", "nn.GroupNorm(2, 4)"),
])
def test_layer_argument_fixes(code, title, written, tmp_path):
    fixed = check_fix(LAYER_ARGS, title, code, tmp_path)
    assert written in fixed


def test_no_argument_fix_for_grouped_or_unwritten(tmp_path):
    src = LAYER_ARGS.replace("nn.Conv2d(32, 8, kernel_size=3)", "nn.Conv2d(32, 8, kernel_size=3, groups=8)")
    fa = analyse(src, tmp_path)
    for f in fa.findings:
        titles = [x.title for x in fixes_for(f, fa.parsed)]
        assert not any("in_channels" in t for t in titles), titles
