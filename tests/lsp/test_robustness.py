"""No input crashes the server; open documents are seen by the files that import them."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from tests.lsp.samples import BAD, CNN

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]

WEIRD = [
    "",
    "\x00\x01\x02",
    "def f(:\n    return\n",
    "(" * 500 + "\n",
    "x = [" + "1, " * 20000 + "]\n",
    "import torch\r\nψ = torch.zeros(2, 3)\r\ny = ψ @ ψ\r\n",
    "import torch\nx = torch.zeros(2)\n" + "x = x + 1\n" * 3000,
    "class M(torch.nn.Module):\n    def forward(self, x):\n        return self.missing(x)\n",
    "\ufeffimport torch\nx = torch.zeros(2, 2) @ torch.zeros(3, 3)\n",
    "import torch\nx = torch.zeros(2)\u2028y = 1\n",
]


@pytest.mark.parametrize("text", WEIRD, ids=range(len(WEIRD)))
async def test_weird_documents(ls, text):
    uri = ls.uri("weird")
    ls.open(uri, text)
    await ls.ready(uri)
    tid = types.TextDocumentIdentifier(uri=uri)
    for line in (0, 1, 2, 50, 10**6):
        for ch in (0, 3, 10**6):
            pos = types.Position(line=line, character=ch)
            await ls.client.text_document_hover_async(types.HoverParams(text_document=tid, position=pos))
    await ls.client.text_document_code_action_async(types.CodeActionParams(
        text_document=tid, range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=10**6, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    await ls.client.text_document_code_lens_async(types.CodeLensParams(text_document=tid))
    ls.change(uri, 2, text + "\nz = (")
    await ls.diagnostics(uri, 2)
    ls.close(uri)
    assert ls.client.messages == []  # never a popup
    assert [m.message for m in ls.client.log_messages if m.type == types.MessageType.Error] == []


async def test_requests_for_unknown_documents(ls):
    tid = types.TextDocumentIdentifier(uri="file:///nowhere/never_opened.py")
    assert await ls.client.text_document_hover_async(types.HoverParams(
        text_document=tid, position=types.Position(line=0, character=0))) is None
    assert not await ls.client.text_document_code_lens_async(types.CodeLensParams(text_document=tid))
    assert not await ls.client.text_document_code_action_async(types.CodeActionParams(
        text_document=tid, range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    if ls.pull:
        report = await ls.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=tid))
        assert not report.items
    ls.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=tid))
    ls.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=tid))
    ls.change("file:///nowhere/never_opened.py", 3, "x = 1\n")
    # Still alive:
    uri = ls.uri()
    ls.open(uri, BAD)
    assert "SL101" in [d.code for d in await ls.ready(uri)]


async def test_untitled_document(ls):
    uri = f"untitled:Untitled-{id(ls)}"
    ls.open(uri, BAD)
    assert "SL101" in [d.code for d in await ls.ready(uri)]
    ls.close(uri)


LAYERS = '''import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 5)

    def forward(self, x):
        return self.fc(x)
'''

MAIN = '''import torch
from {module} import Block

y = Block()(torch.zeros(2, 10))
'''


async def test_open_documents_are_seen_by_importers(ls, tmp_path_factory):
    import os
    from pathlib import Path

    module = f"layers_{abs(hash(ls.kind)) % 10**6}"
    Path(ls.root, f"{module}.py").write_text(LAYERS)
    main_uri = ls.uri("main")
    ls.open(main_uri, MAIN.format(module=module))
    assert not [d for d in await ls.ready(main_uri) if d.severity == types.DiagnosticSeverity.Error]
    # The editor changes the imported file (unsaved): the importer sees the editor's text.
    layers_uri = Path(ls.root, f"{module}.py").as_uri()
    ls.open(layers_uri, LAYERS.replace("nn.Linear(10, 5)", "nn.Linear(20, 5)"))
    await ls.ready(layers_uri)
    before = len(ls.published)
    ls.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=layers_uri)))
    if ls.pull:
        for _ in range(100):
            diags = await ls.diagnostics(main_uri)
            if any(d.code == "SL101" for d in diags):
                break
            await asyncio.sleep(0.05)
    else:
        for _ in range(500):
            mine = [p for p in ls.published[before:] if p.uri == main_uri]
            if mine:
                break
            await asyncio.sleep(0.01)
        diags = mine[-1].diagnostics
    assert "SL101" in [d.code for d in diags]
    ls.close(layers_uri)
    ls.close(main_uri)
    os.remove(os.path.join(ls.root, f"{module}.py"))


async def test_uri_with_escapes(ls):
    """A path with a space arrives %-encoded; changes to it must still be followed."""
    uri = ls.uri("with%20space")
    ls.open(uri, CNN)
    await ls.ready(uri)
    ls.change(uri, 2, BAD)
    assert "SL101" in [d.code for d in await ls.diagnostics(uri, 2)]


def big_file(copies: int = 150) -> str:
    body = CNN.split("\n", 2)[2]
    return "import torch\nimport torch.nn as nn\n\n" + "\n".join(
        body.replace("Net", f"Net{i}").replace("model =", f"model{i} =").replace("out =", f"out{i} =")
        for i in range(copies))


async def test_hover_answers_while_a_long_analysis_runs(ls):
    """Analyses run on the thread pool: the event loop keeps answering."""
    small = ls.uri("small")
    ls.open(small, CNN)
    await ls.ready(small)
    big = ls.uri("big")
    loop = asyncio.get_running_loop()
    ls.open(big, big_file())
    await asyncio.sleep(0.05)  # the big analysis is under way
    started = loop.time()
    hover = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=small), position=types.Position(line=14, character=8)))
    answered = loop.time() - started
    assert hover is not None and "(1, 10)" in hover.contents.value
    await ls.ready(big)
    finished = loop.time() - started
    assert answered < finished, (answered, finished)
    ls.close(big)
