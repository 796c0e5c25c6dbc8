"""Core positions ↔ LSP positions.

The core counts lines from 1 and columns in code points (`Span`). LSP counts both from 0, and
columns in the negotiated encoding: UTF-16 code units by default, UTF-8 bytes when the client
prefers them (pygls picks; its `PositionCodec` counts the units). Conversions use the text the
analysis saw (`Snapshot.lines`), not the live document, so a range always matches its analysis.
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from shapelens.values import Span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them: only \\n, \\r\\n and \\r end a line."""
    return _LINE_BREAK.split(text)


class Converter:
    """Converts for one text in one encoding."""

    def __init__(self, lines: list[str], codec: PositionCodec):
        self.lines = lines
        self.codec = codec

    def line_text(self, line0: int) -> str:
        return self.lines[line0] if 0 <= line0 < len(self.lines) else ""

    # core → client ---------------------------------------------------------------------------
    def position(self, line: int, col: int) -> types.Position:
        """A core position (1-based line, code-point column) in client units."""
        line0 = max(line - 1, 0)
        if line0 >= len(self.lines):
            return types.Position(line=len(self.lines), character=0)
        text = self.lines[line0]
        return types.Position(line=line0, character=self.codec.client_num_units(text[: max(col, 0)]))

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.line, span.col), end=self.position(span.end_line, span.end_col))

    def line_end(self, line: int) -> types.Position:
        return self.position(line, len(self.line_text(line - 1)))

    # client → core ---------------------------------------------------------------------------
    def from_position(self, pos: types.Position) -> tuple[int, int]:
        """A client position as (1-based line, code-point column)."""
        text = self.line_text(pos.line)
        units = 0
        col = 0
        for ch in text:
            if units >= pos.character:
                break
            units += self.codec.impl.code_units_for_char(ch)
            col += 1
        return pos.line + 1, col
