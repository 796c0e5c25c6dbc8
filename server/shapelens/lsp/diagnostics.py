"""Findings → LSP diagnostics, with per-code severity from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lsprotocol import types

from shapelens.analysis.analyze import FileAnalysis
from shapelens.findings import Finding, Severity, code_info
from shapelens.lsp.convert import Converter
from shapelens.settings import DiagnosticsSettings
from shapelens.values import Span

SOURCE = "shapelens"

# Where a related place lives, in client units (None when that file cannot be read).
Locate = Callable[[str, Span], "types.Location | None"]


@dataclass(frozen=True)
class DiagnosticCaps:
    code_description: bool = False
    related_information: bool = False
    data: bool = False

    @staticmethod
    def of(caps: types.ClientCapabilities, pull: bool) -> "DiagnosticCaps":
        td = caps.text_document
        c = (td.diagnostic if pull else td.publish_diagnostics) if td is not None else None
        if c is None:
            return DiagnosticCaps()
        # Pull capabilities only gained these fields in LSP 3.18; the push ones hold for both.
        push = td.publish_diagnostics if td is not None else None
        pick = lambda name: bool(getattr(c, name, None) or (push is not None and getattr(push, name, None)))
        return DiagnosticCaps(pick("code_description_support"), pick("related_information"), pick("data_support"))


def effective_severity(f: Finding, opts: DiagnosticsSettings) -> Severity | None:
    """The finding's severity after the user's overrides; None when it is switched off."""
    configured = opts.severity_for(f.code, "")
    if configured == "off":
        return None
    sev = Severity.parse(configured) if configured else None
    sev = sev or f.severity
    if sev == Severity.INFORMATION and not opts.show_information:
        return None
    return sev


def to_diagnostics(fa: FileAnalysis, conv: Converter, opts: DiagnosticsSettings, caps: DiagnosticCaps,
                   locate: Locate) -> list[types.Diagnostic]:
    if not opts.enable:
        return []
    out: list[types.Diagnostic] = []
    for index, f in enumerate(fa.findings):
        sev = effective_severity(f, opts)
        if sev is None:
            continue
        info = code_info(f.code)
        related = None
        if caps.related_information and f.related:
            related = []
            for r in f.related:
                loc = locate(r.path, r.span)
                if loc is not None:
                    related.append(types.DiagnosticRelatedInformation(location=loc, message=r.message))
        out.append(types.Diagnostic(
            range=conv.range(f.span),
            message=f.message,
            severity=types.DiagnosticSeverity(int(sev)),
            code=f.code,
            code_description=types.CodeDescription(href=info.url) if caps.code_description and info else None,
            source=SOURCE,
            related_information=related or None,
            data={"index": index, "code": f.code} if caps.data else None,
        ))
    return out
