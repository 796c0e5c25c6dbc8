"""Input shapes from where users already write them: jaxtyping annotations, the `# shapes:`
comment, `Shape:` docstrings, call sites (DataLoader batches included), pyproject entries, and
symbolic names from `b, c, h, w = x.shape`. Symbolic results are checked against torch with the
symbols given values; constraints from layers are gathered and contradictions are errors."""

import os

from shapelens.analysis.analyze import analyze, constraint_hint
from shapelens.config import Entry, load_config
from shapelens.findings import Severity
from tests.analysis.tracing import check_model, check_symbolic, shapes_at, write_files


def models(fa):
    return {m.class_name: (m.entry, m.signature()) for m in fa.models}


JAXTYPING_STANDIN = """
class _Array:
    def __class_getitem__(cls, item):
        return object

Float = Int = _Array
"""


def test_jaxtyping_annotation(tmp_path):
    # jaxtyping is not installed here: the real run gets a stand-in; the engine never imports it.
    write_files(tmp_path, {"jaxtyping.py": JAXTYPING_STANDIN})
    fa = check_symbolic(tmp_path, '''
import torch
import torch.nn as nn
from jaxtyping import Float, Int
from torch import Tensor

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, img: Float[Tensor, "batch 3 h w"], tokens: Int[Tensor, "batch t"]):
        feats = self.conv(img)
        e = self.emb(tokens)
        return feats, e
''', "out = Net()(torch.randn(2, 3, 5, 7), torch.randint(0, 50, (2, 6)))", {"batch": 2, "h": 5, "w": 7, "t": 6})
    assert models(fa)["Net"][0] == "annotation"
    assert shapes_at(fa, "feats = self.conv(img)", "feats") == [("batch", "4", "h", "w")]


def test_shapes_comment(tmp_path):
    fa = check_symbolic(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.rnn_in = nn.Linear(8, 4)

    # shapes: x=(B, 3, 32, 32), lengths=(B,) int64
    def forward(self, x, lengths):
        y = self.conv(x)
        z = self.rnn_in(y.mean((2, 3)))
        n = lengths + 1
        return z
''', "out = Net()(torch.randn(3, 3, 32, 32), torch.ones(3, dtype=torch.long))", {"B": 3})
    assert models(fa)["Net"][0] == "comment"
    assert shapes_at(fa, "y = self.conv(x)", "y") == [("B", "8", "15", "15")]


def test_shape_docstring(tmp_path):
    fa = check_symbolic(tmp_path, '''
import torch
import torch.nn as nn

class Block(nn.Module):
    """Pointwise mixing.

    Shape:
        - Input: :math:`(N, 6, L)`
        - Output: :math:`(N, 2, L)`
    """

    def __init__(self):
        super().__init__()
        self.mix = nn.Conv1d(6, 2, 1)

    def forward(self, x):
        y = self.mix(x)
        return y
''', "out = Block()(torch.randn(4, 6, 9))", {"N": 4, "L": 9})
    assert models(fa)["Block"][0] == "docstring"


def test_names_from_shape_unpacking(tmp_path):
    fa = check_symbolic(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 5, 1)

    def forward(self, img):
        b, c, h, w = img.shape
        y = self.proj(img).view(b, -1, h * w)
        t = y.transpose(1, 2)
        return t
''', "out = Net()(torch.randn(2, 3, 4, 6))", {"B": 2, "C": 3, "H": 4, "W": 6})
    assert shapes_at(fa, "t = y.transpose(1, 2)", "t") == [("B", "H*W", "5")]


def test_call_site_with_computed_sizes(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.fc = nn.Linear(n_in, 3)

    def forward(self, x):
        y = self.fc(x)
        return y

side = 4
batch = 2 * 3
model = Net(side * side)
out = model(torch.randn(batch, side * side))
''')


def test_dataloader_batches_feed_the_model(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        h = self.pool(self.conv(x)).flatten(1)
        return self.fc(h)

ds = TensorDataset(torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,)))
loader = DataLoader(ds, batch_size=64, shuffle=True)
model = Net()
first = model(next(iter(loader))[0])
for xb, yb in loader:
    logits = model(xb)
    loss = nn.functional.cross_entropy(logits, yb)
for step, (xb2, yb2) in enumerate(loader):
    logits2 = model(xb2)
''')


def test_dataloader_partial_last_batch_is_unknown_not_wrong(tmp_path):
    fa = check_model(tmp_path, '''
import torch
from torch.utils.data import DataLoader, TensorDataset

loader = DataLoader(TensorDataset(torch.randn(100, 4)), batch_size=64)
for (xb,) in loader:
    y = xb * 2
''', vague={"xb", "y"})
    assert shapes_at(fa, "y = xb * 2", "y") == [("?", "4")]


def test_pyproject_entry_feeds_the_model(tmp_path):
    write_files(tmp_path, {
        "pyproject.toml": '''
[[tool.shapelens.entries]]
file = "nets/net.py"
call = "Net(hidden=12)"
inputs = [[5, 7]]
''',
        "nets/net.py": '''
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden=4):
        super().__init__()
        self.a = nn.Linear(7, hidden)
        self.b = nn.Linear(hidden, 2)

    def forward(self, x):
        h = self.a(x)
        return self.b(h)
''',
    })
    cfg = load_config(os.path.join(tmp_path, "pyproject.toml"))
    path = os.path.join(tmp_path, "nets", "net.py")
    entries = cfg.entries_for(path)
    assert entries == [Entry(path, "Net(hidden=12)", [[5, 7]], None)]
    fa = analyze(path, open(path).read(), entries=entries)
    assert models(fa)["Net"] == ("entry", "(5, 7) → (5, 2)")
    assert shapes_at(fa, "h = self.a(x)", "h") == [("5", "12")]


CNN = '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 16, 5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(3136, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.flatten(1)
        return self.fc1(x)
'''


def test_constraints_gathered_and_rendered(tmp_path):
    path = os.path.join(tmp_path, "cnn.py")
    fa = analyze(path, CNN)
    assert not [f for f in fa.findings if f.severity == Severity.ERROR]
    assert len(fa.constraints) == 1
    c = fa.constraints[0]
    assert (str(c.lhs), str(c.rhs)) == ("16*(H//4)*(W//4)", "3136")
    hint = constraint_hint(fa.constraints)[0]
    assert hint.startswith("needs (H//4)*(W//4) == 196, e.g. 56×56"), hint


def test_contradicting_constraints_are_an_error(tmp_path):
    source = CNN.replace("        return self.fc1(x)", "        y = self.fc1(x)\n        return y[:, :x.shape[1] // 2]") + '''

class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 4)
        self.b = nn.Linear(6, 4)

    def forward(self, x):
        y = self.a(x)
        z = self.b(x)
        return y + z
'''
    fa = analyze(os.path.join(tmp_path, "cnn2.py"), source)
    errors = [f for f in fa.findings if f.severity == Severity.ERROR]
    assert len(errors) == 1 and errors[0].span.line == source.splitlines().index("        z = self.b(x)") + 1, errors
    assert "8" in errors[0].message and "6" in errors[0].message, errors[0].message


def test_shapes_comment_first_in_body_after_docstring(tmp_path):
    fa = check_symbolic(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 2)

    @torch.no_grad()
    def forward(self, x, mask):
        """Scores."""
        # shapes: x=(B, T, 6), mask=(B T) bool
        y = self.fc(x)
        m = mask.unsqueeze(-1)
        return y * m
''', "out = Net()(torch.randn(2, 5, 6), torch.ones(2, 5, dtype=torch.bool))", {"B": 2, "T": 5})
    assert models(fa)["Net"][0] == "comment"
    assert shapes_at(fa, "m = mask.unsqueeze(-1)", "m") == [("B", "T", "1")]


def test_dataloader_over_a_user_dataset(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

class Pairs(Dataset):
    def __init__(self, n=96):
        self.x = torch.randn(n, 1, 12, 12)
        self.y = torch.zeros(n, dtype=torch.long)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"image": self.x[i], "label": self.y[i], "weight": 1.0}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        h = self.conv(x)
        return h.mean((2, 3))

model = Net()
loader = DataLoader(Pairs(), batch_size=32, drop_last=True)
for batch in loader:
    images = batch["image"]
    out = model(images)
    labels = batch["label"]
    w = batch["weight"]
''')


def test_call_sites_in_other_files_of_the_workspace(tmp_path):
    # model.py never calls its model; a training script and a test do. Opening model.py shows
    # the shapes they feed it (the script's DataLoader batches, the test's tensor).
    from tests.analysis.tracing import engine_facts, trace_run

    files = {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/model.py": '''
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.a = nn.Linear(6, hidden)
        self.b = nn.Linear(hidden, 2)

    def forward(self, x):
        h = self.a(x)
        out = self.b(h)
        return out
''',
        "train.py": '''
import torch
from torch.utils.data import DataLoader, TensorDataset
from pkg.model import Net

def main():
    model = Net(hidden=12)
    loader = DataLoader(TensorDataset(torch.randn(40, 6)), batch_size=20)
    for (xb,) in loader:
        logits = model(xb)

if __name__ == "__main__":
    main()
''',
        "tests/test_net.py": '''
import torch
from pkg.model import Net

def test_forward():
    y = Net(hidden=12)(torch.randn(20, 6))
    assert y.shape == (20, 2)
''',
    }
    write_files(tmp_path, files)
    path = os.path.join(tmp_path, "pkg", "model.py")
    fa = analyze(path, files["pkg/model.py"], all_files=True)
    assert models(fa)["Net"] == ("call", "(20, 6) → (20, 2)")
    assert not [f for f in fa.findings if f.severity == Severity.ERROR]
    truth = trace_run(str(tmp_path), os.path.join(tmp_path, "train.py"))
    got = engine_facts(fa, str(tmp_path))
    for key, want in truth.items():
        if key[0].endswith("model.py"):
            assert {g for g in got[key]} == want, (key, got.get(key), want)


def test_guessed_ranks_and_dtypes_never_make_errors(tmp_path):
    # No call site: `b, t = idx.size()` fixes the rank but not the dtype (the Embedding says
    # int64); a Linear first layer suggests (B, D) but the block needs (B, T, D): the guess is
    # retried one rank higher instead of reporting a failure torch would not have.
    fa = analyze(os.path.join(tmp_path, "blocks.py"), '''
import torch
import torch.nn as nn

class Tok(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 16)

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(t)
        return self.emb(idx) + pos.unsqueeze(-1)

class Heads(nn.Module):
    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.q = nn.Linear(dim, dim)
        self.heads = heads

    def forward(self, x):
        q = self.q(x)
        q = q.view(q.size()[:-1] + (self.heads, -1)).permute(0, 2, 1, 3)
        return q
''')
    assert not [f for f in fa.findings if f.severity == Severity.ERROR], fa.findings
    sigs = models(fa)
    assert sigs["Tok"] == ("symbolic", "(B, T) → (B, T, 16)")
    assert sigs["Heads"] == ("symbolic", "(B, S, 16) → (B, 4, S, 4)")
