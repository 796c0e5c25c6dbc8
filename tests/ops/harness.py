"""The oracle harness for shape rules: the same snippet runs in the engine and in torch.

    check(code, {"x": ((2, 3, 8, 8), "float32")}, result="y")

* torch side: the inputs are tensors on the meta device; when they are small, the snippet runs
  again on CPU with random data and CPU's verdict wins (some meta kernels skip checks CPU makes).
  Where meta raises and CPU does not (CPU fast paths, mostly on empty tensors) both verdicts are
  torch's: an engine error is accepted there, and an engine shape must be CPU's.
* engine side: the inputs are abstract tensors of the same shapes.
* agreement: torch raised ⇒ the engine reported an error finding (of `code` if given);
  torch succeeded ⇒ no engine error, and every tensor in the result has the same, fully
  concrete shape (tuples of tensors compared element by element).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from shapelens.analysis.analyze import SNIPPET_PRELUDE, eval_snippet
from shapelens.dims import Dim
from shapelens.values import ListV, TensorV, TupleV, Value

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "bool": torch.bool, "uint8": torch.uint8,
}
CPU_CHECK_NUMEL = 200_000

Spec = tuple  # (shape, dtype) or (shape, dtype, "randint:high")


@dataclass
class TorchOutcome:
    shapes: Any  # nested tuples of int tuples, or None for non-tensors
    error: BaseException | None
    device: str
    ambiguous: bool = False  # meta raised where CPU did not


@dataclass
class EngineOutcome:
    shapes: Any
    errors: list
    findings: list
    value: Value


def _make(spec: Spec, device: str) -> torch.Tensor:
    shape, dtype = spec[0], DTYPES[spec[1]]
    if device == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    high = int(spec[2].split(":")[1]) if len(spec) > 2 and str(spec[2]).startswith("randint:") else 2
    if dtype.is_floating_point:
        return torch.randn(shape, dtype=dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, shape).bool()
    return torch.randint(0, max(high, 1), shape, dtype=dtype)


def _torch_shapes(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return tuple(v.shape)
    if isinstance(v, (tuple, list)):
        return tuple(_torch_shapes(i) for i in v)
    return None


def run_torch(code: str, inputs: dict[str, Spec], result: str = "y") -> TorchOutcome:
    def once(device: str) -> TorchOutcome:
        ns: dict[str, Any] = {}
        exec(SNIPPET_PRELUDE, ns)
        torch.manual_seed(0)
        for k, spec in inputs.items():
            ns[k] = _make(spec, device)
        ctx = torch.device("meta") if device == "meta" else contextlib.nullcontext()
        try:
            with ctx, warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                exec(code, ns)
        except NotImplementedError as e:
            return TorchOutcome(None, e, device)
        except Exception as e:  # torch's verdict
            return TorchOutcome(None, e, device)
        return TorchOutcome(_torch_shapes(ns.get(result)), None, device)

    meta = once("meta")
    small = all(_numel(s[0]) <= CPU_CHECK_NUMEL for s in inputs.values())
    if isinstance(meta.error, NotImplementedError) or small:
        cpu = once("cpu")
        if meta.error is not None and cpu.error is None and not isinstance(meta.error, NotImplementedError):
            # The devices disagree (CPU fast paths, mostly for empty tensors): either verdict
            # is torch's, so an engine error is accepted, and a shape must be CPU's.
            cpu.ambiguous = True
        # Otherwise CPU is the judge: some meta kernels accept what CPU rejects.
        return cpu
    return meta


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _engine_shapes(v: Value) -> Any:
    if isinstance(v, TensorV):
        if v.shape is None:
            return "unknown-rank"
        return tuple(d.value if d.value is not None else str(d) for d in v.shape)
    if isinstance(v, (TupleV, ListV)):
        return tuple(_engine_shapes(i) for i in v.items)
    return None


def abstract_inputs(inputs: dict[str, Spec], symbols: dict[str, str] | None = None) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for k, spec in inputs.items():
        dims = tuple(Dim.sym(d) if isinstance(d, str) else Dim.const(d) for d in spec[0])
        out[k] = TensorV(dims, spec[1])
    return out


def run_engine(code: str, inputs: dict[str, Spec], result: str = "y") -> EngineOutcome:
    res = eval_snippet(code, abstract_inputs(inputs))
    v = res.value(result)
    return EngineOutcome(_engine_shapes(v), res.errors, res.findings, v)


def check(code: str, inputs: dict[str, Spec], result: str = "y", code_expected: str | None = None) -> TorchOutcome:
    """Assert the engine agrees with torch on this snippet; returns torch's outcome."""
    t = run_torch(code, inputs, result)
    e = run_engine(code, inputs, result)
    where = f"\n--- snippet ---\n{code}\n--- inputs --- {inputs}"
    if t.error is not None:
        assert e.errors, f"torch ({t.device}) raised {type(t.error).__name__}: {str(t.error)[:300]}\nbut the engine reported no error (got {e.shapes}){where}"
        if code_expected is not None:
            assert any(f.code == code_expected for f in e.errors), f"expected {code_expected}, got {[f.code + ' ' + f.message for f in e.errors]}{where}"
    elif t.ambiguous and e.errors:
        pass  # the engine sided with the meta device, which raised
    else:
        assert not e.errors, f"torch accepted it (shape {t.shapes}) but the engine reported {[f.code + ': ' + f.message for f in e.errors]}{where}"
        assert e.shapes == t.shapes, f"shape mismatch: engine {e.shapes} vs torch {t.shapes}{where}"
    return t


def symbolic_shape(code: str, inputs: dict[str, Spec], env: dict[str, int], result: str = "y") -> Any:
    """The engine's shape for symbolic inputs, with the symbols then given values."""
    res = eval_snippet(code, abstract_inputs(inputs))
    v = res.value(result)
    if not isinstance(v, TensorV) or v.shape is None:
        return None
    return tuple(d.subs(env).value for d in v.shape)


def check_symbolic(code: str, inputs: dict[str, Spec], env: dict[str, int], result: str = "y") -> None:
    """The symbolic result, evaluated at `env`, equals torch's shape for the concrete inputs."""
    concrete = {k: (tuple(env[d] if isinstance(d, str) else d for d in s[0]),) + tuple(s[1:]) for k, s in inputs.items()}
    t = run_torch(code, concrete, result)
    if t.error is not None:
        return  # a concrete instance torch rejects says nothing about the symbolic formula
    got = symbolic_shape(code, inputs, env, result)
    assert got == t.shapes, f"symbolic {got} at {env} vs torch {t.shapes}\n{code}"
