"""Parsing with recovery, and source positions.

Python's `ast` gives UTF-8 byte columns; the engine works in code points (`Span`), and the
LSP adapter converts code points to the client's units. A file with a syntax error is parsed
again with the offending lines blanked, so the rest of the file is still analysed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from shapelens.values import Span

MAX_REPAIRS = 25
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class ParsedFile:
    path: str
    source: str
    tree: ast.Module
    lines: list[str]
    syntax_errors: list[tuple[int, int, str]] = field(default_factory=list)  # (line, col, msg)
    _stmt_start: dict[int, int] | None = None

    def span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = self.code_point_col(line, getattr(node, "col_offset", 0))
        end_col = self.code_point_col(end_line, getattr(node, "end_col_offset", None) or 0)
        return Span(line, col, end_line, end_col)

    def code_point_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def text(self, span: Span) -> str:
        if span.line == span.end_line:
            return self.lines[span.line - 1][span.col : span.end_col] if span.line <= len(self.lines) else ""
        parts = [self.lines[span.line - 1][span.col :]]
        parts += self.lines[span.line : span.end_line - 1]
        parts.append(self.lines[span.end_line - 1][: span.end_col])
        return "\n".join(parts)

    def segment(self, node: ast.AST) -> str:
        return self.text(self.span(node))

    def statement_start(self, line: int) -> int:
        """The first line of the statement that covers `line` (for multi-line statements)."""
        if self._stmt_start is None:
            m: dict[int, int] = {}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.stmt) and not isinstance(
                    node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While, ast.With, ast.Try)
                ):
                    for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                        m.setdefault(ln, node.lineno)
            self._stmt_start = m
        return self._stmt_start.get(line, line)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _blank_block(lines: list[str], idx: int) -> None:
    """Empty a line and, when it opens a block, the block's deeper-indented body."""
    base = _indent(lines[idx])
    opens = lines[idx].rstrip().endswith(":")
    lines[idx] = ""
    j = idx + 1
    while opens and j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > base):
        lines[j] = ""
        j += 1


def _blank_run(lines: list[str], idx: int) -> None:
    """Empty a line and the following lines indented at least as deep (an orphaned body)."""
    base = _indent(lines[idx])
    j = idx
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) >= base):
        lines[j] = ""
        j += 1


def parse_source(source: str, path: str = "<string>") -> ParsedFile:
    """Parse, blanking what breaks the parse (keeping line numbers) until it succeeds."""
    # Only \r\n, \r and \n end lines, for Python's tokenizer and for LSP alike
    # (str.splitlines would also split on form feeds and U+2028).
    lines = LINE_BREAK.split(source)
    if lines and lines[-1] == "":
        lines.pop()
    errors: list[tuple[int, int, str]] = []
    work = list(lines)
    for _ in range(MAX_REPAIRS):
        try:
            tree = ast.parse("\n".join(work) + "\n", filename=path)
            return ParsedFile(path, source, tree, lines, errors)
        except SyntaxError as e:
            if not work:
                break
            lineno = e.lineno or len(work)
            msg = e.msg or ""
            if not errors:
                errors.append((lineno, max((e.offset or 1) - 1, 0), msg))
            idx = min(max(lineno - 1, 0), len(work) - 1)
            before = list(work)
            if "expected an indented block" in msg:
                k = idx - 1 if lineno <= len(work) else idx
                while k > 0 and not work[k].strip():
                    k -= 1
                work[k] = work[k].rstrip() + " pass"
            elif "unexpected indent" in msg:
                _blank_run(work, idx)
            elif "was never closed" in msg:
                # Blank from the opening line to the next line at the same or lower indentation.
                base = _indent(work[idx])
                work[idx] = ""
                j = idx + 1
                while j < len(work) and (not work[j].strip() or _indent(work[j]) > base):
                    work[j] = ""
                    j += 1
            else:
                _blank_block(work, idx)
            if work == before:
                # Nothing changed (e.g. an error reported past the end): drop the last non-empty line.
                k = len(work) - 1
                while k >= 0 and not work[k].strip():
                    k -= 1
                if k < 0:
                    break
                work[k] = ""
        except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
            errors.append((1, 0, str(e) or type(e).__name__))
            break
    return ParsedFile(path, source, ast.parse(""), lines, errors)
