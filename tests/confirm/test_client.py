"""ConfirmClient pieces that need no worker: settings and typed results."""

from __future__ import annotations

from shapelens.confirm.client import ConfirmClient, ConfirmOutcome, EntryResult, TorchError
from shapelens.settings import Settings


def test_client_from_settings_is_lazy():
    c = ConfirmClient.from_settings(Settings().confirm)
    assert c.timeout == 10.0 and c.memory_mb == 4096 and c.python  # empty python -> ours
    assert not c.running and c.starts == 0
    c.close()


def test_from_json_types():
    data = {
        "entries": [
            {
                "class": "Net", "ctor": "Net()", "ok": False, "seconds": 0.01, "device": "meta",
                "shapes": {"14": {"x": [[1, 16, 14, 14]]}},
                "calls": {"14": [[1, 16, 28, 28], [1, 16, 14, 14]]},
                "call_modules": {"14": [{"module": "conv1", "type": "Conv2d", "shapes": [[1, 16, 28, 28]]}]},
                "output": None,
                "error": {"line": 16, "type": "RuntimeError", "message": "m", "module": "fc1",
                          "module_type": "Linear", "module_attrs": {"in_features": 3136},
                          "input_shapes": [[1, 4096]], "phase": "forward", "device": "cpu"},
                "cpu_checked": True,
            }
        ]
    }
    oc = ConfirmOutcome.from_json(data, 0.5)
    assert oc.ok and oc.seconds == 0.5
    (r,) = oc.entries
    assert isinstance(r, EntryResult) and r.class_name == "Net" and not r.ok
    assert r.shapes == {14: {"x": [(1, 16, 14, 14)]}}
    assert r.calls[14][0] == (1, 16, 28, 28)
    assert r.call_modules[14][0].module == "conv1"
    assert isinstance(r.error, TorchError) and r.error.input_shapes == ((1, 4096),)
    assert r.error.module_attrs["in_features"] == 3136 and r.output is None
    assert TorchError.from_json(None) is None


def test_failure_outcomes_are_not_ok():
    for kw in ({"timed_out": True}, {"crashed": True}, {"cancelled": True}, {"unavailable": True}):
        assert not ConfirmOutcome(**kw).ok
