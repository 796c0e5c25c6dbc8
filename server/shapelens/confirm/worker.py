"""The meta-device worker: ``python -m shapelens.confirm.worker [--memory-mb N]``.

The only ShapeLens module that imports torch. It reads one JSON request per line on stdin and
writes one JSON response per line on stdout (the protocol is in ``docs/confirm.md``). Nothing
else may reach stdout: the real stdout is claimed for the protocol at start-up and file
descriptor 1 is pointed at stderr, so prints from user code, torch or C extensions land in the
log.

For each model entry the worker loads the file's *safe* part (see ``loader``), builds the model
under ``torch.device("meta")``, runs ``forward`` under ``torch.no_grad()`` while a line tracer
records every tensor-valued local of every frame of the analysed file and global module hooks
record each submodule call's output shapes; optionally it repeats the run on CPU with random
data to catch what meta kernels let through.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import importlib
import inspect
import io
import json
import logging
import os
import signal
import sys
import time
import traceback
import warnings
from typing import Any, Callable

# Limits for the CPU cross-check (documented in docs/confirm.md).
CPU_MAX_PARAMS = 5_000_000
CPU_MAX_INPUT_NUMEL = 1_000_000

_MODULE_ATTRS = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
    "in_features", "out_features", "in1_features", "in2_features", "num_features",
    "normalized_shape", "num_groups", "num_channels", "input_size", "hidden_size",
    "num_layers", "batch_first", "bidirectional", "proj_size", "num_embeddings",
    "embedding_dim", "embed_dim", "num_heads", "kdim", "vdim", "d_model", "nhead",
    "output_size", "scale_factor", "size", "start_dim", "end_dim", "dim",
)


# ----------------------------------------------------------------------------------------
# Start-up
# ----------------------------------------------------------------------------------------
def _claim_stdio() -> tuple[io.BufferedReader, io.TextIOWrapper]:
    """Keep the real stdin/stdout for the protocol only.

    File descriptor 1 is pointed at stderr (prints from user code, torch or C extensions land
    in the log) and fd 0 at /dev/null (a stray ``input()`` must not eat a request).
    """
    sys.stdout.flush()
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    proto_in = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(os.devnull, encoding="utf-8")
    return proto_in, proto_out


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # non-POSIX or not permitted: run unlimited
        pass


def _silence() -> None:
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)


# ----------------------------------------------------------------------------------------
# Statement map: every line -> first line of the innermost statement holding it
# ----------------------------------------------------------------------------------------
def statement_lines(source: str) -> dict[int, int]:
    """Map each line to the first line of the innermost statement that spans it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    mapping: dict[int, int] = {}

    def visit(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            for ln in range(s.lineno, (s.end_lineno or s.lineno) + 1):
                mapping[ln] = s.lineno
            for d in getattr(s, "decorator_list", ()):
                for ln in range(d.lineno, s.lineno):
                    mapping[ln] = s.lineno
            for field in ("body", "orelse", "finalbody"):
                visit(getattr(s, field, []) or [])
            for h in getattr(s, "handlers", []) or []:
                for ln in range(h.lineno, (h.end_lineno or h.lineno) + 1):
                    mapping.setdefault(ln, h.lineno)
                visit(h.body)
            for case in getattr(s, "cases", []) or []:
                visit(case.body)

    visit(tree.body)
    return mapping


# ----------------------------------------------------------------------------------------
# Recording
# ----------------------------------------------------------------------------------------
_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class Recorder:
    """Line tracer + module hooks for one run.

    Tracing: a frame of the analysed file gets a local trace function. At each line (or
    return) event, every tensor-valued local whose bound object changed identity since the
    previous event was assigned by the previous line's statement.
    """

    def __init__(self, torch: Any, filename: str, stmt_of: dict[int, int]) -> None:
        self.torch = torch
        self.Tensor = torch.Tensor
        self.filename = filename
        self.stmt_of = stmt_of
        self.shapes: dict[int, dict[str, list[list[int]]]] = {}
        self.calls: dict[int, list[list[int]]] = {}
        self.call_modules: dict[int, list[dict[str, Any]]] = {}
        self.frames: dict[Any, list[Any]] = {}
        self.stack: list[tuple[Any, tuple]] = []  # (module, args) of unfinished module calls
        self.names: dict[int, str] = {}
        self.root: Any = None
        self._handles: list[Any] = []
        import torch.nn.modules.module as mm

        self._module_file = mm.__file__

    # -- tracing ---------------------------------------------------------------------------
    def _global(self, frame, event, arg):
        if frame.f_code.co_filename != self.filename:
            return None
        if frame not in self.frames:  # a resumed generator keeps its state
            # Parameters count as assigned by the ``def`` line.
            first = frame.f_code.co_firstlineno
            self.frames[frame] = [self.stmt_of.get(first, first), {}]
        return self._local

    def _local(self, frame, event, arg):
        if event != "line" and event != "return":
            return self._local
        state = self.frames.get(frame)
        if state is None:
            return None
        prev, snap = state
        try:
            loc = frame.f_locals
        except Exception:  # pragma: no cover - exotic frames
            return self._local
        free = frame.f_code.co_freevars  # a closure's view of outer names: not assigned here
        for name, val in loc.items():
            if isinstance(val, self.Tensor) and name not in free:
                i = id(val)
                if snap.get(name) != i:
                    snap[name] = i
                    if prev is not None:
                        self._add_shape(prev, name, val)
            elif name in snap:
                del snap[name]
        if event == "line":
            state[0] = self.stmt_of.get(frame.f_lineno, frame.f_lineno)
            return self._local
        if frame.f_code.co_flags & _SUSPENDABLE:
            state[0] = None  # a yield: nothing assigned until it resumes
        else:
            self.frames.pop(frame, None)
        return None

    def _add_shape(self, line: int, name: str, val: Any) -> None:
        shape = list(val.shape)
        per_line = self.shapes.setdefault(line, {})
        seen = per_line.setdefault(name, [])
        if shape not in seen:
            seen.append(shape)

    # -- hooks -----------------------------------------------------------------------------
    def _pre_hook(self, module, args):
        self.stack.append((module, args))

    def _post_hook(self, module, args, output):
        while self.stack:
            m, _ = self.stack.pop()
            if m is module:
                break
        line = self._direct_caller_line()
        if line is None:
            return None
        shapes = [list(t.shape) for t in _tensors_in(output, self.Tensor)]
        if not shapes:
            return None
        seen = self.calls.setdefault(line, [])
        for s in shapes:
            if s not in seen:
                seen.append(s)
        name = self.names.get(id(module))
        mods = self.call_modules.setdefault(line, [])
        entry = {"module": name or None, "type": type(module).__name__, "shapes": shapes}
        if entry not in mods:
            mods.append(entry)
        return None

    def _direct_caller_line(self) -> int | None:
        """Line in the analysed file that called the module directly (not via a container)."""
        f = sys._getframe(2)
        while f is not None and f.f_code.co_filename in (self._module_file, __file__):
            f = f.f_back
        if f is None or f.f_code.co_filename != self.filename:
            return None
        return self.stmt_of.get(f.f_lineno, f.f_lineno)

    # -- lifecycle -------------------------------------------------------------------------
    def attach_model(self, model: Any) -> None:
        self.root = model
        try:
            self.names = {id(m): n for n, m in model.named_modules()}
        except Exception:
            self.names = {}

    def start(self) -> None:
        from torch.nn.modules import module as mm

        self._handles = [
            mm.register_module_forward_pre_hook(self._pre_hook),
            mm.register_module_forward_hook(self._post_hook),
        ]
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)
        for h in self._handles:
            h.remove()
        self._handles = []
        self.frames.clear()

    def innermost_module(self) -> tuple[Any, tuple] | None:
        return self.stack[-1] if self.stack else None


def _tensors_in(value: Any, Tensor: type, depth: int = 0) -> list[Any]:
    if isinstance(value, Tensor):
        return [value]
    if depth > 3:
        return []
    if isinstance(value, (tuple, list)):
        out: list[Any] = []
        for v in value:
            out.extend(_tensors_in(v, Tensor, depth + 1))
        return out
    if isinstance(value, dict):
        out = []
        for v in value.values():
            out.extend(_tensors_in(v, Tensor, depth + 1))
        return out
    return []


def _json_attr(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (tuple, list)):
        items = [_json_attr(x) for x in v]
        return items if all(x is not _SKIP for x in items) else _SKIP
    return _SKIP


_SKIP = object()


def module_attrs(module: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    own = getattr(module, "__dict__", {})  # plain attributes only: no properties run
    for a in _MODULE_ATTRS:
        v = own.get(a, _SKIP)
        v = _json_attr(v) if v is not _SKIP else _SKIP
        if v is not _SKIP:
            attrs[a] = v
    return attrs


def clean_message(exc: BaseException) -> str:
    """Torch's message: first lines only, no C++ stack, no Python traceback."""
    text = str(exc)
    if isinstance(exc, KeyError) and exc.args:
        text = repr(exc.args[0])
    cut = text.find("Exception raised from")
    if cut >= 0:
        text = text[:cut]
    lines = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()]
    text = "\n".join(lines[:3])
    return text[:600] if text else type(exc).__name__


# ----------------------------------------------------------------------------------------
# One run (meta or cpu)
# ----------------------------------------------------------------------------------------
class RunResult:
    def __init__(self) -> None:
        self.model: Any = None
        self.error: dict[str, Any] | None = None
        self.exc: BaseException | None = None
        self.shapes: dict[int, dict[str, list[list[int]]]] = {}
        self.calls: dict[int, list[list[int]]] = {}
        self.call_modules: dict[int, list[dict[str, Any]]] = {}
        self.output: list[list[int]] | None = None
        self.param_numel = 0


class Runner:
    """Runs one entry on one device inside a loaded module namespace."""

    DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32", "bool")

    def __init__(self, torch: Any, path: str, source: str, owns: Callable[[str], bool]) -> None:
        self.torch = torch
        self.path = path
        self.stmt_of = statement_lines(source)
        self.owns = owns

    def dtype(self, name: str | None) -> Any:
        name = (name or "float32").replace("torch.", "")
        aliases = {"float": "float32", "half": "float16", "double": "float64", "long": "int64",
                   "int": "int32"}
        name = aliases.get(name, name)
        if name not in self.DTYPES:
            raise ValueError(f"unsupported dtype {name!r}")
        return getattr(self.torch, name)

    def make_inputs(self, shapes: list[list[int]], dtypes: list[Any], device: str) -> list[Any]:
        torch = self.torch
        out = []
        for shape, dt in zip(shapes, dtypes):
            if device == "meta":
                out.append(torch.empty(shape, dtype=dt, device="meta"))
            elif dt.is_floating_point:
                out.append(torch.randn(shape, dtype=dt))
            elif dt == torch.bool:
                out.append(torch.randint(0, 2, shape).bool())
            else:
                # Ones: a valid index for any embedding of two or more rows, a valid class for
                # two or more classes, and a valid non-zero length for packed sequences.
                out.append(torch.ones(shape, dtype=dt))
        return out

    def run(self, namespace: dict, ctor: str, shapes: list[list[int]], dtypes: list[Any],
            device: str, limit_params: int | None = None) -> RunResult:
        torch = self.torch
        res = RunResult()
        rec = Recorder(torch, self.path, self.stmt_of)
        dev_ctx = torch.device("meta") if device == "meta" else contextlib.nullcontext()
        try:
            code = compile(ctor, "<shapelens entry>", "eval", dont_inherit=True)
            if device == "cpu":
                torch.manual_seed(0)
            with dev_ctx:
                model = eval(code, namespace)
            res.model = model
            if isinstance(model, torch.nn.Module):
                model.eval()
                res.param_numel = sum(p.numel() for p in model.parameters()) + sum(
                    b.numel() for b in model.buffers()
                )
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise  # the client cancelled this request
            res.exc = exc
            res.error = self.error_dict(exc, "construct", device, rec)
            return res
        if limit_params is not None and res.param_numel > limit_params:
            return res
        rec.attach_model(model)
        try:
            inputs = self.make_inputs(shapes, dtypes, device)
            with torch.no_grad(), (torch.device("meta") if device == "meta" else contextlib.nullcontext()):
                rec.start()
                try:
                    output = model(*inputs)
                finally:
                    rec.stop()
            res.output = [list(t.shape) for t in _tensors_in(output, torch.Tensor)]
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            res.exc = exc
            res.error = self.error_dict(exc, "forward", device, rec)
        res.shapes, res.calls, res.call_modules = rec.shapes, rec.calls, rec.call_modules
        return res

    def error_dict(self, exc: BaseException, phase: str, device: str, rec: Recorder) -> dict:
        line = origin_path = origin_line = None
        for fs in traceback.extract_tb(exc.__traceback__):
            if fs.filename == self.path:
                line = fs.lineno
            if fs.filename == self.path or self.owns(fs.filename):
                origin_path, origin_line = fs.filename, fs.lineno
        if isinstance(exc, SyntaxError) and exc.filename == self.path:
            line = exc.lineno
        err: dict[str, Any] = {
            "line": line,
            "statement_line": self.stmt_of.get(line, line) if line else None,
            "type": type(exc).__name__,
            "message": clean_message(exc),
            "module": None,
            "module_type": None,
            "module_attrs": {},
            "input_shapes": [],
            "phase": phase,
            "device": device,
            "origin_path": origin_path,
            "origin_line": origin_line,
        }
        inner = rec.innermost_module()
        if inner is not None and inner[0] is not rec.root:
            module, args = inner
            err["module"] = rec.names.get(id(module)) or None
            err["module_type"] = type(module).__name__
            err["module_attrs"] = module_attrs(module)
            err["input_shapes"] = [list(t.shape) for t in _tensors_in(args, self.torch.Tensor)]
        return err


def _meta_unsupported(exc: BaseException | None) -> bool:
    """An op without a meta kernel (or needing real data), not a shape error."""
    if exc is None:
        return False
    if isinstance(exc, NotImplementedError):
        return True
    msg = str(exc)
    return isinstance(exc, RuntimeError) and (
        "meta tensor" in msg or "on meta" in msg or "'meta'" in msg or "Meta" in msg
        or "data-dependent" in msg or "Cannot copy out of meta" in msg
        or "expected device meta" in msg or "Numpy is not available" in msg
    )


# ----------------------------------------------------------------------------------------
# Requests
# ----------------------------------------------------------------------------------------
class Worker:
    def __init__(self, torch: Any) -> None:
        self.torch = torch
        from .importer import WorkspaceFinder

        self._Finder = WorkspaceFinder

    def ping(self, params: dict) -> dict:
        return {"torch": self.torch.__version__.split("+")[0], "torch_full": self.torch.__version__,
                "pid": os.getpid(), "python": sys.version.split()[0]}

    def confirm(self, params: dict) -> dict:
        from .importer import load_model_module
        from .loader import LoadError

        path = os.path.abspath(params["path"])
        source = params.get("source")
        if source is None:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        source = source.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        root = params.get("root") or os.path.dirname(path)
        entries = params.get("entries") or []
        cpu_check = bool(params.get("cpu_check", True))
        symbols = params.get("symbol_values") or {}

        directory = os.path.dirname(path)
        finder = self._Finder([root, directory])
        added = [p for p in (directory, root) if p not in sys.path]
        for p in reversed(added):
            sys.path.insert(0, p)
        finder.install()
        importlib.invalidate_caches()  # files created since the last request must be found
        old_cwd = os.getcwd()
        with contextlib.suppress(OSError):
            os.chdir(root)  # relative paths in model code resolve as in the user's project
        try:
            runner = Runner(self.torch, path, source, finder.owns)
            t0 = time.perf_counter()
            try:
                module = load_model_module(path, source, finder)
            except BaseException as exc:  # noqa: BLE001 - any import-time failure
                if isinstance(exc, KeyboardInterrupt):
                    raise
                if isinstance(exc, LoadError):
                    err = {"line": exc.line, "statement_line": exc.line, "type": "SyntaxError",
                           "message": exc.message, "module": None, "module_type": None,
                           "module_attrs": {}, "input_shapes": [], "phase": "load",
                           "device": None, "origin_path": path, "origin_line": exc.line}
                else:
                    err = runner.error_dict(exc, "load", None, Recorder(self.torch, path, {}))
                    err["device"] = None
                return {"entries": [_failed_entry(e, err, time.perf_counter() - t0) for e in entries]}
            results = []
            for entry in entries:
                results.append(self.run_entry(runner, module.__dict__, entry, cpu_check, symbols))
            return {"entries": results}
        finally:
            with contextlib.suppress(OSError):
                os.chdir(old_cwd)
            finder.uninstall()
            finder.forget_loaded()
            for p in added:
                if p in sys.path:
                    sys.path.remove(p)

    def run_entry(self, runner: Runner, ns: dict, entry: dict, cpu_check: bool,
                  symbols: dict) -> dict:
        t0 = time.perf_counter()
        cls = entry.get("class") or ""
        ctor = entry.get("ctor") or f"{cls}()"
        try:
            shapes = [[_dim(d, symbols) for d in shape] for shape in entry.get("inputs") or []]
            names = list(entry.get("dtypes") or [])
            names += ["float32"] * (len(shapes) - len(names))
            dtypes = [runner.dtype(n) for n in names[: len(shapes)]]
        except (TypeError, ValueError) as exc:
            err = {"line": None, "statement_line": None, "type": type(exc).__name__,
                   "message": str(exc), "module": None, "module_type": None, "module_attrs": {},
                   "input_shapes": [], "phase": "inputs", "device": None,
                   "origin_path": None, "origin_line": None}
            return _failed_entry(entry, err, time.perf_counter() - t0)

        meta = runner.run(ns, ctor, shapes, dtypes, "meta")
        input_numel = sum(_numel(s) for s in shapes)
        cpu = None
        unsupported = _meta_unsupported(meta.exc)
        if cpu_check and input_numel <= CPU_MAX_INPUT_NUMEL:
            small = meta.model is None or meta.param_numel <= CPU_MAX_PARAMS
            if small:
                cpu = runner.run(ns, ctor, shapes, dtypes, "cpu", limit_params=CPU_MAX_PARAMS)
                if cpu.error is None and cpu.output is None and cpu.param_numel > CPU_MAX_PARAMS:
                    cpu = None  # too big after all: skipped
        result: dict[str, Any] = {"class": cls, "ctor": ctor, "ok": True, "device": "meta",
                                  "shapes": meta.shapes, "calls": meta.calls,
                                  "call_modules": meta.call_modules, "output": meta.output,
                                  "error": meta.error, "meta_error": None, "cpu_checked": cpu is not None,
                                  "meta_unsupported": unsupported}
        if meta.error is not None:
            result["ok"] = False
        if cpu is not None:
            if cpu.error is not None:
                # The CPU verdict wins: meta kernels accept some things CPU rejects.
                result["ok"] = False
                result["error"] = cpu.error
                if unsupported:
                    result.update(device="cpu", shapes=cpu.shapes, calls=cpu.calls,
                                  call_modules=cpu.call_modules)
            elif meta.error is not None:
                # Meta failed where real kernels work: report the CPU run.
                result.update(ok=True, error=None, meta_error=meta.error, device="cpu",
                              shapes=cpu.shapes, calls=cpu.calls, call_modules=cpu.call_modules,
                              output=cpu.output)
        result["shapes"] = {str(k): v for k, v in sorted(result["shapes"].items())}
        result["calls"] = {str(k): v for k, v in sorted(result["calls"].items())}
        result["call_modules"] = {str(k): v for k, v in sorted(result["call_modules"].items())}
        result["seconds"] = round(time.perf_counter() - t0, 6)
        return result


def _failed_entry(entry: dict, err: dict, seconds: float) -> dict:
    return {"class": entry.get("class") or "", "ctor": entry.get("ctor"), "ok": False,
            "device": err.get("device"), "shapes": {}, "calls": {}, "call_modules": {},
            "output": None, "error": err, "meta_error": None, "cpu_checked": False,
            "meta_unsupported": False,
            "seconds": round(seconds, 6)}


def _dim(d: Any, symbols: dict) -> int:
    """An input dim: an int, a symbol name (``symbols.get(name, 2)``) or a small expression
    over symbols and ints (``"2*T"``, ``"H // 2"``)."""
    if isinstance(d, bool):
        raise TypeError(f"bad dimension {d!r}")
    if isinstance(d, int):
        return d
    if isinstance(d, str):
        try:
            value = _eval_dim(ast.parse(d.strip(), mode="eval").body, symbols)
        except (SyntaxError, ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"bad dimension {d!r}: {exc}") from None
        return value
    raise TypeError(f"bad dimension {d!r}")


def _eval_dim(node: ast.AST, symbols: dict) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        v = symbols.get(node.id, 2)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        raise ValueError(f"symbol {node.id} has non-integer value {v!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_dim(node.operand, symbols)
    if isinstance(node, ast.BinOp):
        a, b = _eval_dim(node.left, symbols), _eval_dim(node.right, symbols)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.FloorDiv: lambda: a // b, ast.Mod: lambda: a % b}
        if type(node.op) in ops:
            return ops[type(node.op)]()
    raise ValueError("only ints, symbol names and + - * // % are allowed")


def _numel(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= max(int(d), 0)
    return n


def _warm_up(torch: Any) -> None:
    """Run common layers once on meta and CPU before announcing readiness.

    torch initialises meta kernels, decompositions and dispatch caches lazily; the first
    forward would otherwise pay ~1 s, charged to the user's first (time-limited) request.
    """
    nn = torch.nn
    try:
        for device in ("meta", "cpu"):
            with torch.device(device), torch.no_grad():
                net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 2)).eval()
                net(torch.zeros(1, 3, 4, 4))
                rnn = nn.LSTM(4, 4, batch_first=True)
                rnn(torch.zeros(1, 2, 4))
                nn.Embedding(4, 4)(torch.zeros(1, 2, dtype=torch.long))
                nn.LayerNorm(4)(torch.zeros(2, 4))
    except Exception:  # warm-up is best effort
        pass


# ----------------------------------------------------------------------------------------
# Main loop
# ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shapelens.confirm.worker")
    parser.add_argument("--memory-mb", type=int, default=4096,
                        help="address-space limit for this process (0 = none)")
    args = parser.parse_args(argv)

    stdin, proto = _claim_stdio()
    _silence()
    _limit_memory(args.memory_mb)

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj, separators=(",", ":")) + "\n")
        proto.flush()

    try:
        import torch  # the only torch import in ShapeLens
    except BaseException as exc:  # noqa: BLE001 - ImportError, or a broken install
        send({"id": None, "error": {"type": "unavailable",
                                    "message": f"torch cannot be imported: {type(exc).__name__}: {exc}"}})
        return 3
    try:
        torch.set_num_threads(1)
    except Exception:
        pass
    worker = Worker(torch)
    _warm_up(torch)
    # torch's own objects never die: keep them out of later collections (a full collection
    # over them costs ~100 ms).
    gc.collect()
    gc.freeze()
    # Cancellation: the client sends SIGINT while a confirm runs; it becomes one
    # KeyboardInterrupt in the user's code, the request answers {"error": {"type":
    # "cancelled"}} and the warm worker lives on. Outside a request SIGINT is ignored.
    state = {"busy": False, "interrupted": False}

    def on_sigint(signum, frame):
        if state["busy"] and not state["interrupted"]:
            state["interrupted"] = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    send({"id": None, "event": "ready", "result": worker.ping({})})

    while True:
        raw = stdin.readline()
        if not raw:
            return 0
        if not raw.strip():
            continue
        try:
            req = json.loads(raw)
            if not isinstance(req, dict):
                raise ValueError("request is not an object")
        except ValueError as exc:
            send({"id": None, "error": {"type": "parse", "message": str(exc)}})
            continue
        rid = req.get("id")
        method = req.get("method")
        try:
            if method == "exit":
                return 0
            if method == "ping":
                send({"id": rid, "result": worker.ping(req.get("params") or {})})
            elif method == "confirm":
                state.update(busy=True, interrupted=False)
                try:
                    result = worker.confirm(req.get("params") or {})
                finally:
                    state["busy"] = False
                if state["interrupted"]:
                    raise KeyboardInterrupt  # a swallowed interrupt still cancels
                send({"id": rid, "result": result})
                gc.collect()  # free the user's models after answering, not before
            else:
                send({"id": rid, "error": {"type": "method", "message": f"unknown method {method!r}"}})
        except MemoryError:
            send({"id": rid, "error": {"type": "MemoryError",
                                       "message": "the worker ran out of its memory limit"}})
        except KeyboardInterrupt:
            send({"id": rid, "error": {"type": "cancelled", "message": "cancelled by the client"}})
            gc.collect()
        except BaseException as exc:  # noqa: BLE001 - keep serving
            send({"id": rid, "error": {"type": type(exc).__name__, "message": clean_message(exc)}})


if __name__ == "__main__":
    raise SystemExit(main())
