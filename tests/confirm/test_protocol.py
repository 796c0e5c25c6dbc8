"""The raw JSON-lines protocol of ``python -m shapelens.confirm.worker``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SERVER = str(Path(__file__).resolve().parents[2] / "server")

NOISY = '''\
import sys
import torch.nn as nn

class Noisy(nn.Module):
    print("class body prints")

    def forward(self, x):
        print("forward prints")
        sys.stdout.write("raw write\\n")
        import os; os.write(1, b"fd 1 write\\n")
        y = x * 2
        return y
'''


def test_raw_protocol_only_json_on_stdout(tmp_path):
    model = tmp_path / "noisy.py"
    model.write_text(NOISY)
    requests = [
        "this is not json",
        json.dumps({"id": 1, "method": "ping"}),
        json.dumps({"id": 2, "method": "nope"}),
        json.dumps({"id": 3, "method": "confirm", "params": {
            "path": str(model), "source": NOISY, "root": str(tmp_path),
            "entries": [{"class": "Noisy", "ctor": "Noisy()", "inputs": [["B", 4]], "dtypes": ["float16"]}],
            "cpu_check": True, "symbol_values": {"B": 3}}}),
        json.dumps({"id": 4, "method": "confirm", "params": {
            "path": str(model), "source": None, "root": str(tmp_path),
            "entries": [{"class": "Noisy", "inputs": [[2]], "dtypes": ["complex128"]}]}}),
        json.dumps({"method": "exit"}),
    ]
    env = dict(os.environ, PYTHONPATH=SERVER)
    proc = subprocess.run([sys.executable, "-m", "shapelens.confirm.worker", "--memory-mb", "4096"],
                          input="\n".join(requests) + "\n", capture_output=True, text=True,
                          env=env, timeout=120, cwd=SERVER)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    msgs = [json.loads(line) for line in lines]  # every stdout line is protocol JSON
    assert msgs[0]["event"] == "ready" and msgs[0]["result"]["torch"]
    assert msgs[1]["id"] is None and msgs[1]["error"]["type"] == "parse"
    assert msgs[2]["id"] == 1 and msgs[2]["result"]["pid"] > 0
    assert msgs[3]["id"] == 2 and msgs[3]["error"]["type"] == "method"
    entry = msgs[4]["result"]["entries"][0]
    assert msgs[4]["id"] == 3 and entry["ok"] and entry["shapes"]["11"] == {"y": [[3, 4]]}
    assert entry["device"] == "meta" and entry["cpu_checked"]
    bad = msgs[5]["result"]["entries"][0]
    assert not bad["ok"] and bad["error"]["phase"] == "inputs" and "complex128" in bad["error"]["message"]
    assert len(msgs) == 6
    # user output went to the log instead
    assert "forward prints" in proc.stderr and "fd 1 write" in proc.stderr
