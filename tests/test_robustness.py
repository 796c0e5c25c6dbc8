"""Bad input gets a clear result, never a crash: partial files, deep nesting, huge files,
odd Unicode, recursion in user code."""

import string

from hypothesis import given, settings, strategies as st

from shapelens.analysis.analyze import analyze
from shapelens.findings import Severity

MODEL = '''import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8 * 30 * 30, 10)

    def forward(self, x):
        x = self.conv(x)
        x = x.flatten(1)
        return self.fc(x)

y = Net()(torch.randn(2, 3, 32, 32))
'''


@given(st.integers(0, len(MODEL)))
def test_every_prefix_of_a_model_analyses(cut):
    """What a user has typed so far, at every keystroke."""
    r = analyze("/tmp/prefix.py", MODEL[:cut])
    assert isinstance(r.findings, list)


@settings(max_examples=40)
@given(st.text(alphabet=string.printable + "ψ😀é\t", max_size=300))
def test_arbitrary_text_never_crashes(text):
    analyze("/tmp/garbage.py", text)


def test_deep_nesting():
    src = "import torch\nx = " + "(" * 200 + "torch.zeros(2)" + ")" * 200 + "\n"
    analyze("/tmp/deep.py", src)
    nested_ifs = "import torch\nx = torch.zeros(2)\n" + "".join("    " * i + f"if x.shape[0] > {i}:\n" for i in range(90)) + "    " * 90 + "y = x\n"
    analyze("/tmp/ifs.py", nested_ifs)


def test_recursive_user_code_terminates():
    src = "import torch\ndef f(x):\n    return f(x + 1)\ny = f(torch.zeros(2))\n\ndef g(n):\n    while True:\n        n = n + 1\n    return n\nz = g(0)\n"
    r = analyze("/tmp/rec.py", src)
    assert not [f for f in r.findings if f.severity == Severity.ERROR]


def test_huge_file_is_bounded():
    body = MODEL.split("y = Net()")[0]
    src = body + "".join(f"y{i} = Net()(torch.randn(2, 3, 32, 32))\n" for i in range(3000))
    r = analyze("/tmp/huge.py", src)
    assert isinstance(r.assigns, dict)


def test_unicode_columns_are_code_points():
    src = "import torch\nψ = torch.zeros(2, 3); s = \"😀\"; y = ψ @ ψ\n"
    r = analyze("/tmp/uni.py", src)
    (e,) = [f for f in r.findings if f.code == "SL108"]
    line = src.splitlines()[1]
    assert line[e.span.col:e.span.end_col] == "ψ @ ψ"
