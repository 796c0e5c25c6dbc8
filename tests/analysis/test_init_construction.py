"""`__init__` evaluated: layers built in loops, helper methods, factories, containers, configs.
Every tensor-valued name per line must equal a real forward (tests/analysis/tracing.py)."""

from tests.analysis.tracing import check_model


def test_loop_builds_layers_into_sequential(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, widths=(8, 16, 32), in_ch=3):
        super().__init__()
        layers = []
        for w in widths:
            layers.append(nn.Conv2d(in_ch, w, 3, padding=1))
            layers.append(nn.ReLU())
            layers += [nn.MaxPool2d(2)]
            in_ch = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(in_ch * 4 * 4, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.flatten(1)
        return self.head(x)

x = torch.randn(2, 3, 32, 32)
out = Net()(x)
''')


def test_sequential_of_ordered_dict_and_add_module(tmp_path):
    check_model(tmp_path, '''
from collections import OrderedDict
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 8, 3, stride=2)),
            ("relu", nn.ReLU(inplace=True)),
        ]))
        self.body.add_module("pool", nn.AdaptiveAvgPool2d((2, 2)))
        setattr(self, "fc", nn.Linear(8 * 2 * 2, 5))
        self.add_module("drop", nn.Dropout(0.1))

    def forward(self, x):
        h = self.body(x)
        h = self.drop(torch.flatten(h, 1))
        return self.fc(h)

y = Net()(torch.randn(4, 3, 17, 17))
''')


def test_modulelist_and_moduledict_iterated_in_forward(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dims=(6, 12, 24)):
        super().__init__()
        self.blocks = nn.ModuleList()
        prev = 4
        for d in dims:
            self.blocks.append(nn.Linear(prev, d))
            prev = d
        self.heads = nn.ModuleDict({"cls": nn.Linear(prev, 3), "reg": nn.Linear(prev, 1)})
        self.heads["aux"] = nn.Linear(prev, 7)

    def forward(self, x):
        for blk in self.blocks:
            x = torch.relu(blk(x))
        outs = {}
        for name, head in self.heads.items():
            o = head(x)
            outs[name] = o
        first = self.blocks[0](torch.zeros(2, 4))
        return outs

res = Net()(torch.randn(5, 4))
''')


def test_helper_method_and_class_attribute_expansion(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Block(nn.Module):
    expansion = 2

    def __init__(self, inp, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.conv2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return out

class Net(nn.Module):
    def __init__(self, block=Block, layers=(1, 2)):
        super().__init__()
        self.inplanes = 8
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.layer1 = self._make_layer(block, 8, layers[0])
        self.layer2 = self._make_layer(block, 16, layers[1], stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16 * block.expansion, 4)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride), nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)

net = Net().eval()
logits = net(torch.randn(2, 3, 16, 16))
''')


def test_factories_and_partial(tmp_path):
    check_model(tmp_path, '''
from functools import partial
import torch
import torch.nn as nn

class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k=3, norm_layer=None, act=nn.ReLU):
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers = [nn.Conv2d(cin, cout, k, padding=(k - 1) // 2, bias=norm_layer is None), norm_layer(cout)]
        if act is not None:
            layers.append(act(inplace=True))
        super().__init__(*layers)
        self.out_channels = cout

class Net(nn.Module):
    def __init__(self, norm_layer=partial(nn.BatchNorm2d, eps=1e-3)):
        super().__init__()
        self.a = ConvBN(3, 12, norm_layer=norm_layer)
        self.b = ConvBN(self.a.out_channels, 6, k=1, act=None)
        make = partial(nn.Conv2d, kernel_size=3, stride=2)
        self.c = make(6, 9)

    def forward(self, x):
        x = self.a(x)
        x = self.b(x)
        return self.c(x)

out = Net().eval()(torch.randn(1, 3, 20, 20))
''')


def test_conditionals_on_constructor_arguments_both_branches(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, wide=False, pool="avg", classes=10):
        super().__init__()
        width = 32 if wide else 8
        if pool == "avg":
            self.pool = nn.AdaptiveAvgPool2d(1)
            feat = width
        else:
            self.pool = nn.AdaptiveMaxPool2d(2)
            feat = width * 4
        self.conv = nn.Conv2d(3, width, 3)
        self.fc = nn.Linear(feat, classes)

    def forward(self, x):
        h = self.conv(x)
        h = self.pool(h).flatten(1)
        return self.fc(h)

a = Net()(torch.randn(2, 3, 9, 9))
b = Net(wide=True, pool="max", classes=3)(torch.randn(2, 3, 9, 9))
''')


def test_dataclass_namespace_and_dict_configs(tmp_path):
    check_model(tmp_path, '''
from dataclasses import dataclass, field
from types import SimpleNamespace
import torch
import torch.nn as nn

@dataclass
class Cfg:
    hidden: int = 16
    layers: int = 2
    extra: list = field(default_factory=lambda: [3])

class Net(nn.Module):
    def __init__(self, cfg: Cfg, ns, d):
        super().__init__()
        self.inp = nn.Linear(d["in"], cfg.hidden)
        self.mid = nn.Sequential(*[nn.Linear(cfg.hidden, cfg.hidden) for _ in range(cfg.layers)])
        self.out = nn.Linear(cfg.hidden, ns.classes + cfg.extra[0])

    def forward(self, x):
        h = self.inp(x)
        h = self.mid(h)
        return self.out(h)

cfg = Cfg(hidden=24)
y = Net(cfg, SimpleNamespace(classes=5), {"in": 7})(torch.randn(3, 7))
''')


def test_sequential_of_user_blocks_and_init_loops(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c * 2, 3, padding=1)
        self.norm = nn.BatchNorm2d(c * 2)

    def forward(self, x):
        y = self.norm(self.conv(x))
        return torch.relu(y)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Block(2), Block(4), nn.MaxPool2d(2), Block(8))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)

    def forward(self, x):
        torch._assert(x.dim() == 4, "expected NCHW")
        return self.body(x)

z = Net().eval()(torch.randn(2, 2, 8, 8))
''')


def test_layers_from_a_loop_of_unknown_length_are_unknown_never_short(tmp_path):
    from tests.analysis.tracing import shapes_at

    fa = check_model(tmp_path, '''
import random
from collections import OrderedDict
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, depth):
        super().__init__()
        layers = []
        named = {}
        for i in range(depth):
            layers.append(nn.Conv2d(4, 4, 3, stride=2, padding=1))
            named[random.choice("abcdefgh") + str(i)] = nn.MaxPool2d(2)
        self.body = nn.Sequential(*layers)
        self.pools = nn.Sequential(OrderedDict(named))
        self.count = len(layers)

    def forward(self, x):
        y = self.body(x)
        z = self.pools(x)
        return y, z

random.seed(0)
y, z = Net(random.randint(2, 3))(torch.randn(1, 4, 16, 16))
''', vague={"y", "z"})
    assert shapes_at(fa, "y = self.body(x)", "y") in ([], [None])
    assert shapes_at(fa, "z = self.pools(x)", "z") in ([], [None])


def test_widths_computed_with_small_constant_tensors(tmp_path):
    # RegNet computes its stage widths with torch ops on numbers, then .tolist().
    check_model(tmp_path, '''
import math
import torch
import torch.nn as nn

def widths(depth=6, w0=8, wa=5.3, wm=2.0, quant=4):
    cont = torch.arange(depth) * wa + w0
    cap = torch.round(torch.log(cont / w0) / math.log(wm))
    ws = (torch.round(torch.divide(w0 * torch.pow(wm, cap), quant)) * quant).int().tolist()
    stages = sorted(set(ws))
    depths = torch.diff(torch.tensor([0, 2, 5])).int().tolist()
    return stages, depths

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        stages, depths = widths()
        layers, cin = [], 3
        for w, d in zip(stages, depths):
            for _ in range(d):
                layers.append(nn.Conv2d(cin, w, 3, padding=1))
                cin = w
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, int(torch.tensor(7.9)))

    def forward(self, x):
        h = self.body(x).mean((2, 3))
        return self.fc(h)

out = Net()(torch.randn(1, 3, 6, 6))
''')


def test_getattr_fallbacks_hasattr_and_isinstance(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, cfg=None):
        super().__init__()
        self.fc = nn.Linear(4, 6)
        hidden = getattr(cfg, "hidden", None) or getattr(self, "default_hidden", 10)
        self.mid = nn.Linear(self.fc.out_features, hidden)
        self.extra = nn.Linear(hidden, 2) if hasattr(self, "mid") and not hasattr(self, "nope") else None

    def forward(self, x):
        inputs = [x] if isinstance(x, torch.Tensor) else x
        h = self.fc(torch.cat(inputs, 0))
        h = self.mid(h)
        if isinstance(self.extra, nn.Linear):
            h = self.extra(h)
        return h

out = Net()(torch.randn(3, 4))
out2 = Net()([torch.randn(3, 4), torch.randn(2, 4)])
''')
