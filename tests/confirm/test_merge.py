"""Merging torch's confirmation into the static analysis (real analyzer, real worker)."""

from __future__ import annotations

import textwrap

import pytest

from shapelens.analysis.analyze import analyze
from shapelens.confirm.client import ConfirmOutcome, EntryResult
from shapelens.confirm.merge import (apply_confirmation, build_confirmation, confirm_analysis,
                                     confirm_results, model_entries)

from . import models as M

CALLED_CNN = M.CNN.replace("print(net(torch.randn(1, 3, 28, 28)).shape)",
                           "out = net(torch.randn(1, 3, 28, 28))")


def analysed(workspace, name, source):
    path = workspace.write(name, source)
    return analyze(str(path), source)


def test_entries_from_call_sites_and_constructor_arguments(workspace):
    fa = analysed(workspace, "cnn.py", CALLED_CNN)
    entries = model_entries(fa)
    assert entries == [{"class": "Net", "ctor": "Net()", "inputs": [[1, 3, 28, 28]],
                        "dtypes": ["float32"], "kind": "call"}]
    src = M.RESNET.replace("model = ResNet(BasicBlock, [2, 2, 2, 2])",
                           "model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=7)\n"
                           "y = model(torch.randn(2, 3, 32, 32))")
    fa = analysed(workspace, "resnet.py", src)
    (e,) = [e for e in model_entries(fa) if e["class"] == "ResNet"]
    assert e["ctor"] == "ResNet(BasicBlock, [2, 2, 2, 2], num_classes=7)"


def test_agreeing_run_marks_shapes_and_adds_nothing(client, workspace):
    fa = analysed(workspace, "cnn.py", CALLED_CNN)
    before = list(fa.findings)
    confirmed, findings = confirm_analysis(client, fa, CALLED_CNN, str(workspace.root))
    assert confirmed["status"] == "ok" and confirmed["entries"][0]["ok"]
    assert confirmed["shapes"]["15"] == {"x": [[1, 3136]]}
    assert [f for f in findings if f.code in ("SL120", "SL204")] == []
    apply_confirmation(fa, confirmed, findings)
    assert fa.confirmed is confirmed and len(fa.findings) >= len(before)
    assert fa.shapes_json()["confirmed"]["shapes"]["16"] == {"out": [[1, 10]]}


def test_static_error_confirmed_by_torch(client, workspace):
    src = CALLED_CNN.replace("16 * 14 * 14", "16 * 14 * 13")
    fa = analysed(workspace, "cnn_bad.py", src)
    static = [f for f in fa.findings if f.span.line == 16 and f.severity == 1]
    confirmed, findings = confirm_analysis(client, fa, src, str(workspace.root))
    assert not confirmed["entries"][0]["ok"]
    assert "fc1 (Linear) expects 2912 input features but got 3136" in confirmed["entries"][0]["error"]
    if static:  # the engine found it first: torch's verdict marks it, no duplicate
        assert all(f.confirmed for f in static)
        assert not [f for f in findings if f.code == "SL120"]
    else:
        assert [f.span.line for f in findings if f.code == "SL120"] == [16]


def test_error_only_torch_sees_becomes_sl120(client, workspace):
    src = M.TRANSPOSE_TRAP.replace("import torch.nn as nn", "import torch\nimport torch.nn as nn")
    src += "\n\nmodel = Up()\nout = model(torch.randn(1, 3, 14, 14))\n"
    fa = analysed(workspace, "up.py", src)
    # Hide whatever the engine says, to see torch's own finding.
    fa.findings = [f for f in fa.findings if f.severity != 1]
    confirmed, findings = confirm_analysis(client, fa, src, str(workspace.root), cpu_check=True)
    (f,) = [f for f in findings if f.code == "SL120"]
    assert f.span.line == 11 and f.severity == 1 and f.confirmed
    assert f.message == ("torch raised (on CPU): up (ConvTranspose2d) expects 8 input channels but got 3 "
                         "(input shape (1, 3, 14, 14))")


def test_disagreement_and_failure_findings(workspace):
    fa = analysed(workspace, "cnn.py", CALLED_CNN)
    entries = model_entries(fa)
    fake = EntryResult(class_name="Net", ok=True, shapes={15: {"x": [(1, 999)]}})
    confirmed, findings = build_confirmation(fa, ConfirmOutcome(entries=[fake]), entries)
    (f,) = [f for f in findings if f.code == "SL204"]
    assert f.span.line == 15 and "(1, 999)" in f.message and "(1, 3136)" in f.message

    confirmed, findings = build_confirmation(fa, ConfirmOutcome(timed_out=True, reason="slow"), entries)
    assert confirmed["status"] == "timed_out"
    assert [(f.code, f.severity) for f in findings] == [("SL302", 3)]


def test_suppression_comment_applies(workspace):
    src = CALLED_CNN.replace("        x = x.view(x.size(0), -1)",
                             "        x = x.view(x.size(0), -1)  # shapelens: ignore[SL204]")
    fa = analysed(workspace, "cnn.py", src)
    fake = EntryResult(class_name="Net", ok=True, shapes={15: {"x": [(1, 999)]}})
    _, findings = build_confirmation(fa, ConfirmOutcome(entries=[fake]), model_entries(fa))
    assert not [f for f in findings if f.code == "SL204"]


def test_confirm_results_uses_pyproject_entries(client, workspace):
    workspace.write("pyproject.toml", textwrap.dedent(
        """\
        [[tool.shapelens.entries]]
        file = "resnet.py"
        call = "ResNet(BasicBlock, [1, 1, 1, 1], num_classes=3)"
        inputs = [["B", 3, 16, 16]]
        """))
    path = workspace.write("resnet.py", M.RESNET)
    from shapelens.config import find_pyproject, load_config

    cfg = load_config(find_pyproject(str(path)))
    fa = analyze(str(path), M.RESNET, entries=cfg.entries_for(str(path)))
    done = confirm_results([fa], client=client, symbol_values={"B": 4})
    assert len(done) == 1 and fa.confirmed is done[0]
    (entry,) = [e for e in fa.confirmed["entries"] if e["kind"] == "entry"]
    assert entry["ok"] and entry["output"] == [[4, 3]]
