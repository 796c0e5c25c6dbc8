"""Diagnostics end to end: codes, ranges in both encodings, related places, lifecycle."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.conftest import find, position
from tests.lsp.samples import BAD, CNN, UNICODE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]


async def test_mismatch_reported_with_code_source_and_related(ls):
    uri = ls.uri()
    ls.open(uri, BAD)
    diags = await ls.ready(uri)
    (d,) = [d for d in diags if d.code == "SL101"]
    assert d.source == "shapelens"
    assert d.severity == types.DiagnosticSeverity.Error
    assert "fc1 expects 100 input features" in d.message
    line, col = find(BAD, "self.fc1(x)")
    assert d.range.start == types.Position(line=line, character=col)
    assert d.range.end == types.Position(line=line, character=col + len("self.fc1(x)"))
    if ls.pull:
        assert d.code_description is None  # Neovim's pull capabilities do not announce it
    else:
        assert d.code_description is not None and d.code_description.href.endswith("sl101-linear-features")
    related = {r.message.split(" ")[0]: r for r in d.related_information or []}
    assert set(related) == {"fc1", "the"}
    dl, dc = find(BAD, "nn.Linear(100, 10)")
    assert related["fc1"].location.range.start == types.Position(line=dl, character=dc)
    assert related["fc1"].location.uri == uri
    pl, _ = find(BAD, "x = torch.flatten(x, 1)")
    assert related["the"].location.range.start.line == pl
    assert "(1, 3136)" in related["the"].message


async def test_clean_file_has_no_errors(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    assert [d for d in await ls.ready(uri) if d.severity == types.DiagnosticSeverity.Error] == []


async def test_non_ascii_line_ranges(ls):
    uri = ls.uri()
    ls.open(uri, UNICODE)
    (d,) = [d for d in await ls.ready(uri) if d.code == "SL108"]
    line, col = find(UNICODE, "ψ @ w")
    text = UNICODE.split("\n")[line]
    assert d.range.start == position(text, col, line, ls.encoding)
    assert d.range.end == position(text, col + len("ψ @ w"), line, ls.encoding)
    # The exact numbers, so a wrong codec cannot agree with a wrong helper.
    assert d.range.start.character == (40 if ls.encoding == "utf-8" else 37)


async def test_versions_changes_and_close(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    assert not [d for d in await ls.ready(uri) if d.code == "SL101"]
    ls.change(uri, 2, BAD)
    assert [d.code for d in await ls.diagnostics(uri, 2) if d.code == "SL101"] == ["SL101"]
    ls.change(uri, 3, CNN)
    assert not [d for d in await ls.diagnostics(uri, 3) if d.code == "SL101"]
    if not ls.pull:
        assert all(p.version in (1, 2, 3) for p in ls.published if p.uri == uri)
    ls.close(uri)
    if not ls.pull:
        await _wait(lambda: ls.published[-1].uri == uri and not ls.published[-1].diagnostics)


async def test_status_notifications(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    await _wait(lambda: ls.status_of(uri)[-1:] == ["ready"])
    assert ls.status_of(uri)[0] == "analysing"


async def test_burst_of_edits_publishes_once_for_the_last(ls):
    if ls.pull:
        pytest.skip("pull clients ask when they want")
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    for v in range(2, 7):
        ls.change(uri, v, BAD if v % 2 else CNN)
    last = await ls.diagnostics(uri, 6)
    assert not [d for d in last if d.code == "SL101"]
    versions = [p.version for p in ls.published if p.uri == uri]
    assert versions == [1, 6]


async def test_syntax_error_keeps_last_good_analysis(ls):
    uri = ls.uri()
    ls.open(uri, CNN)
    await ls.ready(uri)
    broken = CNN.replace("x = torch.flatten(x, 1)", "x = torch.flatten(x, 1")
    ls.change(uri, 2, broken)
    diags = await ls.diagnostics(uri, 2)
    assert "SL303" in [d.code for d in diags]
    line, col = find(CNN, "x = self.fc1")
    hover = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=col)))
    assert hover is not None and "(1, 10)" in hover.contents.value


async def _wait(cond, timeout: float = 5.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        await asyncio.sleep(0.01)


async def test_incremental_change_on_a_non_ascii_line(ls):
    """An editor's incremental edit after an emoji lands where the client meant it, in either encoding."""
    uri = ls.uri()
    ls.open(uri, UNICODE)
    assert "SL108" in [d.code for d in await ls.ready(uri)]
    line, col = find(UNICODE, "ψ @ w")
    text = UNICODE.split("\n")[line]
    start = position(text, col + len("ψ @ "), line, ls.encoding)
    end = position(text, col + len("ψ @ w"), line, ls.encoding)
    ls.client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text="ψ.T")]))
    assert "SL108" not in [d.code for d in await ls.diagnostics(uri, 2)]
    hover = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, col - 2, line, ls.encoding)))
    assert hover is not None and "`y`: `(2, 2)`" in hover.contents.value
