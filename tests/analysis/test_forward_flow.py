"""`forward` followed: branches, loops, returns, helpers, super().forward, other files, lists
of tensors, checkpoint. Shapes per line checked against a real forward (tracing.py)."""

from tests.analysis.tracing import check_files, check_model, shapes_at


def test_unknown_condition_joins_branches_never_a_wrong_number(tmp_path):
    fa = check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(3, 16, 3, padding=1)

    def forward(self, x):
        if x.mean() > 0:
            h = self.a(x)
        else:
            h = self.b(x)
        joined = h * 2
        return joined

out = Net()(torch.ones(2, 3, 5, 5))
''', vague={"joined", "out"})
    assert shapes_at(fa, "joined = h * 2", "joined") == [("2", "?", "5", "5")]


def test_known_condition_picks_its_branch(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, use_proj=True):
        super().__init__()
        self.use_proj = use_proj
        self.proj = nn.Linear(4, 6)

    def forward(self, x):
        if self.use_proj and x.dim() == 2:
            x = self.proj(x)
        elif x.shape[-1] == 4:
            x = x * 0
        if not self.training:
            x = x + 1
        return x

y = Net().eval()(torch.randn(3, 4))
''')


def test_for_over_range_zip_enumerate_dict_items_and_while(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(4, 4, 3, padding=1) for _ in range(3)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(4) for _ in range(3)])
        self.gates = {"a": 2, "b": 3}

    def forward(self, x):
        for i in range(len(self.convs)):
            x = self.convs[i](x)
        for conv, norm in zip(self.convs, self.norms):
            x = norm(conv(x))
        for i, conv in enumerate(self.convs):
            x = conv(x) + i
        for key, k in self.gates.items():
            x = torch.cat([x, x], dim=-1)[..., : x.shape[-1]]
        n = 0
        while n < 2:
            x = x[:, :, 1:]
            n += 1
        return x

out = Net().eval()(torch.randn(2, 4, 10))
''')


def test_early_return_tuple_and_dict_returns_and_module_helpers(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
import torch.nn.functional as F

def pool_flat(t, k=2):
    t = F.max_pool2d(t, k)
    return t.flatten(1)

class Net(nn.Module):
    def __init__(self, return_dict=True):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 3 * 3, 2)
        self.return_dict = return_dict

    def features(self, x):
        f = self.conv(x)
        return f, pool_flat(f)

    def forward(self, x):
        fmap, flat = self.features(x)
        logits = self.fc(flat)
        if self.return_dict:
            return {"logits": logits, "fmap": fmap}
        return logits, fmap

res = Net()(torch.randn(2, 1, 8, 8))
logits = res["logits"]
fmap = res["fmap"]
pair = Net(return_dict=False)(torch.randn(1, 1, 8, 8))
lg, fm = pair
''')


def test_super_forward_and_sequential_subclass(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Stem(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(3, 6, 3), nn.ReLU())

    def forward(self, x):
        y = super().forward(x)
        return y * 2

class Wider(nn.Linear):
    def forward(self, x):
        out = super().forward(x)
        return torch.cat([out, out], -1)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Stem()
        self.head = Wider(6 * 4 * 4, 5)

    def forward(self, x):
        x = self.stem(x).flatten(1)
        return self.head(x)

out = Net()(torch.randn(2, 3, 6, 6))
''')


def test_submodule_class_defined_in_another_file(tmp_path):
    check_files(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/blocks.py": '''
import torch
import torch.nn as nn

class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return torch.relu(y)

def widen(x, times):
    out = torch.cat([x] * times, dim=1)
    return out
''',
        "model.py": '''
import torch
import torch.nn as nn
from pkg.blocks import Down
from pkg import blocks

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1 = Down(3, 8)
        self.d2 = blocks.Down(16, 4)

    def forward(self, x):
        x = self.d1(x)
        x = blocks.widen(x, 2)
        return self.d2(x)

out = Net()(torch.randn(2, 3, 16, 16))
''',
    })


def test_densenet_style_list_of_tensors_then_cat(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Dense(nn.Module):
    def __init__(self, c0=4, growth=3, n=3):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(c0 + i * growth, growth, 3, padding=1) for i in range(n)])

    def forward(self, x):
        feats = [x]
        for layer in self.layers:
            inp = torch.cat(feats, 1)
            new = layer(inp)
            feats.append(new)
        out = torch.cat(feats, dim=1)
        return out

class UNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.ModuleList([nn.Conv2d(4, 4, 3, stride=2, padding=1) for _ in range(2)])
        self.up = nn.Upsample(scale_factor=2) if False else None

    def forward(self, x):
        skips = []
        for d in self.down:
            skips.append(x)
            x = d(x)
        for s in reversed(skips):
            x = torch.nn.functional.interpolate(x, size=s.shape[-2:]) if False else x.repeat_interleave(2, -1).repeat_interleave(2, -2)
            x = torch.cat([x, s], 1)[:, :4]
        return x

y = Dense()(torch.randn(2, 4, 5, 5))
z = UNetish()(torch.randn(1, 4, 8, 8))
''')


def test_checkpoint_and_jit_helpers(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from torch.utils.checkpoint import checkpoint

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 16)
        self.b = nn.Linear(16, 4)

    def inner(self, x):
        y = self.a(x)
        return y

    @torch.jit.unused
    def unused(self, x):
        return x

    def forward(self, x):
        h = cp.checkpoint(self.inner, x, use_reentrant=False)
        h = torch.jit.annotate(torch.Tensor, h)
        out = checkpoint(self.b, h, use_reentrant=False)
        return out

out = Net()(torch.randn(3, 8))
''')


def test_submodule_from_a_src_layout_package(tmp_path):
    # The real run finds the package through sys.path; ShapeLens through <root>/src.
    check_files(tmp_path, {
        "pyproject.toml": "",
        "src/mylib/__init__.py": "from .layers import Head\n",
        "src/mylib/layers.py": '''
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, cin, n):
        super().__init__()
        self.fc = nn.Linear(cin, n)

    def forward(self, x):
        z = self.fc(x.flatten(1))
        return z
''',
        "model.py": '''
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
import torch
from mylib import Head

out = Head(12, 3)(torch.randn(2, 3, 2, 2))
''',
    })


def test_submodule_found_by_jedi_outside_the_workspace(tmp_path):
    # `extlib` lives outside the workspace, on PYTHONPATH: only jedi knows where it is.
    import json
    import os
    import subprocess
    import sys

    import torch

    from tests.analysis.tracing import write_files

    write_files(tmp_path, {
        "ext/extlib/__init__.py": '''
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(4, n)

    def forward(self, x):
        y = self.fc(x)
        return y
''',
        "ws/pyproject.toml": "",
        "ws/model.py": "import torch\nfrom extlib import Head\nout = Head(3)(torch.randn(2, 4))\n",
    })
    probe = (
        "import json, sys\nfrom shapelens.analysis.analyze import analyze\n"
        "p = sys.argv[1]\nfa = analyze(p, open(p).read(), all_files=True)\n"
        "print(json.dumps({f'{k[0].rsplit(\"/\", 1)[-1]}:{k[1]}:{n}': [[d.value for d in v.shape] for v in vs]"
        " for k, d in fa.all_assigns.items() for n, vs in d.items()}))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "ext"))
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "ws" / "model.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    sys.path.insert(0, str(tmp_path / "ext"))
    try:
        from extlib import Head

        want = list(Head(3)(torch.randn(2, 4)).shape)
    finally:
        sys.path.remove(str(tmp_path / "ext"))
        sys.modules.pop("extlib", None)
    assert facts["model.py:3:out"] == [want]
    assert facts["__init__.py:10:y"] == [want]


def test_break_and_continue_under_undecided_conditions_join_where_they_land(tmp_path):
    # Whether the loop stops early depends on data: after it, the size is unknown, never the
    # size of the run that went all the way.
    fa = check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.downs = nn.ModuleList([nn.Conv2d(2, 2, 3, stride=2, padding=1) for _ in range(3)])

    def forward(self, x):
        for down in self.downs:
            if x.abs().mean() > 10.0:
                break
            x = down(x)
        after_break = x
        y = x
        for down in self.downs:
            if y.sum() > 1e9:
                continue
            y = down(y)
        after_continue = y
        n = 0
        z = after_continue
        while z.shape[-1] > 1:
            if z.mean() > 1e9:
                break
            z = z[..., ::2]
            n += 1
        else:
            z = z * 1
        return after_break, after_continue, z

a, b, c = Net()(torch.ones(1, 2, 16, 16))
''', vague={"after_break", "after_continue", "a", "b", "x", "y", "z", "c"})
    assert shapes_at(fa, "after_break = x", "after_break") == [("1", "2", "?", "?")]
    assert shapes_at(fa, "after_continue = y", "after_continue") == [("1", "2", "?", "?")]
