"""Torch's second opinion in the language server: when to ask, where to run it, what to keep.

`Confirmation` is owned by the server (``server.confirmation``). It does nothing unless
``confirm.enable`` is on and the workspace is trusted. Then, after a document's analysis is
stored and the document has stayed still for ``confirm.delayMs`` (longer than the analysis
debounce), it runs `confirm_analysis` -- which blocks on the worker process -- on its own
single-thread executor, so a slow or hanging model never occupies the event loop (hover and
diagnostics keep answering) nor the analysis thread pool. The answer is merged through
``server.merge_confirmation`` only if the document is still at the analysed version.

Every change of a document bumps its generation: the pending timer is cancelled and, when that
document's confirmation is in flight, the worker is interrupted (``ConfirmClient.cancel``);
whatever still comes back for an older generation is dropped. A timed-out or crashed run comes
back from `confirm_analysis` as an SL302 information finding, merged like any other answer.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from shapelens.confirm.client import ConfirmClient
from shapelens.confirm.merge import confirm_analysis, model_entries

if TYPE_CHECKING:
    from shapelens.lsp.documents import DocState, Result
    from shapelens.lsp.server import ShapeLensServer

log = logging.getLogger("shapelens.lsp.confirm")

PROGRESS_TITLE = "Confirming shapes with torch…"
_tokens = itertools.count(1)


class Confirmation:
    """Schedules, runs and merges torch confirmations for one server."""

    def __init__(self, server: "ShapeLensServer") -> None:
        self.server = server
        self.client: ConfirmClient | None = None
        self._client_key: tuple | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._tasks: dict[str, asyncio.Task] = {}
        self._gen: dict[str, int] = {}  # per document; bumped by every change
        self._active: tuple[str, int, ConfirmClient] | None = None  # what the executor runs now
        self._lock = threading.Lock()  # guards _gen and _active between the loop and the executor
        self._confirm_settings: Any = None  # the confirm settings in force while enabled
        self._closed = False
        self.merged = 0  # confirmations shown
        self._logged_starts = 0  # worker starts already logged
        server.analysis_hooks.append(self.analysed)

    @property
    def enabled(self) -> bool:
        return bool(self.server.trusted and self.server.settings.confirm.enable and not self._closed)

    # ------------------------------------------------------------------------- server hooks
    def analysed(self, server: "ShapeLensServer", state: "DocState") -> None:
        """Analysis hook (event loop): a new analysis is stored; confirm it once still."""
        if not self.enabled:
            return
        result = state.latest
        gen = self._supersede(state.uri)
        if result is None or result.has_syntax_error or state.path.startswith("<"):
            return  # the worker could not load it; untitled buffers have no file to import from
        self._tasks[state.uri] = asyncio.ensure_future(self._run(state, result, gen))

    def document_changed(self, uri: str) -> None:
        """The document's text changed (event loop): drop its pending and in-flight runs."""
        self._supersede(uri)

    def document_closed(self, uri: str) -> None:
        # The generation stays: a reopened document must not match a run queued before.
        self._supersede(uri)

    def settings_changed(self) -> None:
        """Settings changed (event loop): stop when disabled; otherwise, when a confirm setting
        changed, rebuild the client if its own settings changed and confirm the open documents
        again (``symbolValues``, ``cpuCheck`` change the answer)."""
        confirm = self.server.settings.confirm if self.enabled else None
        previous, self._confirm_settings = self._confirm_settings, confirm
        if confirm is None:
            for uri in list(self._tasks):
                self._supersede(uri)
            self._retire_client()
            return
        if confirm == previous:
            return
        if self.client is not None and self._client_key != self._settings_key():
            self._retire_client()  # new interpreter or limits: a new worker
        for state in list(self.server.docs.values()):
            if state.current():
                self.analysed(self.server, state)  # supersedes what was pending or running

    def shutdown(self) -> None:
        """shutdown / exit: cancel everything and stop the worker."""
        self._closed = True
        for uri in list(self._tasks):
            self._supersede(uri)
        client, self.client = self.client, None
        if client is not None:
            client.cancel()
            client.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # ------------------------------------------------------------------------- the run
    async def _run(self, state: "DocState", result: "Result", gen: int) -> None:
        server = self.server
        uri = state.uri
        try:
            delay = max(server.settings.confirm.delay_ms, 0) / 1000.0
            if delay > 0:
                await asyncio.sleep(delay)
            if not self._still(state, result, gen):
                return
            cfg = server.projects.config_for(state.path)
            config_entries = cfg.entries_for(state.path) if cfg is not None else []
            fa = result.analysis
            if not model_entries(fa, config_entries):
                return  # nothing torch could run: no worker, no progress
            client = self._ensure_client()
            settings = server.settings.confirm
            root = state.project.roots[0] if state.project.roots else os.path.dirname(state.path)
            token = await self._begin_progress(state.path)
            try:
                got = await asyncio.get_running_loop().run_in_executor(
                    self._pool(), self._work, client, uri, gen, fa, result.snapshot.text, root,
                    config_entries, settings.cpu_check, dict(settings.symbol_values))
            finally:
                self._end_progress(token)
            if client.starts != self._logged_starts and client.worker_pid is not None:
                self._logged_starts = client.starts
                server.log(f"ShapeLens: torch worker started (pid {client.worker_pid}, torch "
                           f"{client.torch_version}, {client.cold_start_seconds or 0:.2f} s)")
            if got is None or not self._still(state, result, gen):
                return  # cancelled, or the document moved on: this answer is stale
            confirmed, findings = got
            if confirmed.get("status") != "ok":
                server.log(f"ShapeLens: torch could not confirm {os.path.basename(state.path)}: "
                           f"{confirmed.get('status')}", types.MessageType.Warning)
            server.merge_confirmation(uri, result.snapshot.version, confirmed, findings)
            self.merged += 1
        except asyncio.CancelledError:
            pass
        except Exception:
            server.log_exception(f"confirming {uri}")
        finally:
            if self._tasks.get(uri) is asyncio.current_task():
                del self._tasks[uri]

    def _work(self, client: ConfirmClient, uri: str, gen: int, fa: Any, text: str, root: str,
              config_entries: list, cpu_check: bool, symbol_values: dict) -> tuple | None:
        """Executor thread: the blocking round trip to the worker."""
        with self._lock:
            if self._gen.get(uri) != gen:
                return None  # superseded while it waited for the executor
            self._active = (uri, gen, client)
        try:
            return confirm_analysis(client, fa, text, root, config_entries, cpu_check=cpu_check,
                                    symbol_values=symbol_values)
        finally:
            with self._lock:
                self._active = None

    def _still(self, state: "DocState", result: "Result", gen: int) -> bool:
        """The document is open, unchanged since `result`, and no newer run was scheduled."""
        with self._lock:
            latest_gen = self._gen.get(state.uri)
        return (self.enabled and latest_gen == gen and self.server.docs.get(state.uri) is state
                and state.latest is result and state.current())

    def _supersede(self, uri: str) -> int:
        """Cancel the document's pending timer and interrupt its in-flight run; new generation."""
        task = self._tasks.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        with self._lock:
            gen = self._gen[uri] = self._gen.get(uri, 0) + 1
            active = self._active
        if active is not None and active[0] == uri:
            active[2].cancel()  # returns at once; the executor thread gets `cancelled` back
        return gen

    # ------------------------------------------------------------------------- resources
    def _settings_key(self) -> tuple:
        c = self.server.settings.confirm
        return (c.python, c.timeout_seconds, c.memory_mb)

    def _ensure_client(self) -> ConfirmClient:
        key = self._settings_key()
        if self.client is None or self._client_key != key:
            self._retire_client()
            self.client = ConfirmClient.from_settings(self.server.settings.confirm)
            self._client_key = key
            self._logged_starts = 0
        return self.client

    def _retire_client(self) -> None:
        client, self.client, self._client_key = self.client, None, None
        if client is None:
            return
        # close() may wait for a busy worker: never on the event loop.
        def stop() -> None:
            client.cancel()
            client.close()

        threading.Thread(target=stop, name="shapelens-confirm-close", daemon=True).start()

    def _pool(self) -> ThreadPoolExecutor:
        # One thread: one request at a time is all the worker takes, and the analysis pool
        # stays free for analyses.
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapelens-confirm")
        return self._executor

    async def _begin_progress(self, path: str) -> str | None:
        if not self.server._progress_supported():
            return None
        token = f"shapelens-confirm-{next(_tokens)}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as e:
            log.debug("confirm progress not created: %r", e)
            return None
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=PROGRESS_TITLE, message=os.path.basename(path), cancellable=False))
        return token

    def _end_progress(self, token: str | None) -> None:
        if token is None:
            return
        try:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
        except Exception as e:  # shutting down
            log.debug("confirm progress not ended: %r", e)


def on_shutdown(ls: "ShapeLensServer", params: Any) -> None:
    ls.confirmation.shutdown()


def on_exit(ls: "ShapeLensServer", params: Any) -> None:
    ls.confirmation.shutdown()
