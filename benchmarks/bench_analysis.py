#!/usr/bin/env python3
"""Speed and memory of the analysis, as ratios to `ast.parse` of the same text, and the
language server's time from start to first diagnostics.

    python benchmarks/bench_analysis.py [PATH...]     (default: examples/ and tests/seed/)

Ratios, not absolute times: these machines are shared and noisy. Each figure is the median of
several runs.
"""

from __future__ import annotations

import ast
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from shapelens.analysis.analyze import analyze  # noqa: E402
from shapelens.analysis.project import Project  # noqa: E402
from shapelens.cli import iter_python_files  # noqa: E402

REPEAT = 7


def median_time(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def synthetic_large(n_models: int = 60) -> str:
    """A large file: many CNN classes each with a call site."""
    parts = ["import torch", "import torch.nn as nn", ""]
    for i in range(n_models):
        parts += [
            f"class Net{i}(nn.Module):",
            "    def __init__(self):",
            "        super().__init__()",
            f"        self.conv1 = nn.Conv2d(3, {8 + i % 8}, 3, padding=1)",
            f"        self.conv2 = nn.Conv2d({8 + i % 8}, 16, 3, padding=1)",
            "        self.pool = nn.MaxPool2d(2)",
            "        self.fc = nn.Linear(16 * 8 * 8, 10)",
            "",
            "    def forward(self, x):",
            "        x = self.pool(torch.relu(self.conv1(x)))",
            "        x = self.pool(torch.relu(self.conv2(x)))",
            "        x = torch.flatten(x, 1)",
            "        return self.fc(x)",
            "",
            f"out{i} = Net{i}()(torch.randn(2, 3, 32, 32))",
            "",
        ]
    return "\n".join(parts) + "\n"


def bench_file(path: str, text: str) -> dict:
    project = Project(roots=[os.path.dirname(path)])
    analyze(path, text, project)  # warm caches (imports of other files, rule tables)
    t_parse = median_time(lambda: ast.parse(text))
    t_analyze = median_time(lambda: analyze(path, text, project))
    m_parse = peak_bytes(lambda: ast.parse(text))
    m_analyze = peak_bytes(lambda: analyze(path, text, project))
    return {
        "file": os.path.relpath(path, ROOT) if path.startswith(str(ROOT)) else path,
        "lines": text.count("\n") + 1,
        "parse_ms": t_parse * 1e3,
        "analyze_ms": t_analyze * 1e3,
        "time_ratio": t_analyze / t_parse if t_parse else float("nan"),
        "memory_ratio": m_analyze / m_parse if m_parse else float("nan"),
    }


def lsp_message(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def server_first_diagnostics(path: str) -> tuple[float, float]:
    """Seconds from spawning the server to (initialize answered, first publishDiagnostics)."""
    text = Path(path).read_text()
    uri = Path(path).resolve().as_uri()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "shapelens"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "server")})
    try:
        proc.stdin.write(lsp_message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                      "params": {"processId": os.getpid(), "rootUri": Path(path).parent.as_uri(), "capabilities": {}}}))
        proc.stdin.flush()
        while "id" not in (msg := read_message(proc.stdout)) or msg.get("id") != 1:
            pass
        t_init = time.perf_counter() - t0
        proc.stdin.write(lsp_message({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        proc.stdin.write(lsp_message({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}))
        proc.stdin.flush()
        while True:
            msg = read_message(proc.stdout)
            if msg.get("method") == "textDocument/publishDiagnostics":
                break
            if "id" in msg and "method" in msg:  # a request from the server (configuration...): answer null
                proc.stdin.write(lsp_message({"jsonrpc": "2.0", "id": msg["id"], "result": None}))
                proc.stdin.flush()
        return t_init, time.perf_counter() - t0
    finally:
        proc.kill()
        proc.wait()


def main(argv: list[str]) -> int:
    paths = argv or [str(ROOT / "examples"), str(ROOT / "tests" / "seed")]
    files = [f for f in iter_python_files([p for p in paths if os.path.exists(p)])]
    rows = []
    for f in files:
        rows.append(bench_file(os.path.abspath(f), Path(f).read_text()))
    big = ROOT / "benchmarks" / ".cache" / "synthetic_large.py"
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_text(synthetic_large())
    rows.append(bench_file(str(big), big.read_text()))
    print(f"{'file':<48} {'lines':>5} {'parse ms':>9} {'analyse ms':>10} {'time ×':>7} {'memory ×':>8}")
    for r in rows:
        print(f"{r['file'][-48:]:<48} {r['lines']:>5} {r['parse_ms']:>9.2f} {r['analyze_ms']:>10.2f} {r['time_ratio']:>7.1f} {r['memory_ratio']:>8.1f}")
    ratios = [r["time_ratio"] for r in rows]
    mems = [r["memory_ratio"] for r in rows]
    print(f"\nanalysis ÷ ast.parse time: median {statistics.median(ratios):.1f}×, max {max(ratios):.1f}× over {len(rows)} files")
    print(f"analysis ÷ ast.parse peak memory: median {statistics.median(mems):.1f}×, max {max(mems):.1f}×")
    target = next((f for f in files if f.endswith("example1.py")), files[0] if files else None)
    if target:
        runs = [server_first_diagnostics(os.path.abspath(target)) for _ in range(3)]
        print(f"server: start → initialize answered {statistics.median(r[0] for r in runs) * 1e3:.0f} ms, "
              f"start → first diagnostics {statistics.median(r[1] for r in runs) * 1e3:.0f} ms "
              f"(didOpen is analysed at once, without the edit debounce) on {os.path.relpath(target, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
