"""Hover, inlay hints, code lenses and the model summary command, end to end."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsprotocol import types

from tests.lsp.conftest import find, position
from tests.lsp.samples import CNN, SYMBOLIC, UNICODE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")]


async def hover_at(ls, uri: str, text: str, needle: str, offset: int = 0, occurrence: int = 0) -> str | None:
    line, col = find(text, needle, occurrence)
    pos = position(text.split("\n")[line], col + offset, line, ls.encoding)
    result = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=pos))
    if result is None:
        return None
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cnn(ls):
    uri = ls.uri("cnn")
    ls.open(uri, CNN)
    await ls.ready(uri)
    return uri


async def test_hover_line_shows_names_and_intermediate_calls(ls, cnn):
    text = await hover_at(ls, cnn, CNN, "x = self.pool", offset=2)  # on `=`
    assert "`x`: `(1, 16, 14, 14)`" in text
    assert "`conv1(…)` → `(1, 16, 28, 28)`" in text
    assert "`pool(…)` → `(1, 16, 14, 14)`" in text


async def test_hover_name_shows_derivation(ls, cnn):
    text = await hover_at(ls, cnn, CNN, "x = self.pool")
    assert "`x`: `(1, 16, 14, 14)`" in text
    assert "(1, 3, 28, 28) ─conv1→ (1, 16, 28, 28) ─pool→ (1, 16, 14, 14)" in text


async def test_hover_name_being_read_uses_the_earlier_binding(ls, cnn):
    text = await hover_at(ls, cnn, CNN, "self.fc1(x)", offset=len("self.fc1("))
    assert "`x`: `(1, 3136)`" in text


async def test_hover_layer_attribute_and_definition(ls, cnn):
    use = await hover_at(ls, cnn, CNN, "self.fc1(x)", offset=len("self.f"))
    definition = await hover_at(ls, cnn, CNN, "self.fc1 =", offset=len("self.f"))
    for text in (use, definition):
        assert "**fc1** · `Linear(3136 → 10)` · 31,370 params" in text
        assert "weight `(10, 3136)` · bias `(10,)`" in text
        assert "`(1, 3136)` → `(1, 10)`" in text


async def test_hover_class_line_shows_model_table(ls, cnn):
    text = await hover_at(ls, cnn, CNN, "class Net", offset=7)
    assert "**Net** — `(1, 3, 28, 28) → (1, 10)` · 31,818 params" in text
    assert "| `conv1` Conv2d(3 → 16, kernel 3) | `(1, 16, 28, 28)` | 448 |" in text


async def test_hover_nothing_on_a_blank_line(ls, cnn):
    result = await ls.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=cnn), position=types.Position(line=2, character=0)))
    assert result is None


async def test_hover_symbolic_constraint(ls):
    uri = ls.uri("sym")
    ls.open(uri, SYMBOLIC)
    await ls.ready(uri)
    text = await hover_at(ls, uri, SYMBOLIC, "return self.fc(y)", offset=2)
    assert "needs H*W == 49, e.g. 7×7" in text
    text = await hover_at(ls, uri, SYMBOLIC, "y = y.flatten(1)")
    assert "(B, 3, H, W) ─conv→ (B, 4, H, W) ─flatten→ (B, 4*H*W)" in text


async def test_hover_non_ascii_line(ls):
    uri = ls.uri("uni")
    ls.open(uri, UNICODE)
    await ls.ready(uri)
    # `s` after the emoji and `y` further on: the position must map back to the right name.
    text = await hover_at(ls, uri, UNICODE, "y = ψ")
    assert text is not None and text.startswith("`ψ`") is False
    text = await hover_at(ls, uri, UNICODE, "ψ @ w")
    assert "`ψ`: `(2, 3)`" in text


async def inlay(ls, uri: str, first: int, last: int):
    return await ls.client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=first, character=0), end=types.Position(line=last, character=0))))


async def test_inlay_hints_in_range(ls, cnn):
    if not ls.pull:
        pytest.skip("VS Code 1.65's recorded capabilities have no inlay hints")
    hints = await inlay(ls, cnn, 0, 100)
    by_line = {h.position.line: h for h in hints}
    line, _ = find(CNN, "x = self.pool")
    h = by_line[line]
    assert h.label == "▸ (1, 16, 14, 14)"
    assert h.position.character == len(CNN.split("\n")[line])
    assert h.kind == types.InlayHintKind.Type
    assert len(await inlay(ls, cnn, line, line)) == 1


async def test_inlay_hint_after_non_ascii_statement(ls):
    if not ls.pull:
        pytest.skip("no inlay hints in VS Code 1.65's capabilities")
    uri = ls.uri("uni")
    ls.open(uri, UNICODE)
    await ls.ready(uri)
    line, _ = find(UNICODE, "ψ = ")
    (h,) = await inlay(ls, uri, line, line)
    text = UNICODE.split("\n")[line]
    assert h.position == position(text, len(text), line, ls.encoding)
    assert h.label == "▸ (2, 3)"  # y is unknown after the error: only ψ is shown


async def test_code_lens_and_model_summary_command(ls, cnn):
    lenses = await ls.client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=cnn)))
    (lens,) = lenses
    line, _ = find(CNN, "class Net")
    assert lens.range.start.line == line
    assert lens.command.title == "(1, 3, 28, 28) → (1, 10) · 31,818 params"
    assert lens.command.command == "shapelens.modelSummary"
    result = await ls.client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=lens.command.command, arguments=list(lens.command.arguments)))
    assert result.startswith("**Net** — `(1, 3, 28, 28) → (1, 10)` · 31,818 params")
    outside = await ls.client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="shapelens.modelSummary", arguments=[cnn, {"line": 0, "character": 0}]))
    assert outside is None
    junk = await ls.client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="shapelens.modelSummary", arguments=[42]))
    assert junk is None


async def test_hints_right_after_an_edit_describe_the_new_text(ls):
    """A client asks for hints as soon as it sends an edit, before the debounce has run."""
    if not ls.pull:
        pytest.skip("no inlay hints in VS Code 1.65's capabilities")
    uri = ls.uri("edit")
    ls.open(uri, CNN)
    await ls.ready(uri)
    edited = CNN.replace("model = Net()\n", "model = Net()\nz = torch.zeros(5, 5)\n")
    ls.change(uri, 2, edited)
    hints = await inlay(ls, uri, 0, 100)
    line, _ = find(edited, "z = torch.zeros(5, 5)")
    assert {h.position.line: h.label for h in hints}[line] == "▸ (5, 5)"
    lenses = await ls.client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert len(lenses) == 1
