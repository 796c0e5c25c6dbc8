"""The ShapeLens language server (pygls 2).

`ShapeLensServer` holds the state (documents, projects, settings); `register()` is the single
routing table from LSP methods to handlers. Handlers that edit state (didOpen, didChange, ...)
run on the event loop; analyses run on the server's thread pool over a snapshot of the document
(uri, version, text) and are kept only if the document has not moved on. Hover and code actions
answer from the stored analysis without re-analysing; inlay hints, code lenses and pull
diagnostics first make sure the client's current text was analysed (skipping the debounce).
Every handler is guarded: an error is logged (window/logMessage and stderr), never raised.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import sys
import time
from typing import Any, Callable
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace.position_codec import PositionCodec

from shapelens import __version__
from shapelens.lsp import code_actions as actions_mod
from shapelens.lsp import code_lens as lens_mod
from shapelens.lsp import commands as commands_mod
from shapelens.lsp import diagnostics as diag_mod
from shapelens.lsp import hover as hover_mod
from shapelens.lsp import inlay_hints as hints_mod
from shapelens.lsp.confirmation import Confirmation, on_exit, on_shutdown
from shapelens.lsp.convert import Converter, split_lines
from shapelens.lsp.documents import DocState, Projects, Result, Snapshot, run_analysis, uri_to_path
from shapelens.settings import SECTION, Settings, parse_settings, unknown_keys
from shapelens.values import Span

log = logging.getLogger("shapelens.lsp")

STATUS = "shapelens/status"
DIAGNOSTIC_ID = "shapelens"
# An analysis still running after this long shows progress (when the client supports it).
PROGRESS_AFTER_S = float(os.environ.get("SHAPELENS_PROGRESS_AFTER_S", "0.5"))
_tokens = itertools.count(1)


class ShapeLensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("shapelens", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, DocState] = {}
        self.projects = Projects()
        self.settings = Settings()
        self.settings_generation = 0
        self.trusted = True
        self.pull_diagnostics = False
        self.initialized = False
        self._config_pulls = 0  # the latest configuration request wins (lsp-stack §1.9)
        self._inflight: dict[str, tuple[int | None, asyncio.Future]] = {}
        self.started = time.perf_counter()
        self.first_diagnostics_at: float | None = None
        # Called on the event loop with (server, state) after each new analysis is stored: the
        # hook for the torch confirmation (server/shapelens/confirm), which may then call
        # `merge_confirmation`.
        self.analysis_hooks: list[Callable[["ShapeLensServer", DocState], None]] = []
        self.confirmation = Confirmation(self)  # lsp/confirmation.py; adds its analysis hook

    # ---------------------------------------------------------------------------- logging
    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        level = {types.MessageType.Error: logging.ERROR, types.MessageType.Warning: logging.WARNING}.get(kind, logging.INFO)
        log.log(level, message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # not connected yet / shutting down
            pass

    def log_exception(self, where: str) -> None:
        log.exception("error in %s", where)
        exc = sys.exc_info()[1]
        self.log(f"ShapeLens: error in {where}: {type(exc).__name__}: {exc}", types.MessageType.Error)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # The default shows a popup per error; a log line is enough (and never a storm).
        log.error("server error (%s): %r", getattr(source, "__name__", source), error)

    # ---------------------------------------------------------------------------- capabilities
    @property
    def caps(self) -> types.ClientCapabilities:
        # Before `initialize` pygls has no capabilities yet: answer as for a bare client.
        return getattr(self.protocol, "client_capabilities", None) or types.ClientCapabilities()

    def _ws_cap(self, *names: str) -> Any:
        cur: Any = self.caps.workspace
        for n in names:
            cur = getattr(cur, n, None) if cur is not None else None
        return cur

    def diag_caps(self) -> diag_mod.DiagnosticCaps:
        return diag_mod.DiagnosticCaps.of(self.caps, self.pull_diagnostics)

    @property
    def codec(self) -> PositionCodec:
        try:
            return self.workspace.position_codec
        except RuntimeError:  # not initialized yet: LSP's default encoding
            return PositionCodec()

    def converter(self, result: Result) -> Converter:
        return Converter(result.lines, self.codec)

    # ---------------------------------------------------------------------------- settings
    def set_settings(self, new: Settings) -> None:
        if not self.trusted:
            new = new.for_untrusted_workspace()
        if new == self.settings:
            return
        self.settings = new
        self.settings_generation += 1
        self.confirmation.settings_changed()
        if self.initialized:
            self.log(f"ShapeLens: settings changed: {new.to_json()}")
            self.settings_changed()

    async def pull_settings(self) -> None:
        if not self._ws_cap("configuration"):
            return
        self._config_pulls += 1
        ticket = self._config_pulls
        try:
            values = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
        except Exception as e:
            self.log(f"ShapeLens: could not read the settings ({e}); keeping the current ones", types.MessageType.Warning)
            return
        if ticket != self._config_pulls:
            return  # a newer pull (or a pushed value) arrived meanwhile: this answer is stale
        raw = values[0] if values else None
        if raw is None:
            return  # the client has no such section: keep initializationOptions
        self.set_settings(self.read_settings(raw))

    def _settings_log(self, message: str) -> None:
        self.log(f"ShapeLens: {message}", types.MessageType.Warning)

    def read_settings(self, raw: Any) -> Settings:
        """Parse what a client sent; bad values are logged and defaulted, unknown keys noted."""
        unknown = unknown_keys(raw) if isinstance(raw, dict) else []
        if unknown:
            self.log(f"ShapeLens: unknown settings ignored: {', '.join(SECTION + '.' + k for k in unknown)}")
        return parse_settings(raw, self._settings_log)

    def settings_changed(self) -> None:
        """Re-render what depends on settings from the stored analyses; ask clients to refresh."""
        if self.pull_diagnostics:
            if self._ws_cap("diagnostics", "refresh_support"):
                self._fire(self.workspace_diagnostic_refresh_async(None), "diagnostic refresh")
        else:
            for state in self.docs.values():
                if state.latest is not None:
                    self.publish(state, state.latest)
        if self._ws_cap("inlay_hint", "refresh_support"):
            self._fire(self.workspace_inlay_hint_refresh_async(None), "inlay hint refresh")
        if self._ws_cap("code_lens", "refresh_support"):
            self._fire(self.workspace_code_lens_refresh_async(None), "code lens refresh")

    def _fire(self, coro: Any, what: str) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception as e:
                log.debug("%s failed: %r", what, e)

        asyncio.ensure_future(run())

    # ---------------------------------------------------------------------------- documents
    def open(self, uri: str, version: int | None, text: str) -> DocState:
        state = self.docs.get(uri)
        if state is None:
            path = uri_to_path(uri)
            state = self.docs[uri] = DocState(uri, path, self.projects.for_path(path))
        self.update(state, version, text)
        return state

    def update(self, state: DocState, version: int | None, text: str) -> None:
        state.version, state.text = version, text
        self.confirmation.document_changed(state.uri)  # cancels a pending or running confirmation
        state.project.overlay[state.path] = text  # other files importing this one see the editor's text

    def close(self, uri: str) -> None:
        state = self.docs.pop(uri, None)
        self.confirmation.document_closed(uri)
        if state is None:
            return
        if state.task is not None:
            state.task.cancel()
        state.project.overlay.pop(state.path, None)
        if not self.pull_diagnostics:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def schedule(self, state: DocState, delay_s: float) -> None:
        if state.task is not None and not state.task.done():
            state.task.cancel()
        state.task = asyncio.ensure_future(self._analyse_later(state, delay_s))

    async def _analyse_later(self, state: DocState, delay_s: float) -> None:
        try:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await self.analyse(state)
        except asyncio.CancelledError:
            pass
        except Exception:
            self.log_exception(f"analysing {state.uri}")

    async def analyse(self, state: DocState) -> Result | None:
        """Analyse the document's current version (once, however many ask) and store the result."""
        if state.current():
            return state.latest
        snap = state.snapshot()
        pending = self._inflight.get(state.uri)
        if pending is not None and pending[0] == snap.version and not pending[1].done():
            try:
                return await asyncio.shield(pending[1])
            except asyncio.CancelledError:
                if not pending[1].cancelled():
                    raise  # we were cancelled, not the analysis
                # the analysis was cancelled with its debounce task: run our own below
        fut = asyncio.get_running_loop().create_future()
        self._inflight[state.uri] = (snap.version, fut)
        self.status("analysing", state.uri)
        if self._progress_supported():
            asyncio.ensure_future(self._progress(state.path, fut))  # ends by itself when `fut` is done
        try:
            result = await self._run(state, snap)
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except Exception as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: the waiters see it, asyncio need not warn
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            if self._inflight.get(state.uri, (None, None))[1] is fut:
                del self._inflight[state.uri]
            self.status("ready", state.uri)

    def _progress_supported(self) -> bool:
        window = self.caps.window
        return bool(window is not None and window.work_done_progress)

    async def _progress(self, path: str, done: asyncio.Future) -> None:
        """Show work-done progress for an analysis that is still running after PROGRESS_AFTER_S."""
        try:
            await asyncio.wait_for(asyncio.shield(done), PROGRESS_AFTER_S)
            return
        except (asyncio.TimeoutError, asyncio.CancelledError):
            if done.done():
                return
        token = f"shapelens-analysis-{next(_tokens)}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception as e:
            log.debug("progress not created: %r", e)
            return
        name = path.rsplit("/", 1)[-1]
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="ShapeLens", message=f"analysing {name}",
                                                                         cancellable=False))
        try:
            await asyncio.wait([done])
        finally:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))

    async def _run(self, state: DocState, snap: Snapshot) -> Result | None:
        cfg = self.projects.config_for(snap.path)
        if cfg is not None and cfg.errors:
            for e in cfg.errors:
                self.log(f"ShapeLens: {e}", types.MessageType.Warning)
            cfg.errors.clear()  # once per load
        entries = cfg.entries_for(snap.path) if cfg is not None else []
        loop = asyncio.get_running_loop()
        result: Result = await loop.run_in_executor(self.thread_pool, run_analysis, snap, state.project, entries)
        if self.docs.get(state.uri) is not state:
            state.project.overlay.pop(state.path, None)  # closed meanwhile
            return None
        # analyze() put the snapshot's text in the overlay; the editor may be further along.
        state.project.overlay[state.path] = state.text
        if state.version != snap.version:
            return None  # the document moved on: a newer analysis will follow
        state.latest = result
        state.stale = False
        if not result.has_syntax_error:
            state.good = result
        for hook in list(self.analysis_hooks):
            try:
                hook(self, state)
            except Exception:
                self.log_exception("an analysis hook")
        if not self.pull_diagnostics:
            self.publish(state, result)
        return result

    def publish(self, state: DocState, result: Result) -> None:
        diags = self.diagnostics_for(result)
        self._mark_first_diagnostics()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=state.uri, version=result.snapshot.version, diagnostics=diags))

    def _mark_first_diagnostics(self) -> None:
        """Log the time from process start to the first diagnostics (for benchmarks)."""
        if self.first_diagnostics_at is None:
            self.first_diagnostics_at = time.perf_counter()
            since_process = _process_age()
            log.info("first diagnostics %.3f s after the server object was made%s",
                     self.first_diagnostics_at - self.started,
                     f", {since_process:.3f} s after the process started" if since_process is not None else "")

    def diagnostics_for(self, result: Result) -> list[types.Diagnostic]:
        return diag_mod.to_diagnostics(result.analysis, self.converter(result), self.settings.diagnostics,
                                       self.diag_caps(), self.locate)

    def locate(self, path: str, span: Span) -> types.Location | None:
        """A place in any file (open or on disk), in client units."""
        from pygls.uris import from_fs_path

        state = next((s for s in self.docs.values() if s.path == path), None)
        if state is not None:
            uri, text = state.uri, (state.latest.snapshot.text if state.latest is not None else state.text)
        else:
            if path.startswith("<"):
                return None
            text = self.projects.for_path(path).read(path)
            uri = from_fs_path(path)
            if text is None or uri is None:
                return None
        conv = Converter(split_lines(text), self.codec)
        return types.Location(uri=uri, range=conv.range(span))

    def merge_confirmation(self, uri: str, version: int | None, confirmed: dict, findings: list | None = None) -> None:
        """Fold torch's confirmation into the stored analysis of `version` and show it.

        For the confirm integration: `confirmed` goes to FileAnalysis.confirmed (hover marks
        shapes torch agreed with), `findings` (core Findings, e.g. SL120/SL204) are added.
        """
        state = self.docs.get(uri)
        if state is None or state.latest is None or state.latest.snapshot.version != version:
            return
        fa = state.latest.analysis
        fa.confirmed = confirmed
        if findings:
            known = {f.key() for f in fa.findings}
            fa.findings.extend(f for f in findings if f.key() not in known)
            fa.findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
        if self.pull_diagnostics:
            if self._ws_cap("diagnostics", "refresh_support"):
                self._fire(self.workspace_diagnostic_refresh_async(None), "diagnostic refresh")
        else:
            self.publish(state, state.latest)

    def status(self, state: str, uri: str | None) -> None:
        try:
            self.protocol.notify(STATUS, {"state": state, "uri": uri})
        except Exception:
            pass

    def result_id(self, result: Result) -> str:
        # A merged torch confirmation changes the findings of the same result: new id.
        confirmed = result.analysis.confirmed
        return (f"{result.snapshot.version}:{self.settings_generation}:{id(result)}"
                + (f":c{id(confirmed)}" if confirmed is not None else ""))

    async def current_view(self, state: DocState) -> Result | None:
        """What hints and lenses show: the analysis of the text the client has now (analysed at
        once if the debounce has not run yet), or the last good one if that text does not parse.
        Clients ask for hints right after an edit; answering from the older text would misplace them."""
        if not state.current():
            await self.analyse(state)
        return state.view()

    # ---------------------------------------------------------------------------- helpers
    def debounce_s(self) -> float:
        return max(self.settings.diagnostics.debounce_ms, 0) / 1000.0

    def state_for(self, uri: str) -> DocState | None:
        return self.docs.get(uri)


def _process_age() -> float | None:
    """Seconds since this process started (Linux /proc), else None."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -------------------------------------------------------------------------------- guards


def guarded(fn: Callable) -> Callable:
    """Log any error of a handler instead of raising it (requests then answer null)."""
    if asyncio.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(ls: ShapeLensServer, params: Any) -> Any:
            try:
                return await fn(ls, params)
            except asyncio.CancelledError:
                raise
            except Exception:
                ls.log_exception(fn.__name__)
                return None

        return run_async

    @functools.wraps(fn)
    def run(ls: ShapeLensServer, params: Any) -> Any:
        try:
            return fn(ls, params)
        except Exception:
            ls.log_exception(fn.__name__)
            return None

    return run


# -------------------------------------------------------------------------------- handlers


def initialize(ls: ShapeLensServer, params: types.InitializeParams) -> None:
    opts = params.initialization_options
    if isinstance(opts, dict) and opts.get("workspaceTrusted") is False:
        ls.trusted = False
    ls.set_settings(ls.read_settings(opts) if opts is not None else Settings())
    roots: list[str] = []
    for folder in params.workspace_folders or []:
        path = uri_to_path(folder.uri)
        if not path.startswith("<"):
            roots.append(path)
    if not roots and params.root_uri:
        path = uri_to_path(params.root_uri)
        if not path.startswith("<"):
            roots.append(path)
    elif not roots and params.root_path:
        roots.append(params.root_path)
    ls.projects.set_roots(roots)
    td = params.capabilities.text_document
    ls.pull_diagnostics = td is not None and td.diagnostic is not None
    # Features the client can use, registered now so the capabilities we answer list them.
    if ls.pull_diagnostics:
        ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
            identifier=DIAGNOSTIC_ID, inter_file_dependencies=True, workspace_diagnostics=False))(guarded(pull_diagnostics))
    if td is not None and td.inlay_hint is not None:
        ls.feature(types.TEXT_DOCUMENT_INLAY_HINT)(guarded(inlay_hint))
    if td is not None and td.code_lens is not None:
        ls.feature(types.TEXT_DOCUMENT_CODE_LENS)(guarded(code_lens))
    log.info("initialize: roots=%s trusted=%s pull=%s encoding=%s", roots, ls.trusted, ls.pull_diagnostics,
             params.capabilities.general and params.capabilities.general.position_encodings)


async def initialized(ls: ShapeLensServer, params: types.InitializedParams) -> None:
    ls.initialized = True
    ls.log(f"ShapeLens {__version__} started (Python {sys.version.split()[0]}); settings {ls.settings.to_json()}")
    await ls.pull_settings()


async def did_change_configuration(ls: ShapeLensServer, params: types.DidChangeConfigurationParams) -> None:
    if ls._ws_cap("configuration"):
        await ls.pull_settings()
        return
    ls._config_pulls += 1  # a pushed value supersedes any pull still on its way
    if params.settings is not None:
        ls.set_settings(ls.read_settings(params.settings))


def did_change_workspace_folders(ls: ShapeLensServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    roots = [uri_to_path(f.uri) for f in ls.workspace.folders.values()]
    ls.projects.set_roots([r for r in roots if not r.startswith("<")])


async def did_open(ls: ShapeLensServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    state = ls.open(doc.uri, doc.version, doc.text)
    ls.schedule(state, 0)


async def did_change(ls: ShapeLensServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.state_for(uri)
    if state is None and unquote(uri) not in ls.workspace.text_documents:  # pygls keys unquoted URIs
        return  # a change to a document never opened: nothing to follow
    doc = ls.workspace.get_text_document(uri)
    if state is None:
        state = ls.open(uri, params.text_document.version, doc.source)
    else:
        ls.update(state, params.text_document.version, doc.source)
    ls.schedule(state, ls.debounce_s())


async def did_save(ls: ShapeLensServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.state_for(uri)
    if state is None:
        return
    if params.text is not None and params.text != state.text:
        ls.update(state, state.version, params.text)
    if not state.current():
        ls.schedule(state, 0)
    # Other open files of the project may import this one: refresh them too.
    dependents = [o for o in ls.docs.values() if o is not state and o.project is state.project]
    for other in dependents:
        other.stale = True
        ls.schedule(other, ls.debounce_s())
    if dependents and ls.pull_diagnostics and ls._ws_cap("diagnostics", "refresh_support"):
        ls._fire(ls.workspace_diagnostic_refresh_async(None), "diagnostic refresh")


async def did_close(ls: ShapeLensServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.close(params.text_document.uri)


async def pull_diagnostics(ls: ShapeLensServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    state = ls.state_for(params.text_document.uri)
    if state is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    result = None
    for _ in range(3):  # the document may change while it is analysed
        # Answer now rather than after the debounce; the debounced run then finds the result.
        result = await ls.analyse(state)
        if result is not None and state.current():
            break
    result = state.latest
    if result is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    rid = ls.result_id(result)
    ls._mark_first_diagnostics()
    if params.previous_result_id == rid:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics_for(result), result_id=rid)


def hover(ls: ShapeLensServer, params: types.HoverParams) -> types.Hover | None:
    if not ls.settings.hover.enable:
        return None
    state = ls.state_for(params.text_document.uri)
    result = state.view() if state is not None else None
    if result is None:
        return None
    conv = ls.converter(result)
    line, col = conv.from_position(params.position)
    text = hover_mod.hover_markdown(result.analysis, line, col)
    if not text:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


async def inlay_hint(ls: ShapeLensServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
    state = ls.state_for(params.text_document.uri)
    result = await ls.current_view(state) if state is not None else None
    if result is None:
        return None
    conv = ls.converter(result)
    first, last = params.range.start.line + 1, params.range.end.line + 1
    out = []
    for h in hints_mod.inlay_hints(result.analysis, first, last, ls.settings.inlay_hints):
        out.append(types.InlayHint(
            position=conv.position(h.line, h.col), label=h.label, kind=types.InlayHintKind.Type,
            padding_left=True, tooltip=h.tooltip or None))
    return out


async def code_lens(ls: ShapeLensServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
    if not ls.settings.code_lens.enable:
        return []
    state = ls.state_for(params.text_document.uri)
    result = await ls.current_view(state) if state is not None else None
    if result is None:
        return None
    conv = ls.converter(result)
    out = []
    for lens in lens_mod.code_lenses(result.analysis):
        pos = conv.position(lens.line, 0)
        out.append(types.CodeLens(
            range=types.Range(start=pos, end=pos),
            command=types.Command(title=lens.title, command=commands_mod.MODEL_SUMMARY,
                                  arguments=[state.uri, {"line": pos.line, "character": 0}])))
    return out


def code_action(ls: ShapeLensServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    state = ls.state_for(params.text_document.uri)
    result = state.latest if state is not None else None
    if result is None or not state.current():
        return None  # fixes computed for older text would edit the wrong place
    conv = ls.converter(result)
    first = params.range.start.line + 1
    last = params.range.end.line + 1
    return actions_mod.code_actions(result.analysis, conv, state.uri, first, last, params.context)


def model_summary(ls: ShapeLensServer, *args: Any) -> str | None:
    """`shapelens.modelSummary [uri, {line, character}]` → the Markdown summary table."""
    try:
        uri = args[0] if args and isinstance(args[0], str) else None
        pos = args[1] if len(args) > 1 else None
        state = ls.state_for(uri) if uri else None
        result = state.view() if state is not None else None
        if result is None:
            return None
        line = None
        if isinstance(pos, dict) and isinstance(pos.get("line"), int):
            line = ls.converter(result).from_position(types.Position(line=pos["line"], character=int(pos.get("character") or 0)))[0]
        return commands_mod.model_summary_markdown(result.analysis, line)
    except Exception:
        ls.log_exception("shapelens.modelSummary")
        return None


def register(ls: ShapeLensServer) -> None:
    """The routing table. Capability-dependent features are added in `initialize`."""
    ls.feature(types.INITIALIZE)(guarded(initialize))
    ls.feature(types.INITIALIZED)(guarded(initialized))
    ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(guarded(did_change_configuration))
    ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(guarded(did_change_workspace_folders))
    ls.feature(types.TEXT_DOCUMENT_DID_OPEN)(guarded(did_open))
    ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)(guarded(did_change))
    ls.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(guarded(did_save))
    ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)(guarded(did_close))
    ls.feature(types.TEXT_DOCUMENT_HOVER)(guarded(hover))
    ls.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix]))(guarded(code_action))
    ls.feature(types.SHUTDOWN)(guarded(on_shutdown))  # stops the confirm worker
    ls.feature(types.EXIT)(guarded(on_exit))
    ls.command(commands_mod.MODEL_SUMMARY)(model_summary)


def create_server() -> ShapeLensServer:
    ls = ShapeLensServer()
    register(ls)
    return ls


def _setup_logging(log_file: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pygls").setLevel(logging.WARNING)


def serve(tcp: str | None = None, log_file: str | None = None) -> int:
    """Run the server on stdio, or on `HOST:PORT` when `tcp` is given."""
    _setup_logging(log_file)
    ls = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        try:
            port_n = int(port)
        except ValueError:
            print(f"shapelens: --tcp wants HOST:PORT, got {tcp!r}", file=sys.stderr)
            return 2
        ls.start_tcp(host or "127.0.0.1", port_n)
        return 0
    # stdout is the protocol channel: anything printed by accident must not land in it.
    real_stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    ls.start_io(stdout=real_stdout)
    return 0
