"""Torch confirmation through the language server (issue 5), end to end with a real worker.

The server runs with ``confirm.enable`` on (short delay, 2 s time limit) for both recorded
clients; the worker is the real ``shapelens.confirm.worker`` with torch. Worker processes are
observed in the process list as children of the server process.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import threading
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from shapelens.confirm.client import ConfirmOutcome, EntryResult
from shapelens.lsp import confirmation as confirmation_mod
from shapelens.lsp import hover as hover_mod
from shapelens.lsp.server import create_server
from shapelens.settings import Settings, parse_settings
from tests.lsp.conftest import CLIENTS, SERVER, Session, find, position, start_session
from tests.lsp.samples import CNN

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "correct"
TIMEOUT_S = 2
CONFIRM = {"diagnostics": {"debounceMs": 30},
           "confirm": {"enable": True, "delayMs": 200, "timeoutSeconds": TIMEOUT_S}}
CONFIRMED = "confirmed by torch"

# torch.fft is unknown to the engine (SL301, shapes unknown); torch raises: dim 3 of a 3-d tensor.
SPECTRAL = '''import torch
import torch.nn as nn


class Spectral(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 16)

    def forward(self, x):
        h = self.proj(x)
        f = torch.fft.rfft2(h, dim=(1, 3))
        return f.real


net = Spectral()
out = net(torch.randn(2, 8, 16))
'''

SPIN = '''import torch
import torch.nn as nn


class Spin(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        y = self.fc(x)
        while True:
            pass
        return y


net = Spin()
out = net(torch.randn(3, 4))
'''

# Version 1 sleeps in forward past the 2 s limit (then would hit the torch-only error); version 2
# fixes both. Left alone, version 1 ends as SL302 (killed).
SLOW_BAD = '''import time

import torch
import torch.nn as nn


class Slow(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 16)

    def forward(self, x):
        time.sleep(5)
        h = self.proj(x)
        f = torch.fft.rfft2(h, dim=(1, 3))
        return f.real


net = Slow()
out = net(torch.randn(2, 8, 16))
'''
SLOW_FIXED = SLOW_BAD.replace("        time.sleep(5)\n", "").replace("dim=(1, 3)", "dim=(1, 2)")


# ------------------------------------------------------------------------------- helpers
def worker_pids(server_pid: int) -> set[int]:
    """Live confirm workers started by the server process (from /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if int(fields[1]) == server_pid and fields[0] != "Z" and b"shapelens.confirm.worker" in cmdline:
            out.add(int(entry))
    return out


async def until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def write(ls: Session, uri: str, text: str) -> None:
    Path(uri[len("file://"):]).write_text(text)


async def hover(ls: Session, uri: str, text: str, line: int, col: int) -> str:
    pos = position(text.split("\n")[line], col, line, ls.encoding)
    got = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos))
    return got.contents.value if got is not None else ""


def forward_targets(text: str) -> list[tuple[int, int]]:
    """(0-based line, column) of each simple assignment target inside `forward` bodies."""
    out, inside = [], False
    for i, ln in enumerate(text.split("\n")):
        if re.match(r"\s+def forward\(", ln):
            inside = True
        elif re.match(r"\s*(def |class |if __name__)", ln) or (ln and not ln[0].isspace()):
            inside = False
        elif inside and (m := re.match(r"^(\s+)(\w+) = ", ln)):
            out.append((i, len(m.group(1))))
    return out


def confirm_tokens(ls: Session, filename: str) -> list[str]:
    """Progress tokens of confirmation runs for `filename` (begin seen)."""
    out = []
    for token, reports in list(ls.client.progress_reports.items()):
        if not str(token).startswith("shapelens-confirm-") or not reports:
            continue
        begin = reports[0]
        if getattr(begin, "kind", None) == "begin" and begin.message == filename:
            out.append(token)
    return out


def ended(ls: Session, token: str) -> bool:
    return any(getattr(r, "kind", None) == "end" for r in ls.client.progress_reports.get(token, []))


async def codes(ls: Session, uri: str, version: int) -> list[types.Diagnostic]:
    return await ls.diagnostics(uri, version)


# ------------------------------------------------------------------------------- fixtures
@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module", params=CLIENTS)
async def confirming(lsp_client: LanguageClient, request, tmp_path_factory):
    s = await start_session(lsp_client, request.param, str(tmp_path_factory.mktemp("confirm")),
                            init_options=CONFIRM)
    s.server_pid = lsp_client._server.pid  # type: ignore[attr-defined]
    lsp_client.session = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def ls(confirming) -> Session:
    return confirming.session  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("example", ["mnist_cnn.py", "cifar_lenet.py", "resnet_basic_block.py"])
async def test_examples_hover_confirmed(ls, example):
    text = (EXAMPLES / example).read_text()
    uri = ls.uri(example[:-3])
    write(ls, uri, text)
    ls.open(uri, text)
    await ls.ready(uri)
    targets = forward_targets(text)
    assert targets

    async def all_answered() -> list[str] | None:
        hovers = [await hover(ls, uri, text, line, col) for line, col in targets]
        return hovers if sum(CONFIRMED in h for h in hovers) >= 3 else None

    hovers = await until(all_answered, 30, f"{example}: hovers marked confirmed")
    # Where torch saw the name (dropout returns its input object, so torch does not record
    # those lines) it agrees with the engine: never "· torch: (…)".
    assert not [h for h in hovers if "· torch:" in h]
    assert ls.server_pid and worker_pids(ls.server_pid)
    assert not [d for d in await codes(ls, uri, 1) if d.code in ("SL120", "SL204", "SL302")]


async def test_error_only_torch_sees(ls):
    uri = ls.uri("spectral")
    write(ls, uri, SPECTRAL)
    ls.open(uri, SPECTRAL)
    static = await ls.ready(uri)
    before = None
    if ls.pull:  # the report's result id from before the confirmation
        before = (await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), identifier="shapelens"))).result_id
    assert not [d for d in static if d.severity == types.DiagnosticSeverity.Error]
    assert "SL301" in [d.code for d in static]  # the engine does not know torch.fft.rfft2

    async def sl120():
        return [d for d in await codes(ls, uri, 1) if d.code == "SL120"]

    (d,) = await until(sl120, 30, "SL120 from the confirmation")
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range.start.line == find(SPECTRAL, "f = torch.fft.rfft2")[0]
    assert d.message.startswith("torch raised") and "dim" in d.message.lower()
    if before is not None:  # a pull with the old result id must not be told "unchanged"
        report = await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), identifier="shapelens",
            previous_result_id=before))
        assert report.kind == "full" and "SL120" in [x.code for x in report.items]


async def warm(ls: Session) -> None:
    """Open a small model and wait for its confirmation: the worker is then started and idle."""
    uri = ls.uri("warm")
    write(ls, uri, CNN)
    ls.open(uri, CNN)
    await ls.ready(uri)
    line, col = find(CNN, "x = self.fc1(x)")

    async def confirmed() -> bool:
        return CONFIRMED in await hover(ls, uri, CNN, line, col)

    await until(confirmed, 60, "the warm-up confirmation")
    ls.close(uri)


async def confirmed_within(ls: Session, uri: str, text: str, needle: str, timeout: float) -> float:
    """Seconds until hover over `needle` says confirmed (fails after `timeout`)."""
    line, col = find(text, needle)
    t0 = time.monotonic()

    async def confirmed() -> bool:
        return CONFIRMED in await hover(ls, uri, text, line, col)

    await until(confirmed, timeout, f"{needle!r} confirmed", interval=0.02)
    return time.monotonic() - t0


async def test_edit_cancels_the_running_confirmation(ls):
    await warm(ls)
    workers = worker_pids(ls.server_pid)
    uri = ls.uri(f"slow_{ls.kind[:6]}")
    filename = uri.rsplit("/", 1)[1]
    write(ls, uri, SLOW_BAD)
    ls.open(uri, SLOW_BAD)
    await ls.ready(uri)
    (token,) = await until(lambda: confirm_tokens(ls, filename), 30, "the confirmation to start")
    await asyncio.sleep(0.3)  # the model is now sleeping in forward
    ls.change(uri, 2, SLOW_FIXED)
    # Version 2 waits for the debounce, confirm.delayMs (0.2 s) and the one-at-a-time worker: had
    # version 1 not been interrupted, it would come after its 2 s limit, the kill and a new worker.
    took = await confirmed_within(ls, uri, SLOW_FIXED, "h = self.proj(x)", 30)
    print(f"\n[{ls.kind}] edit during a confirmation: version 2 confirmed {took:.2f} s after the edit")
    assert took < 1.5
    assert ended(ls, token)
    assert worker_pids(ls.server_pid) == workers  # interrupted, not killed: the worker stays warm
    assert not [d for d in await codes(ls, uri, 2) if d.code in ("SL120", "SL302")]
    # Nothing of version 1's run was ever shown (push clients: nothing published carried it).
    assert not [d for p in ls.published if p.uri == uri for d in p.diagnostics if d.code in ("SL120", "SL302")]
    ls.close(uri)


async def test_did_close_cancels(ls):
    await warm(ls)
    uri = ls.uri(f"closed_{ls.kind[:6]}")
    filename = uri.rsplit("/", 1)[1]
    write(ls, uri, SLOW_BAD)
    ls.open(uri, SLOW_BAD)
    await ls.ready(uri)
    (token,) = await until(lambda: confirm_tokens(ls, filename), 30, "the confirmation to start")
    await asyncio.sleep(0.3)
    ls.close(uri)
    other = ls.uri("after_close")
    write(ls, other, CNN)
    ls.open(other, CNN)
    took = await confirmed_within(ls, other, CNN, "x = self.fc1(x)", 30)
    assert took < 1.5 and ended(ls, token)
    ls.close(other)


async def test_hanging_forward_is_killed_and_hover_keeps_answering(ls):
    await warm(ls)
    uri = ls.uri(f"spin_{ls.kind[:6]}")
    filename = uri.rsplit("/", 1)[1]
    write(ls, uri, SPIN)
    ls.open(uri, SPIN)
    await ls.ready(uri)
    (token,) = await until(lambda: confirm_tokens(ls, filename), 30, "the confirmation to start")
    began = time.monotonic()
    assert ls.client.progress_reports[token][0].title == "Confirming shapes with torch…"
    hang_workers = worker_pids(ls.server_pid)
    assert hang_workers
    line, col = find(SPIN, "y = self.fc(x)")
    latencies = []
    while not ended(ls, token) and time.monotonic() - began < 30:
        t0 = time.perf_counter()
        text = await hover(ls, uri, SPIN, line, col)
        latencies.append(time.perf_counter() - t0)
        assert "(3, 2)" in text
        await asyncio.sleep(0.05)
    took = time.monotonic() - began
    print(f"\n[{ls.kind}] hanging forward stopped after {took:.2f} s; {len(latencies)} hovers meanwhile: "
          f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    assert ended(ls, token)
    assert TIMEOUT_S - 0.5 <= took <= TIMEOUT_S + 2.0  # the time limit plus the kill
    assert len(latencies) >= 10 and max(latencies) < 0.1

    async def sl302():
        return [d for d in await codes(ls, uri, 1) if d.code == "SL302"]

    (d,) = await until(sl302, 10, "SL302 for the killed run")
    assert d.severity == types.DiagnosticSeverity.Information
    assert "torch could not confirm" in d.message and f"{TIMEOUT_S:g} s" in d.message
    assert d.range.start.line == find(SPIN, "class Spin")[0]
    assert not (hang_workers & worker_pids(ls.server_pid))  # that worker was killed
    ls.close(uri)


# ------------------------------------------------------------------------------- off
@pytest.mark.parametrize("init", [
    pytest.param({"diagnostics": {"debounceMs": 30}, "confirm": {"delayMs": 0}}, id="default-off"),
    pytest.param({"diagnostics": {"debounceMs": 30}, "confirm": {"enable": True, "delayMs": 0},
                  "workspaceTrusted": False}, id="untrusted"),
])
async def test_no_worker_when_off(init, tmp_path):
    client = await ClientServerConfig(server_command=SERVER).start()
    try:
        s = await start_session(client, "visual-studio-code", str(tmp_path), init_options=init)
        pid = client._server.pid
        uri = s.uri("mnist")
        text = (EXAMPLES / "mnist_cnn.py").read_text()
        write(s, uri, text)
        s.open(uri, text)
        await s.ready(uri)
        s.change(uri, 2, text + "\n")
        await s.ready(uri, 2)
        await asyncio.sleep(1.0)  # well past confirm.delayMs
        assert worker_pids(pid) == set()
        assert not confirm_tokens(s, uri.rsplit("/", 1)[1])
        line, col = find(text, "x = self.conv2(x)")
        assert CONFIRMED not in await hover(s, uri, text, line, col)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_shutdown_stops_the_worker(tmp_path):
    client = await ClientServerConfig(server_command=SERVER).start()
    try:
        s = await start_session(client, "visual-studio-code", str(tmp_path), init_options=CONFIRM)
        pid = client._server.pid
        uri = s.uri("mnist")
        text = (EXAMPLES / "mnist_cnn.py").read_text()
        write(s, uri, text)
        s.open(uri, text)
        await s.ready(uri)
        line, col = find(text, "x = self.conv2(x)")

        async def confirmed() -> bool:
            return CONFIRMED in await hover(s, uri, text, line, col)

        await until(confirmed, 30, "the confirmation")
        workers = worker_pids(pid)
        assert len(workers) == 1
    finally:
        await client.shutdown_session()
        await client.stop()
    (worker,) = workers

    def gone() -> bool:
        try:
            with open(f"/proc/{worker}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True

    await until(gone, 5, "the worker to exit")


# ------------------------------------------------------------------------------- in process
class FakeClient:
    """Stands in for ConfirmClient in process: records what the scheduler does with it."""

    made: list["FakeClient"] = []

    def __init__(self, python=None, timeout=10.0, memory_mb=4096):
        self.python, self.timeout, self.memory_mb = python, timeout, memory_mb
        self.calls, self.cancels, self.closed = 0, 0, False
        self.release = threading.Event()
        self.release.set()  # answer at once unless a test holds it
        self.torch_version, self.starts, self.worker_pid, self.cold_start_seconds = "fake", 0, None, None
        FakeClient.made.append(self)

    @classmethod
    def from_settings(cls, s):
        return cls(s.python or None, s.timeout_seconds, s.memory_mb)

    def confirm(self, path, source, root, entries, cpu_check=True, symbol_values=None, timeout=None):
        self.calls += 1
        self.release.wait(10)
        line = next(i for i, ln in enumerate(source.split("\n"), 1) if "x = self.fc1(x)" in ln)
        return ConfirmOutcome(entries=[EntryResult(class_name=e["class"], ok=True, shapes={line: {"x": [(1, 10)]}})
                                       for e in entries])

    def cancel(self):
        self.cancels += 1  # a run that cannot be interrupted: its answer still comes back

    def close(self):
        self.closed = True


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setattr(confirmation_mod, "ConfirmClient", FakeClient)
    FakeClient.made = []
    srv = create_server()
    srv.pull_diagnostics = True  # no client to push to
    srv.test_uri = f"file://{tmp_path}/model.py"
    yield srv
    srv.confirmation.shutdown()


def confirm_settings(**confirm) -> Settings:
    return parse_settings({"confirm": {"enable": True, "delayMs": 0, **confirm}})


async def settle(srv) -> None:
    """Wait for the pending confirmation runs (and their executor work) to finish."""
    for _ in range(3):
        tasks = [t for t in srv.confirmation._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        await asyncio.sleep(0.05)


async def test_in_process_settings_rebuild_and_disable(server):
    server.set_settings(confirm_settings(timeoutSeconds=3))
    state = server.open(server.test_uri, 1, CNN)
    await server.analyse(state)
    await settle(server)
    (first,) = FakeClient.made
    assert first.timeout == 3 and first.calls == 1
    assert CONFIRMED in hover_mod.hover_markdown(state.latest.analysis, find(CNN, "x = self.fc1(x)")[0] + 1, 8)
    server.set_settings(confirm_settings(timeoutSeconds=4))  # a limit changed: new client, confirmed again
    await settle(server)
    await until(lambda: first.closed, 5, "the old client closed")
    assert [c.timeout for c in FakeClient.made] == [3, 4] and FakeClient.made[1].calls == 1
    server.set_settings(confirm_settings(timeoutSeconds=4, symbolValues={"B": 3}))  # same client, new answer
    await settle(server)
    assert len(FakeClient.made) == 2 and FakeClient.made[1].calls == 2
    server.set_settings(parse_settings({}))  # off: the worker is stopped
    await until(lambda: FakeClient.made[1].closed, 5, "the client closed")
    assert server.confirmation.client is None
    server.update(state, 2, CNN + "\n")
    await server.analyse(state)
    await settle(server)
    assert len(FakeClient.made) == 2 and state.latest.analysis.confirmed is None


@pytest.mark.parametrize("trusted,settings", [(True, {}), (False, {"confirm": {"enable": True, "delayMs": 0}})],
                         ids=["default-off", "untrusted"])
async def test_in_process_off_never_builds_a_client(server, trusted, settings):
    server.trusted = trusted
    server.set_settings(parse_settings(settings))
    state = server.open(server.test_uri, 1, CNN)
    await server.analyse(state)
    await settle(server)
    assert FakeClient.made == [] and server.confirmation.client is None
    assert state.latest.analysis.confirmed is None


async def test_in_process_stale_answer_is_dropped(server):
    server.set_settings(confirm_settings())
    FakeClient.made = []
    state = server.open(server.test_uri, 1, CNN)
    client = server.confirmation._ensure_client()
    client.release.clear()  # the worker "runs" until released
    await server.analyse(state)
    v1 = state.latest.analysis
    await until(lambda: client.calls == 1, 5, "the run to start")
    server.update(state, 2, CNN + "\n")  # an edit while it runs
    assert client.cancels == 1
    client.release.set()  # the answer for version 1 comes back anyway
    await server.analyse(state)
    await settle(server)
    assert v1.confirmed is None  # never merged into the old analysis
    assert state.latest.analysis is not v1 and state.latest.analysis.confirmed is not None
    assert client.calls == 2
