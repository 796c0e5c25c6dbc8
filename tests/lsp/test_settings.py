"""Settings end to end: initializationOptions (plain and wrapped), workspace/configuration pulls,
didChangeConfiguration, bad values, untrusted workspaces, refresh requests."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.conftest import CLIENTS, SERVER, Session, start_session
from tests.lsp.samples import BAD, CNN, UNICODE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

INIT = {
    # Helix and Eglot wrap the section; VS Code sends it bare plus workspaceTrusted.
    "shapelens": {
        "diagnostics": {"severity": {"SL101": "warning", "SL108": "off"}, "showInformation": False,
                        "debounceMs": "fast"},
        "confirm": {"enable": True},
        "inlayHints": {"maxLength": 14},
        "inlayHint": {"enable": False},
    },
    "workspaceTrusted": False,
}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module", params=CLIENTS)
async def configured(lsp_client: LanguageClient, request, tmp_path_factory):
    s = await start_session(lsp_client, request.param, str(tmp_path_factory.mktemp("cfg")), init_options=INIT)
    lsp_client.session = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def ls(configured) -> Session:
    return configured.session  # type: ignore[attr-defined]


def logs(ls: Session) -> str:
    return "\n".join(m.message for m in ls.client.log_messages)


async def test_init_options_apply(ls):
    uri = ls.uri()
    ls.open(uri, BAD)
    diags = await ls.ready(uri)
    (d,) = [d for d in diags if d.code == "SL101"]
    assert d.severity == types.DiagnosticSeverity.Warning
    assert not [d for d in diags if d.severity == types.DiagnosticSeverity.Information]
    uri2 = ls.uri()
    ls.open(uri2, UNICODE)
    assert not [d for d in await ls.ready(uri2) if d.code == "SL108"]


async def test_bad_values_are_logged_and_defaulted(ls):
    assert "Invalid setting shapelens.diagnostics.debounceMs = 'fast'" in logs(ls)
    assert "unknown settings ignored: shapelens.inlayHint" in logs(ls)


async def test_untrusted_workspace_turns_confirm_off(ls):
    assert "'confirm': {'enable': False" in logs(ls)


async def test_configuration_change_is_pulled_and_applied(ls):
    uri = ls.uri()
    ls.open(uri, BAD)
    await ls.ready(uri)
    ls.client.set_configuration({"diagnostics": {"severity": {"SL101": "hint"}}, "inlayHints": {"maxLength": 12},
                                 "confirm": {"enable": True}}, section="shapelens")
    before = len(ls.published)
    ls.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    if ls.pull:
        for _ in range(200):
            diags = await ls.diagnostics(uri)
            if any(d.code == "SL101" and d.severity == types.DiagnosticSeverity.Hint for d in diags):
                break
            await asyncio.sleep(0.02)
        await _until(lambda: ls.refreshes.get(types.WORKSPACE_INLAY_HINT_REFRESH, 0) >= 1)
    else:
        await _until(lambda: any(p.uri == uri for p in ls.published[before:]))
        diags = [p for p in ls.published[before:] if p.uri == uri][-1].diagnostics
        await _until(lambda: ls.refreshes.get(types.WORKSPACE_CODE_LENS_REFRESH, 0) >= 1)
    (d,) = [d for d in diags if d.code == "SL101"]
    assert d.severity == types.DiagnosticSeverity.Hint
    # The pulled section replaces the init options (SL108 is back), trust still rules confirm.
    changed = [m.message for m in ls.client.log_messages if "settings changed" in m.message]
    assert changed and "'confirm': {'enable': False" in changed[-1]
    uri2 = ls.uri()
    ls.open(uri2, UNICODE)
    assert [d.code for d in await ls.ready(uri2) if d.code == "SL108"] == ["SL108"]
    if ls.pull:
        line = UNICODE.split("\n").index('ψ = torch.zeros(2, 3); s = "😀"; y = ψ @ w')
        hints = await ls.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri2),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=9, character=0))))
        labels = {h.position.line: h.label for h in hints}
        assert labels[line] == "▸ (2, 3)"
        assert labels[2] == "▸ (4, 5)"


async def test_last_configuration_wins(ls):
    """Quick successive changes: the answer to the latest request is the one applied (lsp-stack §1.9)."""
    for sev in ("error", "information", "warning"):
        ls.client.set_configuration({"diagnostics": {"severity": {"SL101": sev}}}, section="shapelens")
        ls.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    uri = ls.uri()
    await asyncio.sleep(0.3)
    ls.open(uri, BAD)
    (d,) = [d for d in await ls.ready(uri) if d.code == "SL101"]
    assert d.severity == types.DiagnosticSeverity.Warning


async def test_no_popups(ls):
    assert ls.client.messages == []


async def _until(cond, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


async def test_default_debounce_after_a_bad_value(ls):
    """debounceMs was invalid, so the default 300 ms applies: a change waits that long, an open does not.
    (A pull request is answered at once: the client chose when to ask.)"""
    if ls.pull:
        pytest.skip("pull requests are answered without waiting for the debounce")
    loop = asyncio.get_running_loop()
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    started = loop.time()
    ls.change(uri, 2, BAD)
    await ls.diagnostics(uri, 2)
    assert loop.time() - started >= 0.28
