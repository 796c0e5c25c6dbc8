"""Starting the server: stdio via `python -m shapelens`, TCP, stdout guard, lean imports, and
the time from start to first diagnostics (printed, for the benchmark)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.lsp.samples import BAD


def frame(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream) -> dict:
    headers = {}
    while True:
        line = stream.readline()
        if not line:
            raise EOFError
        line = line.strip()
        if not line:
            break
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    return json.loads(stream.read(int(headers["content-length"])))


def init_messages(uri: str, text: str) -> list[dict]:
    return [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}}},
    ]


def first_diagnostics(cmd: list[str], tmp_path) -> tuple[float, dict, list[dict]]:
    uri = (tmp_path / "model.py").as_uri()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for m in init_messages(uri, BAD):
            proc.stdin.write(frame(m))
        proc.stdin.flush()
        seen = []
        while True:
            msg = read_message(proc.stdout)
            seen.append(msg)
            if msg.get("method") == "textDocument/publishDiagnostics":
                return time.perf_counter() - started, msg, seen
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("cmd", [[sys.executable, "-m", "shapelens"],
                                 [os.path.join(os.path.dirname(sys.executable), "shapelens"), "--stdio"]],
                         ids=["python-m", "script"])
def test_stdio_start_to_first_diagnostics(cmd, tmp_path):
    if not os.path.exists(cmd[0]):
        pytest.skip("console script not installed")
    seconds, msg, seen = first_diagnostics(cmd, tmp_path)
    codes = [d["code"] for d in msg["params"]["diagnostics"]]
    assert "SL101" in codes
    assert msg["params"]["version"] == 1
    init = next(m for m in seen if m.get("id") == 1)
    assert init["result"]["serverInfo"]["name"] == "shapelens"
    print(f"\nstart → first diagnostics: {seconds:.3f} s")
    assert seconds < 10


def test_stdout_stays_clean_when_code_prints(tmp_path):
    """A stray print() in the server process goes to stderr, not into the protocol stream."""
    code = ("import builtins, shapelens.lsp.server as s\n"
            "orig = s.run_analysis\n"
            "def noisy(*a):\n    print('stray output')\n    return orig(*a)\n"
            "s.run_analysis = noisy\n"
            "raise SystemExit(s.serve())\n")
    seconds, msg, seen = first_diagnostics([sys.executable, "-c", code], tmp_path)
    assert msg["params"]["diagnostics"]


def test_tcp(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "shapelens", "--tcp", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not listen"
                time.sleep(0.1)
        with conn:
            uri = (tmp_path / "m.py").as_uri()
            for m in init_messages(uri, BAD):
                conn.sendall(frame(m))
            stream = conn.makefile("rb")
            while True:
                msg = read_message(stream)
                if msg.get("method") == "textDocument/publishDiagnostics":
                    assert "SL101" in [d["code"] for d in msg["params"]["diagnostics"]]
                    break
    finally:
        proc.kill()
        proc.wait()


def test_bad_tcp_address():
    r = subprocess.run([sys.executable, "-m", "shapelens", "--tcp", "nowhere"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "HOST:PORT" in r.stderr


def test_server_never_imports_torch():
    code = ("import sys\n"
            "from shapelens.lsp.server import create_server\n"
            "from shapelens.lsp.documents import Snapshot, Projects, run_analysis\n"
            "from tests.lsp.samples import CNN\n"
            "create_server()\n"
            "p = Projects()\n"
            "r = run_analysis(Snapshot('file:///tmp/x.py', '/tmp/x.py', 1, CNN), p.for_path('/tmp/x.py'), [])\n"
            "assert r.analysis.models, 'analysed'\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert r.returncode == 0, r.stderr


def test_log_file(tmp_path):
    log = tmp_path / "server.log"
    seconds, msg, seen = first_diagnostics([sys.executable, "-m", "shapelens", "--stdio", "--log-file", str(log)], tmp_path)
    text = log.read_text()
    assert "initialize:" in text and "first diagnostics" in text
