"""ShapeLens against torchvision's own model files: every tensor-valued name per line.

    python benchmarks/torchvision_accuracy.py [--only resnet18,vgg11_bn] [--no-write]

1. Downloads the torchvision 0.28.0 wheel (`pip download --no-deps`) into benchmarks/.cache
   (gitignored; never committed) and unpacks its Python files.
2. Ground truth: loads torchvision's model files with the installed torch WITHOUT running
   `torchvision/__init__.py` (its compiled extension does not load beside the CPU torch): the
   packages are created in sys.modules by hand and the two helpers that drag in PIL/numpy
   (`torchvision.utils`, `torchvision.transforms._presets`) are replaced by the few names the
   models use. Each model runs forward on meta tensors while sys.settrace records, per
   (file, line), the shapes of tensor-valued names bound by the statement starting on that line
   (the `shapelens --shapes` definition; parameters count on their `def` line).
3. ShapeLens: the same files analysed with one model entry each (the `[[tool.shapelens.entries]]`
   form: file, call, inputs), never executed; facts of every file the run reached count.
4. Compares per (file, line, name) the SET of shapes (a block used by several stages sees
   several): agreement (identical set), coverage (the engine gave a fully concrete shape),
   unknown (it gave none), wrong (a concrete shape torch never produced there), and
   error-severity findings (must be zero: these models are correct). Writes docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import ast
import glob
import importlib
import os
import subprocess
import sys
import time
import types
import zipfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache")
TV_ROOT = os.path.join(CACHE, "tv")
TV_PKG = os.path.join(TV_ROOT, "torchvision")
VERSION = "0.28.0"

# name, model file (relative to torchvision/models), call in that file's namespace, input shape
MODELS: list[tuple[str, str, str, list[int]]] = [
    ("resnet18", "resnet.py", "resnet18()", [1, 3, 224, 224]),
    ("resnet50", "resnet.py", "resnet50()", [1, 3, 224, 224]),
    ("vgg11_bn", "vgg.py", "vgg11_bn()", [1, 3, 224, 224]),
    ("alexnet", "alexnet.py", "alexnet()", [1, 3, 224, 224]),
    ("densenet121", "densenet.py", "densenet121()", [1, 3, 224, 224]),
    ("squeezenet1_0", "squeezenet.py", "squeezenet1_0()", [1, 3, 224, 224]),
    ("squeezenet1_1", "squeezenet.py", "squeezenet1_1()", [1, 3, 224, 224]),
    ("mobilenet_v2", "mobilenetv2.py", "mobilenet_v2()", [1, 3, 224, 224]),
    ("mobilenet_v3_small", "mobilenetv3.py", "mobilenet_v3_small()", [1, 3, 224, 224]),
    ("mobilenet_v3_large", "mobilenetv3.py", "mobilenet_v3_large()", [1, 3, 224, 224]),
    ("googlenet", "googlenet.py", "googlenet(aux_logits=False, init_weights=False)", [1, 3, 224, 224]),
    ("shufflenet_v2_x1_0", "shufflenetv2.py", "shufflenet_v2_x1_0()", [1, 3, 224, 224]),
    ("efficientnet_b0", "efficientnet.py", "efficientnet_b0()", [1, 3, 224, 224]),
    ("regnet_y_400mf", "regnet.py", "regnet_y_400mf()", [1, 3, 224, 224]),
    ("convnext_tiny", "convnext.py", "convnext_tiny()", [1, 3, 224, 224]),
    ("vit_b_16", "vision_transformer.py", "vit_b_16()", [1, 3, 224, 224]),
    ("swin_t", "swin_transformer.py", "swin_t()", [1, 3, 224, 224]),
    # beyond the goal's list
    ("resnext50_32x4d", "resnet.py", "resnext50_32x4d()", [1, 3, 224, 224]),
    ("wide_resnet50_2", "resnet.py", "wide_resnet50_2()", [1, 3, 224, 224]),
    ("vgg16", "vgg.py", "vgg16()", [1, 3, 224, 224]),
    ("densenet161", "densenet.py", "densenet161()", [1, 3, 224, 224]),
    ("inception_v3", "inception.py", "inception_v3(aux_logits=False, init_weights=False)", [1, 3, 299, 299]),
    ("mnasnet0_5", "mnasnet.py", "mnasnet0_5()", [1, 3, 224, 224]),
    ("shufflenet_v2_x0_5", "shufflenetv2.py", "shufflenet_v2_x0_5()", [1, 3, 224, 224]),
    ("efficientnet_v2_s", "efficientnet.py", "efficientnet_v2_s()", [1, 3, 224, 224]),
    ("regnet_x_400mf", "regnet.py", "regnet_x_400mf()", [1, 3, 224, 224]),
    ("convnext_small", "convnext.py", "convnext_small()", [1, 3, 224, 224]),
    ("vit_b_32", "vision_transformer.py", "vit_b_32()", [1, 3, 224, 224]),
    ("swin_v2_t", "swin_transformer.py", "swin_v2_t()", [1, 3, 256, 256]),
    ("fcn_resnet50", "segmentation/fcn.py", "fcn_resnet50(weights_backbone=None, aux_loss=True)", [1, 3, 224, 224]),
    ("deeplabv3_mobilenet_v3_large", "segmentation/deeplabv3.py",
     "deeplabv3_mobilenet_v3_large(weights_backbone=None)", [1, 3, 224, 224]),
    ("lraspp_mobilenet_v3_large", "segmentation/lraspp.py", "lraspp_mobilenet_v3_large(weights_backbone=None)",
     [1, 3, 224, 224]),
    ("googlenet_2x", "googlenet.py", "googlenet(aux_logits=False, init_weights=False)", [2, 3, 160, 192]),
    ("resnet18_2x", "resnet.py", "resnet18(num_classes=10)", [2, 3, 96, 128]),
]


# ----------------------------------------------------------------------------------------------
# the torchvision sources
# ----------------------------------------------------------------------------------------------


def ensure_sources() -> None:
    if os.path.isfile(os.path.join(TV_PKG, "models", "resnet.py")):
        return
    os.makedirs(CACHE, exist_ok=True)
    wheels = glob.glob(os.path.join(CACHE, f"torchvision-{VERSION}-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"torchvision=={VERSION}", "-d", CACHE],
                       check=True)
        wheels = glob.glob(os.path.join(CACHE, f"torchvision-{VERSION}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as z:
        z.extractall(TV_ROOT, members=[n for n in z.namelist() if n.endswith(".py")])


# ----------------------------------------------------------------------------------------------
# ground truth: torch on meta tensors, traced
# ----------------------------------------------------------------------------------------------


def load_torchvision() -> None:
    """Make `torchvision.models.X` importable without torchvision/__init__.py."""
    if "torchvision.models.resnet" in sys.modules:
        return
    import collections
    import itertools
    import torch
    from torch import nn

    for name, sub in (("torchvision", ""), ("torchvision.models", "models"), ("torchvision.ops", "ops"),
                      ("torchvision.transforms", "transforms")):
        mod = types.ModuleType(name)
        mod.__path__ = [os.path.join(TV_PKG, sub) if sub else TV_PKG]
        mod.__package__ = name
        sys.modules[name] = mod
    # torchvision.utils imports PIL and numpy; the models need two of its functions only.
    utils = types.ModuleType("torchvision.utils")
    utils.__dict__.update(torch=torch, collections=collections, repeat=itertools.repeat,
                          FunctionType=types.FunctionType, Any=object)
    src = open(os.path.join(TV_PKG, "utils.py"), encoding="utf-8").read()
    tree = ast.parse(src)
    keep = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("_log_api_usage_once", "_make_ntuple")]
    exec(compile(ast.Module(body=keep, type_ignores=[]), os.path.join(TV_PKG, "utils.py"), "exec"), utils.__dict__)
    sys.modules["torchvision.utils"] = utils
    # transforms._presets pulls transforms.functional (PIL); weights only store these callables.
    presets = types.ModuleType("torchvision.transforms._presets")

    class _Preset(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()

    for n in ("ObjectDetection", "ImageClassification", "VideoClassification", "SemanticSegmentation", "OpticalFlow"):
        setattr(presets, n, type(n, (_Preset,), {}))

    class InterpolationMode:
        NEAREST, BILINEAR, BICUBIC = "nearest", "bilinear", "bicubic"

    presets.InterpolationMode = InterpolationMode
    sys.modules["torchvision.transforms._presets"] = presets
    # `from ..ops import StochasticDepth` (efficientnet) reads the ops package itself.
    sd = importlib.import_module("torchvision.ops.stochastic_depth")
    sys.modules["torchvision.ops"].StochasticDepth = sd.StochasticDepth
    sys.modules["torchvision.ops"].stochastic_depth = sd.stochastic_depth


Truth = dict[tuple[str, int, str], set[tuple[int, ...]]]


def trace_model(file: str, call: str, shape: list[int]) -> Truth:
    import torch

    # The same tracer the whole-model tests use as their ground truth.
    sys.path[:0] = [REPO, os.path.join(REPO, "server")]
    from tests.analysis.tracing import binding_lines, statement_tracer

    load_torchvision()
    modname = "torchvision.models." + os.path.splitext(file)[0].replace("/", ".")
    mod = importlib.import_module(modname)
    try:
        with torch.device("meta"):
            model = eval(call, mod.__dict__)
    except NotImplementedError:  # regnet computes its widths from real tensors
        model = eval(call, mod.__dict__).to("meta")
    model.eval()
    x = torch.empty(shape, device="meta")
    info: dict[str, tuple] = {}
    truth: Truth = {}

    def file_info(path: str):
        if path not in info:
            info[path] = binding_lines(open(path, encoding="utf-8").read()) if path.startswith(TV_PKG) and os.path.isfile(path) else None
        return info[path]

    def record(path: str, line: int, name: str, v) -> None:
        if isinstance(v, torch.Tensor):
            truth.setdefault((os.path.relpath(path, TV_ROOT), line, name), set()).add(tuple(v.shape))

    tracer = statement_tracer(file_info, record, module_frames=False)

    sys.settrace(tracer)
    try:
        with torch.no_grad():
            model(x)
    finally:
        sys.settrace(None)
    return truth


# ----------------------------------------------------------------------------------------------
# ShapeLens
# ----------------------------------------------------------------------------------------------


@dataclass
class EngineRun:
    facts: dict[tuple[str, int, str], list]  # key → list of shapes (tuples; None dims unknown/symbolic)
    errors: list[str]
    seconds: float
    complete: bool


def run_engine(file: str, call: str, shape: list[int]) -> EngineRun:
    sys.path.insert(0, os.path.join(REPO, "server"))
    from shapelens.analysis.analyze import analyze
    from shapelens.analysis.project import Project
    from shapelens.config import Entry
    from shapelens.findings import Severity

    path = os.path.join(TV_PKG, "models", file)
    source = open(path, encoding="utf-8").read()
    entry = Entry(path, f"{call}.eval()", [shape])  # the ground truth runs in eval mode too
    fa = analyze(path, source, project=Project(roots=[TV_ROOT], use_jedi=False), entries=[entry],
                 all_files=True, uncalled=False, budget=20_000_000)
    facts: dict[tuple[str, int, str], list] = {}
    for (p, line), names in (fa.all_assigns or {}).items():
        if not p.startswith(TV_PKG):
            continue
        rel = os.path.relpath(p, TV_ROOT)
        for name, vals in names.items():
            facts[(rel, line, name)] = [
                None if v.shape is None else tuple(d.value for d in v.shape) for v in vals
            ]
    errors = [f"{os.path.relpath(f.path, TV_ROOT)}:{f.span.line}: {f.code} {f.message}"
              for f in fa.findings if f.severity == Severity.ERROR]
    return EngineRun(facts, errors, fa.seconds, fa.complete)


# ----------------------------------------------------------------------------------------------
# comparison
# ----------------------------------------------------------------------------------------------


@dataclass
class Score:
    names: int = 0
    agree: int = 0
    covered: int = 0
    unknown: int = 0
    wrong: int = 0
    errors: int = 0
    seconds: float = 0.0
    complete: bool = True
    misses: list[str] = field(default_factory=list)

    def pct(self, n: int) -> str:
        return f"{100.0 * n / self.names:.1f}%" if self.names else "—"


def compare(truth: Truth, run: EngineRun) -> Score:
    s = Score(errors=len(run.errors), seconds=run.seconds, complete=run.complete)
    for key in sorted(truth):
        want = truth[key]
        got = run.facts.get(key, [])
        concrete = {g for g in got if g is not None and all(d is not None for d in g)}
        vague = [g for g in got if g is None or any(d is None for d in g)]
        s.names += 1
        if concrete:
            s.covered += 1
        else:
            s.unknown += 1
        if concrete - want:
            s.wrong += 1
        if concrete == want and not vague:
            s.agree += 1
        else:
            file, line, name = key
            s.misses.append(f"{file}:{line} {name}: torch {sorted(want)} · shapelens {got}")
    return s


def opened_alone() -> list[tuple[str, int, int, float, bool]]:
    """Each model file analysed as an editor would open it, with no entry: the classes run on
    guessed (symbolic) inputs. (file, error findings, all findings, seconds, complete)."""
    from shapelens.analysis.analyze import analyze
    from shapelens.analysis.project import Project
    from shapelens.findings import Severity

    out = []
    for file in sorted({f for _, f, _, _ in MODELS}):
        path = os.path.join(TV_PKG, "models", file)
        fa = analyze(path, open(path, encoding="utf-8").read(), project=Project(roots=[TV_ROOT], use_jedi=False))
        errors = [f for f in fa.findings if f.severity == Severity.ERROR]
        for e in errors:
            print(f"   error ({file} alone): {e.span.line}: {e.code} {e.message}", file=sys.stderr)
        out.append((file, len(errors), len(fa.findings), fa.seconds, fa.complete))
    return out


def render(results: list[tuple[str, str, list[int], Score]], alone: list[tuple[str, int, int, float, bool]]) -> str:
    total = Score()
    lines = [
        "# Accuracy on torchvision's models",
        "",
        f"Generated by `python benchmarks/torchvision_accuracy.py` (torchvision {VERSION} model files, "
        "ground truth from torch on meta tensors). For each model the table counts every "
        "(file, line, name) where torch bound a tensor, in every torchvision file the forward "
        "passed through, and compares the set of shapes seen there with ShapeLens's, which "
        "analysed the files without running them, fed only by the entry (call, input shape).",
        "",
        "- **agreement**: ShapeLens's set of shapes equals torch's",
        "- **coverage**: ShapeLens gave at least one fully concrete shape",
        "- **unknown**: it gave none (unknown or missing) — never a guess",
        "- **wrong**: it gave a concrete shape torch never produced there",
        "- **errors**: error-severity findings (these models are correct: must be 0)",
        "",
        "| model | entry | input | names | agreement | coverage | unknown | wrong | errors | seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, call, shape, s in results:
        note = "" if s.complete else " (budget ran out)"
        lines.append(f"| {name} | `{call}.eval()` | {tuple(shape)} | {s.names} | {s.pct(s.agree)} | {s.pct(s.covered)} | "
                     f"{s.unknown} | {s.wrong} | {s.errors} | {s.seconds:.1f}{note} |")
        for attr in ("names", "agree", "covered", "unknown", "wrong", "errors"):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
        total.seconds += s.seconds
    lines.append(f"| **overall** | | | {total.names} | {total.pct(total.agree)} | {total.pct(total.covered)} | "
                 f"{total.unknown} | {total.wrong} | {total.errors} | {total.seconds:.1f} |")
    lines.append("")
    if alone:
        lines += [
            "## Each file opened alone",
            "",
            "The same files analysed as an editor opens them, with no entry: every class nobody calls "
            "runs on guessed symbolic inputs. Error findings here would be false alarms.",
            "",
            "| file | errors | findings | seconds |",
            "|---|---:|---:|---:|",
        ]
        for file, n_err, n_all, secs, complete in alone:
            lines.append(f"| {file} | {n_err} | {n_all} | {secs:.1f}{'' if complete else ' (budget ran out)'} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/accuracy.md alone")
    ap.add_argument("--misses", type=int, default=0, help="show up to N disagreements per model")
    args = ap.parse_args(argv)
    ensure_sources()
    only = set(args.only.split(",")) if args.only else None
    results: list[tuple[str, str, Score]] = []
    for name, file, call, shape in MODELS:
        if only and name not in only:
            continue
        started = time.perf_counter()
        truth = trace_model(file, call, shape)
        run = run_engine(file, call, shape)
        score = compare(truth, run)
        results.append((name, call, shape, score))
        print(f"{name}: {score.pct(score.agree)} agreement of {score.names} names, {score.errors} errors "
              f"({time.perf_counter() - started:.1f}s)", file=sys.stderr)
        for e in run.errors:
            print("   error:", e, file=sys.stderr)
        for m in score.misses[: args.misses]:
            print("   ", m, file=sys.stderr)
    text = render(results, opened_alone() if only is None else [])
    print(text)
    if not args.no_write and only is None:
        with open(os.path.join(REPO, "docs", "accuracy.md"), "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
