"""Inlay hints in UTF-16: VS Code's recorded 1.65 capabilities plus the inlay hint support every
current VS Code announces."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.conftest import SERVER, Session, find, position, start_session
from tests.lsp.samples import UNICODE

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def vscode(lsp_client: LanguageClient, tmp_path_factory):
    caps = client_capabilities("visual-studio-code")
    caps.text_document.inlay_hint = types.InlayHintClientCapabilities(dynamic_registration=False)
    caps.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(refresh_support=True)
    s = await start_session(lsp_client, "visual-studio-code", str(tmp_path_factory.mktemp("u16")), capabilities=caps)
    lsp_client.session = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def ls(vscode) -> Session:
    return vscode.session  # type: ignore[attr-defined]


async def test_hint_after_emoji_in_utf16(ls):
    assert ls.init_result.capabilities.inlay_hint_provider is not None
    uri = ls.uri("u16")
    ls.open(uri, UNICODE)
    await ls.ready(uri)
    line, _ = find(UNICODE, "ψ = ")
    hints = await ls.client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))))
    (h,) = hints
    text = UNICODE.split("\n")[line]
    assert h.position == position(text, len(text), line, "utf-16")
    assert h.position.character == len(text) + 1  # the emoji takes two UTF-16 units
