"""An op ShapeLens does not know: its result is unknown, one information finding per name and
file says which call was not understood, and nothing after it is guessed."""

import json

from shapelens.analysis.analyze import analyze
from shapelens.cli import main
from shapelens.findings import Severity

SRC = """import torch
import torch.nn as nn
import mystery_lib

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        a = torch.special.not_a_real_op(x)
        b = torch.special.not_a_real_op(a)
        c = mystery_lib.transform(x)
        d = mystery_lib.transform(c)
        y = self.fc(a)
        z = y.view(2, -1)
        return z

out = Net()(torch.randn(2, 16))
"""


def test_unknown_ops_make_unknown_results_and_one_note_per_name(tmp_path):
    p = tmp_path / "net.py"
    p.write_text(SRC)
    r = analyze(str(p), SRC)
    notes = [f for f in r.findings if f.code == "SL301"]
    assert all(f.severity == Severity.INFORMATION for f in notes)
    named = sorted({("not_a_real_op" in f.message, "transform" in f.message) for f in notes})
    assert named == [(False, True), (True, False)]  # one per unknown name, not per call
    assert len(notes) == 2 and {f.span.line for f in notes} == {11, 13}
    assert not [f for f in r.findings if f.severity == Severity.ERROR]


def test_nothing_after_an_unknown_call_is_guessed(tmp_path, capsys):
    p = tmp_path / "net.py"
    p.write_text(SRC)
    main(["--shapes", str(p), "--format", "json"])
    lines = json.loads(capsys.readouterr().out)["lines"]
    assert lines["10"] == {"x": [2, 16]}
    # a, b, c, d, y, z and the call's result all depend on the unknown calls: no shape is
    # claimed for any of them, not even fc's 4 features joined to a guessed batch size.
    assert [ln for ln in lines if 11 <= int(ln) <= 19] == []
