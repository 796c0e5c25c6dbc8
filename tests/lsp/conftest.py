"""End-to-end fixtures: the real server over stdio, driven by pytest-lsp with the recorded
capabilities of VS Code (UTF-16, push diagnostics) and Neovim 0.11 (UTF-8, pull diagnostics,
inlay hints). One server per client kind per test module keeps the suite fast; every test opens
its own document URIs."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

CLIENTS = ["visual-studio-code", "neovim@v0.11.0"]
SERVER = [sys.executable, "-m", "shapelens", "--stdio"]
_counter = itertools.count()


@dataclass
class Session:
    """A connected client plus what it recorded beyond pytest-lsp's own lists."""

    client: LanguageClient
    kind: str
    root: str
    published: list[types.PublishDiagnosticsParams] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    refreshes: dict[str, int] = field(default_factory=dict)
    init_result: types.InitializeResult | None = None

    @property
    def pull(self) -> bool:
        return self.kind.startswith("neovim")

    @property
    def encoding(self) -> str:
        return "utf-8" if self.pull else "utf-16"

    def uri(self, name: str = "model") -> str:
        return f"file://{self.root}/{name}_{next(_counter)}.py"

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    async def published_for(self, uri: str, version: int | None, timeout: float = 10.0) -> list[types.Diagnostic]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in reversed(self.published):
                if p.uri == uri and (version is None or p.version == version):
                    return list(p.diagnostics)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics published for {uri} version {version}")

    async def diagnostics(self, uri: str, version: int | None = 1) -> list[types.Diagnostic]:
        """The document's diagnostics the way this client gets them (pull or push)."""
        if self.pull:
            report = await self.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri), identifier="shapelens"))
            return list(report.items)
        return await self.published_for(uri, version)

    async def ready(self, uri: str, version: int = 1) -> list[types.Diagnostic]:
        """Open-and-wait helper: the diagnostics once the analysis of `version` is in."""
        return await self.diagnostics(uri, version)

    def status_of(self, uri: str) -> list[str]:
        return [s["state"] for s in self.statuses if s.get("uri") == uri]


def _as_dict(params: Any) -> dict:
    if isinstance(params, dict):
        return params
    return {k: getattr(params, k) for k in ("state", "uri") if hasattr(params, k)}


async def start_session(client: LanguageClient, kind: str, root: str, init_options: dict | None = None,
                        configuration: dict | None = None,
                        capabilities: types.ClientCapabilities | None = None) -> Session:
    session = Session(client, kind, root)
    fm = client.protocol.fm
    original = fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        session.published.append(params)
        original(params)

    fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record

    @client.feature("shapelens/status")
    def status(params: Any) -> None:
        session.statuses.append(_as_dict(params))

    for method in (types.WORKSPACE_INLAY_HINT_REFRESH, types.WORKSPACE_CODE_LENS_REFRESH):
        def refresh(params: Any, method: str = method) -> None:
            session.refreshes[method] = session.refreshes.get(method, 0) + 1

        client.feature(method)(refresh)

    if configuration is not None:
        client.set_configuration(configuration, section="shapelens")
    session.init_result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities or client_capabilities(kind),
        root_uri=f"file://{root}",
        workspace_folders=[types.WorkspaceFolder(uri=f"file://{root}", name="ws")],
        initialization_options=init_options if init_options is not None else {"diagnostics": {"debounceMs": 30}},
    ))
    return session


@pytest.fixture(scope="module")
def workspace_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("ws"))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module", params=CLIENTS)
async def session(lsp_client: LanguageClient, request, workspace_root):
    s = await start_session(lsp_client, request.param, workspace_root)
    lsp_client.session = s  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def ls(session) -> Session:
    return session.session  # type: ignore[attr-defined]


def position(line_text: str, cp_col: int, line: int, encoding: str) -> types.Position:
    """A code-point column as the client counts it."""
    prefix = line_text[:cp_col]
    units = len(prefix.encode("utf-8")) if encoding == "utf-8" else len(prefix.encode("utf-16-le")) // 2
    return types.Position(line=line, character=units)


def find(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(0-based line, code-point column) of `needle` in `text`."""
    lines = text.split("\n")
    seen = 0
    for i, ln in enumerate(lines):
        start = 0
        while (j := ln.find(needle, start)) >= 0:
            if seen == occurrence:
                return i, j
            seen += 1
            start = j + 1
    raise ValueError(needle)
