"""Client for the meta-device worker; what the language server and the CLI use.

Pure stdlib: importing this module never imports torch, pygls or lsprotocol.

:class:`ConfirmClient` starts ``python -m shapelens.confirm.worker`` lazily, keeps it for later
requests, and restarts it after a crash, a timeout or a cancellation. ``confirm`` blocks the
calling thread only: it waits on a queue fed by a reader thread, so the server's other threads
(hover, completion) keep running while a confirmation hangs; a timed-out worker is killed.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["ConfirmClient", "ConfirmOutcome", "EntryResult", "ModuleCall", "TorchError", "Shape"]

Shape = tuple[int, ...]

# The directory holding the ``shapelens`` package; put on the worker's PYTHONPATH so the
# worker runs even under an interpreter where ShapeLens is not installed.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class TorchError:
    """An error torch raised while building or running the model."""

    type: str
    message: str
    line: int | None = None
    statement_line: int | None = None
    module: str | None = None
    module_type: str | None = None
    module_attrs: Mapping[str, Any] = field(default_factory=dict)
    input_shapes: tuple[Shape, ...] = ()
    phase: str = "forward"  # "load" | "inputs" | "construct" | "forward"
    device: str | None = None  # "meta" | "cpu" | None (before any device was involved)
    origin_path: str | None = None
    origin_line: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "TorchError | None":
        if not data:
            return None
        return cls(
            type=str(data.get("type") or "Error"),
            message=str(data.get("message") or ""),
            line=data.get("line"),
            statement_line=data.get("statement_line"),
            module=data.get("module"),
            module_type=data.get("module_type"),
            module_attrs=dict(data.get("module_attrs") or {}),
            input_shapes=tuple(tuple(s) for s in data.get("input_shapes") or ()),
            phase=str(data.get("phase") or "forward"),
            device=data.get("device"),
            origin_path=data.get("origin_path"),
            origin_line=data.get("origin_line"),
        )


@dataclass(frozen=True)
class ModuleCall:
    """One submodule call seen on a line (``module`` is its dotted name in the model)."""

    module: str | None
    type: str
    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class EntryResult:
    """Torch's verdict on one model entry.

    ``shapes[line][name]`` lists the distinct shapes bound to ``name`` by the statement that
    starts on ``line``; ``calls[line]`` the distinct output shapes of submodule calls made
    directly on that line.
    """

    class_name: str
    ok: bool
    seconds: float = 0.0
    device: str | None = "meta"
    shapes: dict[int, dict[str, list[Shape]]] = field(default_factory=dict)
    calls: dict[int, list[Shape]] = field(default_factory=dict)
    call_modules: dict[int, list[ModuleCall]] = field(default_factory=dict)
    output: list[Shape] | None = None
    error: TorchError | None = None
    meta_error: TorchError | None = None  # meta failed but CPU succeeded
    cpu_checked: bool = False
    meta_unsupported: bool = False  # an op had no meta kernel / needed real data
    ctor: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "EntryResult":
        shapes = {
            int(line): {name: [tuple(s) for s in seen] for name, seen in names.items()}
            for line, names in (data.get("shapes") or {}).items()
        }
        calls = {int(line): [tuple(s) for s in seen] for line, seen in (data.get("calls") or {}).items()}
        call_modules = {
            int(line): [
                ModuleCall(m.get("module"), str(m.get("type")), tuple(tuple(s) for s in m.get("shapes") or ()))
                for m in mods
            ]
            for line, mods in (data.get("call_modules") or {}).items()
        }
        output = data.get("output")
        return cls(
            class_name=str(data.get("class") or ""),
            ok=bool(data.get("ok")),
            seconds=float(data.get("seconds") or 0.0),
            device=data.get("device"),
            shapes=shapes,
            calls=calls,
            call_modules=call_modules,
            output=[tuple(s) for s in output] if output is not None else None,
            error=TorchError.from_json(data.get("error")),
            meta_error=TorchError.from_json(data.get("meta_error")),
            cpu_checked=bool(data.get("cpu_checked")),
            meta_unsupported=bool(data.get("meta_unsupported")),
            ctor=data.get("ctor"),
        )


@dataclass
class ConfirmOutcome:
    """The result of one ``confirm`` call; ``entries`` is empty unless the worker answered."""

    entries: list[EntryResult] = field(default_factory=list)
    timed_out: bool = False
    crashed: bool = False
    cancelled: bool = False
    unavailable: bool = False
    reason: str | None = None
    stderr_tail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The worker answered (entries may still carry torch errors)."""
        return not (self.timed_out or self.crashed or self.cancelled or self.unavailable)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], seconds: float = 0.0) -> "ConfirmOutcome":
        return cls(entries=[EntryResult.from_json(e) for e in data.get("entries") or []],
                   seconds=seconds)


_EOF = object()
_WAKE = object()


class _Proc:
    """One running worker: the process, its reader thread and its stderr log."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.log = tempfile.TemporaryFile(prefix="shapelens-worker-", suffix=".log")
        self.popen = subprocess.Popen(
            argv,
            # ``-m`` puts the working directory first on sys.path: use ours, so a user's
            # ``json.py`` or ``torch.py`` in the server's cwd cannot shadow anything.
            cwd=_PACKAGE_PARENT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            close_fds=True,
            start_new_session=True,  # a kill must not reach the server's process group
        )
        self.lines: "queue.Queue[Any]" = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="shapelens-confirm-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stdout = self.popen.stdout
        try:
            for raw in stdout:
                try:
                    self.lines.put(json.loads(raw))
                except ValueError:
                    continue  # not ours; the worker keeps stdout clean, but be tolerant
        except (OSError, ValueError):
            pass
        finally:
            self.lines.put(_EOF)

    def send(self, obj: Mapping[str, Any]) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write((json.dumps(obj) + "\n").encode("utf-8"))
        self.popen.stdin.flush()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        try:
            self.popen.kill()
        except OSError:
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable
            pass
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def stderr_tail(self, limit: int = 4000) -> str:
        try:
            self.log.flush()
            size = self.log.seek(0, os.SEEK_END)
            self.log.seek(max(0, size - limit))
            return self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def close(self) -> None:
        self.kill()
        try:
            self.log.close()
        except OSError:
            pass


class ConfirmClient:
    """Talks to one lazily started worker process; one request at a time.

    ``timeout`` bounds each ``confirm`` call (the worker is killed when it is exceeded);
    ``start_timeout`` bounds the worker's start-up (importing torch takes seconds and is not
    charged to a request). ``memory_mb`` is the worker's address-space limit.
    """

    CANCEL_GRACE = 1.0  # seconds a cancelled request gets to stop before the worker is killed

    def __init__(self, python: str | None = None, timeout: float = 10.0, memory_mb: int = 4096,
                 start_timeout: float = 120.0) -> None:
        self.python = python or sys.executable
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.start_timeout = start_timeout
        self.cold_start_seconds: float | None = None
        self.torch_version: str | None = None
        self.worker_pid: int | None = None
        self.starts = 0
        self._proc: _Proc | None = None
        self._lock = threading.Lock()  # one request at a time
        self._state = threading.Lock()  # guards _proc and _cancelled against cancel()
        self._cancelled = False
        self._inflight: _Proc | None = None
        self._ids = itertools.count(1)
        self._unavailable_reason: str | None = None

    @classmethod
    def from_settings(cls, confirm_settings: Any) -> "ConfirmClient":
        """Build from a ``shapelens.settings.ConfirmSettings`` (duck-typed: python,
        timeout_seconds, memory_mb)."""
        return cls(python=getattr(confirm_settings, "python", "") or None,
                   timeout=float(getattr(confirm_settings, "timeout_seconds", 10.0)),
                   memory_mb=int(getattr(confirm_settings, "memory_mb", 4096)))

    # -- public ----------------------------------------------------------------------------
    def confirm(self, path: str, source: str | None, root: str | None,
                entries: Iterable[Mapping[str, Any]], cpu_check: bool = True,
                symbol_values: Mapping[str, int] | None = None,
                timeout: float | None = None) -> ConfirmOutcome:
        """Run the entries through torch; blocks this thread only, at most ``timeout`` s."""
        params = {
            "path": os.path.abspath(path),
            "source": source,
            "root": os.path.abspath(root) if root else os.path.dirname(os.path.abspath(path)),
            "entries": [dict(e) for e in entries],
            "cpu_check": bool(cpu_check),
            "symbol_values": dict(symbol_values or {}),
        }
        with self._lock:
            with self._state:
                self._cancelled = False
            started = time.monotonic()
            proc, failure = self._ensure_started()
            if failure is not None:
                return failure
            limit = self.timeout if timeout is None else timeout
            rid = next(self._ids)
            with self._state:
                if self._cancelled:  # cancelled while the worker was starting
                    return ConfirmOutcome(cancelled=True, reason="cancelled",
                                          seconds=time.monotonic() - started)
                self._inflight = proc
            try:
                return self._await(proc, rid, params, started, limit)
            finally:
                with self._state:
                    self._inflight = None

    def _await(self, proc: "_Proc", rid: int, params: dict, started: float,
               limit: float) -> ConfirmOutcome:
        try:
            proc.send({"id": rid, "method": "confirm", "params": params})
        except (OSError, ValueError):
            return self._died(proc, started)
        deadline = time.monotonic() + limit
        grace_end: float | None = None  # set once a cancel was asked for
        while True:
            now = time.monotonic()
            if grace_end is None and self._was_cancelled():
                grace_end = now + self.CANCEL_GRACE
            if grace_end is not None and now >= grace_end:
                # The worker did not stop in time (a long C kernel, or user code swallowing
                # the interrupt): kill it; the next request starts a fresh one.
                self._discard(proc)
                return ConfirmOutcome(cancelled=True, seconds=now - started,
                                      reason="cancelled; the worker was killed")
            remaining = deadline - now
            if remaining <= 0:
                self._discard(proc)
                return ConfirmOutcome(timed_out=True, seconds=now - started,
                                      reason=f"no answer within {limit:g} s; worker killed")
            wait = min(remaining, 0.25) if grace_end is None else min(remaining, grace_end - now)
            try:
                msg = proc.lines.get(timeout=max(wait, 0.0))
            except queue.Empty:
                continue
            if msg is _WAKE:
                continue
            if msg is _EOF:
                if self._was_cancelled():
                    self._discard(proc)
                    return ConfirmOutcome(cancelled=True, seconds=time.monotonic() - started,
                                          reason="cancelled")
                return self._died(proc, started)
            if not isinstance(msg, dict) or msg.get("id") != rid:
                continue  # a stale answer from an earlier, abandoned request
            seconds = time.monotonic() - started
            if grace_end is not None:
                # Answered after the cancel (interrupted, or finished anyway): the worker is
                # alive and warm, and the answer is stale.
                return ConfirmOutcome(cancelled=True, seconds=seconds, reason="cancelled")
            if "error" in msg:
                err = msg["error"] or {}
                return ConfirmOutcome(crashed=True, seconds=seconds,
                                      reason=f"worker error: {err.get('type')}: {err.get('message')}",
                                      stderr_tail=proc.stderr_tail())
            return ConfirmOutcome.from_json(msg.get("result") or {}, seconds)

    def ping(self) -> dict[str, Any] | None:
        """Start the worker if needed; its ``ping`` answer, or None when unavailable."""
        with self._lock:
            proc, failure = self._ensure_started()
            if failure is not None:
                return None
            rid = next(self._ids)
            try:
                proc.send({"id": rid, "method": "ping"})
            except (OSError, ValueError):
                self._discard(proc)
                return None
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                try:
                    msg = proc.lines.get(timeout=0.25)
                except queue.Empty:
                    continue
                if msg is _WAKE:
                    continue
                if msg is _EOF:
                    self._discard(proc)
                    return None
                if isinstance(msg, dict) and msg.get("id") == rid:
                    return msg.get("result")
            self._discard(proc)
            return None

    def cancel(self) -> None:
        """Abort the in-flight request, from any thread; returns at once.

        The worker is interrupted (SIGINT becomes a KeyboardInterrupt in the running model
        code) and stays warm for the next request; if it has not answered within
        ``CANCEL_GRACE`` seconds the waiting ``confirm`` kills it. Without a request in
        flight this does nothing (an idle warm worker is worth keeping).
        """
        with self._state:
            self._cancelled = True
            proc = self._inflight
        if proc is None:
            return
        try:
            if os.name == "posix":
                proc.popen.send_signal(signal.SIGINT)
            else:  # no way to interrupt politely: kill
                proc.popen.kill()
        except OSError:
            pass
        proc.lines.put(_WAKE)  # wake the waiting confirm now

    def close(self) -> None:
        """Stop the worker (an in-flight request returns ``cancelled``)."""
        with self._state:
            self._cancelled = True
            proc = self._proc
            self._proc = None
        if proc is not None:
            try:
                if proc.alive():
                    proc.send({"method": "exit"})
                    proc.popen.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
            proc.close()

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.alive()

    def __enter__(self) -> "ConfirmClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------
    def _was_cancelled(self) -> bool:
        with self._state:
            return self._cancelled

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = _PACKAGE_PARENT + (os.pathsep + old if old else "")
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def _ensure_started(self) -> tuple[_Proc | None, ConfirmOutcome | None]:
        with self._state:
            proc = self._proc
        if proc is not None and proc.alive():
            return proc, None
        if proc is not None:
            self._discard(proc)
        if self._unavailable_reason is not None:
            return None, ConfirmOutcome(unavailable=True, reason=self._unavailable_reason)
        argv = [self.python, "-m", "shapelens.confirm.worker", "--memory-mb", str(int(self.memory_mb))]
        t0 = time.monotonic()
        try:
            proc = _Proc(argv, self._env())
        except OSError as exc:
            self._unavailable_reason = f"cannot start {self.python}: {exc}"
            return None, ConfirmOutcome(unavailable=True, reason=self._unavailable_reason)
        with self._state:
            self._proc = proc
        self.starts += 1
        deadline = t0 + self.start_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._discard(proc)
                return None, ConfirmOutcome(timed_out=True, reason="the worker did not start in time",
                                            stderr_tail=proc.stderr_tail())
            try:
                msg = proc.lines.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            if msg is _EOF:
                if self._was_cancelled():
                    return None, ConfirmOutcome(cancelled=True, reason="cancelled")
                tail = proc.stderr_tail()
                self._discard(proc)
                if "No module named" in tail and ("torch" in tail or "shapelens" in tail):
                    self._unavailable_reason = f"{self.python} cannot run the worker: {_last_line(tail)}"
                    return None, ConfirmOutcome(unavailable=True, reason=self._unavailable_reason,
                                                stderr_tail=tail)
                return None, ConfirmOutcome(crashed=True, reason="the worker exited during start-up",
                                            stderr_tail=tail)
            if not isinstance(msg, dict) or msg.get("id") is not None:
                continue
            err = msg.get("error")
            if err and err.get("type") == "unavailable":
                self._unavailable_reason = str(err.get("message"))
                self._discard(proc)
                return None, ConfirmOutcome(unavailable=True, reason=self._unavailable_reason,
                                            stderr_tail=proc.stderr_tail())
            if msg.get("event") == "ready":
                info = msg.get("result") or {}
                self.cold_start_seconds = time.monotonic() - t0
                self.torch_version = info.get("torch")
                self.worker_pid = info.get("pid")
                return proc, None

    def _discard(self, proc: _Proc) -> None:
        with self._state:
            if self._proc is proc:
                self._proc = None
        proc.close()

    def _died(self, proc: _Proc, started: float) -> ConfirmOutcome:
        try:
            proc.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        code = proc.popen.returncode
        tail = proc.stderr_tail()
        self._discard(proc)
        reason = "the worker died"
        if code is not None:
            reason += f" (exit code {code})"
        if "MemoryError" in tail or code in (-9, 137):
            reason += "; it may have hit its memory limit"
        return ConfirmOutcome(crashed=True, reason=reason, stderr_tail=tail,
                              seconds=time.monotonic() - started)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else text
