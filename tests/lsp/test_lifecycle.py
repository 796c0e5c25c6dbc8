"""Server-level behaviour with their own servers: pull result ids, push xor pull, progress,
switches for lenses and hover, pyproject model entries, workspace folders."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.conftest import CLIENTS, SERVER, Session, start_session
from tests.lsp.samples import BAD, CNN

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

ENTRY_MODEL = '''import torch.nn as nn


class Head(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 3)

    def forward(self, x):
        return self.fc(x)
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env={**os.environ, "SHAPELENS_PROGRESS_AFTER_S": "0"}),
                    scope="module", params=CLIENTS)
async def quiet(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("life")
    (root / "pyproject.toml").write_text(
        '[[tool.shapelens.entries]]\nfile = "entry_model.py"\ncall = "Head(7)"\ninputs = [[4, 5]]\n')
    s = await start_session(lsp_client, request.param, str(root),
                            init_options={"codeLens": {"enable": False}, "hover": {"enable": False},
                                          "diagnostics": {"debounceMs": 20}})
    lsp_client.session = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def ls(quiet) -> Session:
    return quiet.session  # type: ignore[attr-defined]


async def test_pull_result_ids(ls):
    if not ls.pull:
        pytest.skip("push client")
    uri = ls.uri()
    ls.open(uri, BAD)
    tid = types.TextDocumentIdentifier(uri=uri)
    first = await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=tid))
    assert first.kind == "full" and first.result_id
    same = await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=tid, previous_result_id=first.result_id))
    assert same.kind == "unchanged" and same.result_id == first.result_id
    ls.change(uri, 2, CNN)
    after = await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=tid, previous_result_id=first.result_id))
    assert after.kind == "full" and after.result_id != first.result_id
    assert "SL101" not in [d.code for d in after.items]
    await asyncio.sleep(0.1)
    assert [p for p in ls.published if p.uri == uri] == []  # never both pull and push


async def test_push_client_gets_no_pull_provider(ls):
    caps = ls.init_result.capabilities
    assert (caps.diagnostic_provider is not None) == ls.pull
    assert (caps.inlay_hint_provider is not None) == ls.pull  # VS Code 1.65's recording has no inlay hints
    assert caps.position_encoding == ls.encoding
    assert "shapelens.modelSummary" in list(caps.execute_command_provider.commands)


async def test_switches_turn_lenses_and_hover_off(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    tid = types.TextDocumentIdentifier(uri=uri)
    assert not await ls.client.text_document_code_lens_async(types.CodeLensParams(text_document=tid))
    assert await ls.client.text_document_hover_async(types.HoverParams(
        text_document=tid, position=types.Position(line=12, character=8))) is None


async def test_pyproject_entry_feeds_the_model(ls):
    path = Path(ls.root, "entry_model.py")
    path.write_text(ENTRY_MODEL)
    uri = path.as_uri()
    ls.open(uri, ENTRY_MODEL)
    (d,) = [d for d in await ls.ready(uri) if d.code == "SL101"]
    assert "fc expects 7 input features (n) but x has shape (4, 5)" in d.message


async def test_progress_reported_when_supported(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    for _ in range(200):
        reports = [r for token, rs in ls.client.progress_reports.items() for r in rs]
        kinds = [getattr(r, "kind", None) for r in reports]
        if "end" in kinds:
            break
        await asyncio.sleep(0.01)
    assert kinds[:1] == ["begin"] and "end" in kinds
