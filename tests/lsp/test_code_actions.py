"""Quick fixes end to end: every action, applied by the client, removes its diagnostic and keeps
the file valid Python — in UTF-16 and UTF-8 positions."""

from __future__ import annotations

import ast

import pytest
from lsprotocol import types

from tests.lsp.samples import BAD, FOUR_D, RNN, UNICODE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]


def apply(text: str, edits, encoding: str) -> str:
    """Apply LSP TextEdits the way a client does (positions in the negotiated encoding)."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        before = sum(len(ln) + 1 for ln in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units, cp = 0, 0
        for ch in line:
            if units >= pos.character:
                break
            units += len(ch.encode("utf-8")) if encoding == "utf-8" else len(ch.encode("utf-16-le")) // 2
            cp += 1
        return before + cp

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a, b = offset(e.range.start), offset(e.range.end)
        text = text[:a] + e.new_text + text[b:]
    return text


async def actions_for(ls, uri: str, diag: types.Diagnostic):
    return await ls.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag])))


@pytest.mark.parametrize("src, code", [(BAD, "SL101"), (FOUR_D, "SL101"), (RNN, "SL201"), (UNICODE, "SL108")],
                         ids=["in-features", "flatten", "last-step", "unicode"])
async def test_every_fix_removes_its_finding(ls, src, code):
    uri = ls.uri("fix")
    ls.open(uri, src)
    diags = await ls.ready(uri)
    (diag,) = [d for d in diags if d.code == code]
    actions = await actions_for(ls, uri, diag)
    titles = [a.title for a in actions if a.diagnostics and a.diagnostics[0].code == code]
    assert f"Ignore {code} on this line" in titles
    assert len(titles) >= (2 if code != "SL108" else 1)
    version = 1
    for action in actions:
        if not action.diagnostics or action.diagnostics[0].code != code:
            continue
        assert action.kind == types.CodeActionKind.QuickFix
        fixed = apply(src, action.edit.changes[uri], ls.encoding)
        ast.parse(fixed)
        version += 1
        ls.change(uri, version, fixed)
        after = await ls.diagnostics(uri, version)
        assert not [d for d in after if d.code == code and d.message == diag.message], (action.title, fixed)
    ls.close(uri)


async def test_specific_fix_texts(ls):
    uri = ls.uri("fix")
    ls.open(uri, BAD)
    (diag,) = [d for d in await ls.ready(uri) if d.code == "SL101"]
    actions = {a.title: a for a in await actions_for(ls, uri, diag)}
    fix = actions["Set in_features of fc1 to 16 * 14 * 14"]
    assert fix.is_preferred
    assert "nn.Linear(16 * 14 * 14, 10)  # noqa: E501" in apply(BAD, fix.edit.changes[uri], ls.encoding)
    ignore = actions["Ignore SL101 on this line"]
    assert "x = self.fc1(x)  # shapelens: ignore[SL101]" in apply(BAD, ignore.edit.changes[uri], ls.encoding)


async def test_only_other_kinds_gives_nothing(ls):
    uri = ls.uri("fix")
    ls.open(uri, BAD)
    (diag,) = [d for d in await ls.ready(uri) if d.code == "SL101"]
    result = await ls.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag], only=[types.CodeActionKind.SourceOrganizeImports])))
    assert not result
