"""Acceptance tests: real torch 2.13.0, real worker subprocesses."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from shapelens.confirm.client import ConfirmClient
from shapelens.confirm.messages import restate

from . import models as M

torch = pytest.importorskip("torch")


def run(client, workspace, name, source, entries, **kw):
    path = workspace.write(name, source)
    return client.confirm(str(path), source, str(workspace.root), entries, **kw)


def only(outcome):
    assert outcome.ok, (outcome.reason, outcome.stderr_tail)
    assert len(outcome.entries) == 1
    return outcome.entries[0]


def test_ping_and_protocol_stays_clean(client):
    info = client.ping()
    assert info["torch"] == torch.__version__.split("+")[0]
    assert isinstance(info["pid"], int)
    assert client.cold_start_seconds is not None


def test_cnn_shapes_match_a_real_forward(client, workspace):
    r = only(run(client, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}]))
    assert r.ok and r.error is None and r.device == "meta" and r.cpu_checked

    # What a real forward gives, step by step.
    import torch.nn.functional as F
    ns: dict = {}
    exec(compile(M.CNN.split("\n\nnet = Net()")[0], "cnn", "exec"), ns)
    net = ns["Net"]()
    x0 = torch.randn(1, 3, 28, 28)
    c1 = net.conv1(x0)
    x1 = net.pool(F.relu(c1))
    x2 = x1.view(x1.size(0), -1)
    out = net.fc1(x2)

    L = M.CNN_LINES
    assert r.shapes[L["conv"]] == {"x": [tuple(x1.shape)]}
    assert r.shapes[L["view"]] == {"x": [tuple(x2.shape)]}
    assert r.shapes[L["fc"]] == {"out": [tuple(out.shape)]}
    assert r.shapes[13] == {"x": [(1, 3, 28, 28)]}  # the parameter, at the def line
    assert r.calls[L["conv"]] == [tuple(c1.shape), tuple(x1.shape)]
    assert r.calls[L["conv"]][0] == (1, 16, 28, 28)
    assert [m.module for m in r.call_modules[L["conv"]]] == ["conv1", "pool"]
    assert r.output == [(1, 10)]


def test_cnn_error_names_layer_and_line(client, workspace):
    src = M.CNN.replace("16 * 14 * 14", "16 * 14 * 13")
    r = only(run(client, workspace, "cnn_bad.py", src, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}]))
    assert not r.ok
    e = r.error
    assert e.line == M.CNN_LINES["fc"] and e.module == "fc1" and e.module_type == "Linear"
    assert e.phase == "forward" and e.type == "RuntimeError"
    assert "Traceback" not in e.message
    assert restate(e) == "fc1 (Linear) expects 2912 input features but got 3136 (input shape (1, 3136))"
    # Shapes up to the failing line are still reported.
    assert r.shapes[M.CNN_LINES["view"]] == {"x": [(1, 3136)]}


def test_repeated_lines_gather_shapes_and_tuple_unpack(client, workspace):
    oc = run(client, workspace, "blocks.py", M.BLOCKS, [
        {"class": "Stack", "inputs": [["B", 3, 16, 16]]},
        {"class": "Seq", "inputs": [[2, 7]], "dtypes": ["int64"]},
    ], symbol_values={"B": 4})
    assert oc.ok
    stack, seq = oc.entries
    assert stack.ok and seq.ok, (stack.error, seq.error)
    # Block.forward line 12 ran once per block with 4 different widths.
    assert stack.shapes[12]["y"] == [(4, 8, 16, 16), (4, 16, 16, 16), (4, 32, 16, 16), (4, 64, 16, 16)]
    assert stack.output == [(4, 64, 16, 16)]
    # for target, assigned by the for statement
    assert "blk" not in stack.shapes.get(22, {})
    assert stack.shapes[23]["x"][-1] == (4, 64, 16, 16)
    # tuple unpack and a multi-line statement keyed by its first line
    assert seq.shapes[36] == {"out": [(2, 7, 20)], "h": [(1, 2, 20)], "c": [(1, 2, 20)]}
    assert seq.shapes[37] == {"logits": [(2, 5)]}
    assert seq.shapes[35] == {"e": [(2, 7, 10)]}


def test_error_only_torch_sees_is_at_the_right_line(client, workspace):
    oc = run(client, workspace, "spec.py", M.TORCH_ONLY_ERROR, [
        {"class": "Spectral", "inputs": [[2, 3, 8, 8]]},
        {"class": "Warp", "inputs": [[1, 3, 8, 8], [1, 4, 4, 3]]},
    ], cpu_check=False)
    spectral, warp = oc.entries
    assert not spectral.ok and spectral.error.line == 9 and spectral.error.device == "meta"
    assert spectral.error.module is None  # in the model's own forward, no submodule
    assert spectral.shapes[8] == {"y": [(2, 3, 8, 8)]}
    assert not warp.ok and warp.error.line == 16

    oc = run(client, workspace, "spec2.py", M.TORCH_ONLY_ERROR, [
        {"class": "Warp", "inputs": [[1, 3, 8, 8], [1, 4, 4, 3]]},
    ], cpu_check=True)
    warp = oc.entries[0]
    assert not warp.ok and warp.error.line == 16 and warp.error.device == "cpu"
    assert "grid" in warp.error.message


def test_conv_transpose_trap_meta_alone_vs_cpu_check(client, workspace):
    entry = [{"class": "Up", "inputs": [[1, 3, 14, 14]]}]
    meta_only = only(run(client, workspace, "up.py", M.TRANSPOSE_TRAP, entry, cpu_check=False))
    # The meta kernel accepts the wrong channel count.
    assert meta_only.ok and meta_only.output == [(1, 4, 28, 28)] and not meta_only.cpu_checked

    checked = only(run(client, workspace, "up.py", M.TRANSPOSE_TRAP, entry, cpu_check=True))
    assert not checked.ok and checked.cpu_checked
    e = checked.error
    assert e.device == "cpu" and e.line == 10 and e.module == "up" and e.module_type == "ConvTranspose2d"
    assert restate(e) == "up (ConvTranspose2d) expects 8 input channels but got 3 (input shape (1, 3, 14, 14))"


def test_constructor_error(client, workspace):
    r = only(run(client, workspace, "bad.py", M.CTOR_ERROR, [{"class": "Bad", "ctor": "Bad(4)", "inputs": [[1, 4]]}]))
    assert not r.ok and r.error.phase == "construct" and r.error.line == 7
    assert r.error.type == "ValueError" and r.error.message == "bad config"


def test_syntax_error_is_a_load_error(client, workspace):
    r = only(run(client, workspace, "broken.py", "def f(:\n", [{"class": "X", "inputs": []}]))
    assert not r.ok and r.error.phase == "load" and r.error.line == 1


def test_top_level_script_code_never_runs(client, workspace):
    t0 = time.monotonic()
    r = only(run(client, workspace, "hang_top.py", M.HANG_TOP, [{"class": "Tiny", "inputs": [[2, 3]]}]))
    assert r.ok and r.output == [(2, 3)]
    assert time.monotonic() - t0 < 30

    victim = workspace.write("precious.txt", "keep me")
    src = M.REMOVE_TOP.format(path=str(victim))
    r = only(run(client, workspace, "remover.py", src, [{"class": "Tiny", "inputs": [[2, 3]]}]))
    assert r.ok and r.shapes[6] == {"y": [(2, 3)]}
    assert victim.exists()


def test_workspace_imports_load_safely(client, workspace):
    marker = workspace.root / "side_effect.txt"
    effect = f"open({str(marker)!r}, 'w').write('ran')\n"
    workspace.write("blocks.py", M.BLOCKS + effect)
    rel = "from .blocks import Block\nimport torch.nn as nn\n\nclass M(nn.Module):\n" \
          "    def __init__(self):\n        super().__init__()\n        self.b = Block(3, 5)\n\n" \
          "    def forward(self, x):\n        z = self.b(x)\n        return z\n" + effect
    plain = rel.replace("from .blocks import", "from blocks import")
    for name, src in (("rel_model.py", rel), ("plain_model.py", plain)):
        r = only(run(client, workspace, name, src, [{"class": "M", "inputs": [[1, 3, 6, 6]]}]))
        assert r.ok, r.error
        assert r.shapes[10] == {"z": [(1, 5, 6, 6)]}
        assert r.calls[10] == [(1, 5, 6, 6)]
        # Block.forward lives in blocks.py: its lines are not this file's lines.
        assert 12 not in r.shapes
    assert not marker.exists()

    # A package with __init__.py and an absolute import from the workspace root.
    workspace.write("mypkg/__init__.py", effect)
    workspace.write("mypkg/layers.py", M.BLOCKS + effect)
    pkg_src = plain.replace("from blocks import", "from mypkg.layers import")
    workspace.write("models/__init__.py", "")
    r = only(run(client, workspace, "models/net.py", pkg_src, [{"class": "M", "inputs": [[1, 3, 6, 6]]}]))
    assert r.ok, r.error
    assert not marker.exists()


def test_crash_is_reported_and_worker_restarts(workspace):
    with ConfirmClient(timeout=60) as c:
        oc = run(c, workspace, "die.py", M.EXIT_FORWARD, [{"class": "Die", "inputs": [[1]]}])
        assert oc.crashed and not oc.entries and "exit code 3" in oc.reason
        r = only(run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}]))
        assert r.ok and c.starts == 2


def test_hanging_forward_times_out_without_blocking_other_threads(workspace):
    with ConfirmClient(timeout=2.0) as c:
        assert c.ping() is not None  # pay the cold start outside the 2 s budget
        first_pid = c.worker_pid
        result = {}

        def confirm():
            t0 = time.monotonic()
            result["outcome"] = run(c, workspace, "hang.py", M.HANG_FORWARD,
                                    [{"class": "Hang", "inputs": [[1, 3]]}])
            result["seconds"] = time.monotonic() - t0

        th = threading.Thread(target=confirm)
        th.start()
        # Meanwhile, trivial work on other threads (a hover) must stay fast.
        worst = 0.0
        time.sleep(0.2)
        while th.is_alive():
            t0 = time.monotonic()
            probe = threading.Thread(target=lambda: sum(range(100)))
            probe.start()
            probe.join()
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.05)
        th.join()
        oc = result["outcome"]
        assert oc.timed_out and not oc.entries
        assert result["seconds"] < 10
        assert worst < 0.1, worst
        assert not c.running

        # The next request restarts the worker.
        r = only(run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}],
                     timeout=60))
        assert r.ok and c.starts == 2 and c.worker_pid != first_pid


def test_cancel_interrupts_and_keeps_the_warm_worker(workspace):
    with ConfirmClient(timeout=60.0) as c:
        assert c.ping() is not None
        pid = c.worker_pid
        c.cancel()  # nothing in flight: a no-op, the idle worker survives
        assert c.running
        threading.Timer(0.5, c.cancel).start()
        t0 = time.monotonic()
        oc = run(c, workspace, "hang.py", M.HANG_FORWARD, [{"class": "Hang", "inputs": [[1, 3]]}])
        assert oc.cancelled and time.monotonic() - t0 < 5
        assert c.running and c.worker_pid == pid
        r = only(run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}]))
        assert r.ok and c.starts == 1


def test_cancel_kills_a_worker_that_ignores_the_interrupt(workspace):
    with ConfirmClient(timeout=60.0) as c:
        assert c.ping() is not None
        threading.Timer(0.3, c.cancel).start()
        t0 = time.monotonic()
        oc = run(c, workspace, "stubborn.py", M.SWALLOWS_INTERRUPT, [{"class": "Stubborn", "inputs": [[1]]}])
        assert oc.cancelled and "killed" in oc.reason
        assert time.monotonic() - t0 < 0.3 + c.CANCEL_GRACE + 3
        assert not c.running
        assert only(run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}])).ok
        assert c.starts == 2


def test_symbol_expressions_and_generators(client, workspace):
    r = only(run(client, workspace, "gen.py", M.GENERATOR,
                 [{"class": "Gen", "inputs": [["2", "T * 2", "H // 2"]]}], symbol_values={"T": 3, "H": 8}))
    assert r.ok, r.error
    assert r.shapes[12] == {"x": [(2, 6, 4)]}
    assert r.shapes[5] == {"x": [(2, 6, 4)]}  # the generator's parameter, at its def line
    assert r.shapes[7] == {"part": [(6, 4)]}  # not re-attributed on each resume
    assert 13 not in r.shapes  # a list of tensors is not a tensor
    assert r.shapes[14] == {"y": [(2, 6, 4)]}
    bad = only(run(client, workspace, "gen.py", M.GENERATOR, [{"class": "Gen", "inputs": [["T +"]]}]))
    assert not bad.ok and bad.error.phase == "inputs"


def test_interpreter_without_torch_is_unavailable(workspace):
    candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
    python = None
    for cand in candidates:
        try:
            probe = subprocess.run([cand, "-c", "import torch"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode != 0:
            python = cand
            break
    if python is None:
        pytest.skip("no interpreter without torch on this machine")
    with ConfirmClient(python=python, timeout=20) as c:
        oc = run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}])
        assert oc.unavailable and "torch" in oc.reason


def test_missing_interpreter_is_unavailable(workspace):
    with ConfirmClient(python="/nonexistent/python", timeout=5) as c:
        oc = run(c, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}])
        assert oc.unavailable and "/nonexistent/python" in oc.reason


def test_client_side_imports_no_torch_or_lsp():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import shapelens.confirm, shapelens.confirm.client, shapelens.confirm.messages, "
            "shapelens.confirm.loader, shapelens.confirm.importer, shapelens.confirm.merge\n"
            "bad = [m for m in ('torch', 'pygls', 'lsprotocol') if m in sys.modules]\n"
            "assert not bad, bad\n") % str(__import__("pathlib").Path(__file__).resolve().parents[2] / "server")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_timings(workspace, capsys):
    """Measure cold start and warm per-model confirmation (printed, not asserted)."""
    with ConfirmClient(timeout=60) as c:
        t0 = time.monotonic()
        assert c.ping() is not None
        cold = time.monotonic() - t0
        rows = []
        cases = [
            ("cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}]),
            ("blocks.py", M.BLOCKS, [{"class": "Stack", "inputs": [[2, 3, 32, 32]]}]),
            ("seq.py", M.BLOCKS, [{"class": "Seq", "inputs": [[2, 7]], "dtypes": ["int64"]}]),
        ]
        for name, src, entries in cases:
            for cpu in (False, True):
                run(c, workspace, name, src, entries, cpu_check=cpu)  # warm-up
                t1 = time.monotonic()
                oc = run(c, workspace, name, src, entries, cpu_check=cpu)
                rows.append((name, entries[0]["class"], cpu, time.monotonic() - t1, oc.entries[0].seconds))
        with capsys.disabled():
            print(f"\n[confirm timings] worker cold start (spawn + import torch): {cold:.3f} s "
                  f"(client measured {c.cold_start_seconds:.3f} s)")
            for name, cls, cpu, wall, inside in rows:
                print(f"[confirm timings] {cls:6s} cpu_check={cpu!s:5s} round trip {wall * 1000:7.1f} ms, "
                      f"in worker {inside * 1000:7.1f} ms")


def test_meta_unsupported_op_falls_back_to_cpu(client, workspace):
    entry = [{"class": "Gate", "inputs": [[2, 6]]}]
    meta_only = only(run(client, workspace, "gate.py", M.DATA_DEPENDENT, entry, cpu_check=False))
    assert not meta_only.ok and meta_only.meta_unsupported and meta_only.error.line == 7
    assert meta_only.error.device == "meta"

    both = only(run(client, workspace, "gate.py", M.DATA_DEPENDENT, entry, cpu_check=True))
    assert both.ok and both.device == "cpu" and both.meta_error is not None
    assert both.shapes[8]["y"][0][0] == 2


def test_ctor_expression_with_arguments_and_third_party_import(client, workspace):
    r = only(run(client, workspace, "resnet.py", M.RESNET, [
        {"class": "ResNet", "ctor": "ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)",
         "inputs": [[2, 3, 32, 32]]}]))
    assert r.ok, r.error
    assert r.output == [(2, 10)]
    # BasicBlock.forward ran 8 times at 4 resolutions
    assert r.shapes[20]["out"] == [(2, 16, 32, 32), (2, 32, 16, 16), (2, 64, 8, 8), (2, 128, 4, 4)]
    assert r.shapes[19]["x"] == [(2, 16, 32, 32), (2, 32, 16, 16), (2, 64, 8, 8), (2, 128, 4, 4)]  # parameters
    assert r.shapes[46] == {"tokens": [(2, 1, 128)]}
    assert r.calls[43] == [(2, 16, 32, 32)]
    assert r.calls[44] == [(2, 128, 4, 4)]  # the Sequential's output, not its children's


def test_user_code_reading_stdin_cannot_eat_requests(client, workspace):
    r = only(run(client, workspace, "ask.py", M.READS_STDIN, [{"class": "Ask", "inputs": [[1]]}]))
    assert not r.ok and r.error.type == "EOFError" and r.error.line == 5
    assert only(run(client, workspace, "cnn.py", M.CNN, [{"class": "Net", "inputs": [[1, 3, 28, 28]]}])).ok


def test_memory_limit_turns_a_huge_allocation_into_an_error(workspace):
    with ConfirmClient(timeout=60.0, memory_mb=2048) as c:
        oc = run(c, workspace, "hog.py", M.HOG, [{"class": "Hog", "inputs": [[2]]}])
        assert oc.ok, (oc.reason, oc.stderr_tail)
        r = oc.entries[0]
        assert not r.ok and r.error.line == 6, r.error
        assert c.running  # the worker survived its user's appetite


def test_server_cwd_cannot_shadow_the_worker(workspace, monkeypatch):
    """A ``json.py`` in the server's working directory must not break the worker."""
    workspace.write("json.py", "raise SystemExit('shadowed!')\n")
    monkeypatch.chdir(workspace.root)
    with ConfirmClient(timeout=60.0) as c:
        assert c.ping() is not None


def test_comprehensions_do_not_reattribute_outer_names(client, workspace):
    r = only(run(client, workspace, "multi.py", M.CLOSURES, [{"class": "Multi", "inputs": [[1, 3, 5, 5]]}]))
    assert r.ok, r.error
    assert "x" not in r.shapes.get(11, {})  # x is only read there (a closure variable)
    assert r.calls[11] == [(1, 4, 5, 5), (1, 6, 5, 5)]
    assert r.shapes[13] == {"o": [(1, 4, 5, 5), (1, 6, 5, 5)]}  # the comprehension variable
    assert r.shapes[14] == {"z": [(1, 10, 5, 5)]}
