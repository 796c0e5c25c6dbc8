"""Model sources used by the worker tests (as the editor would send them)."""

CNN = '''\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = x.view(x.size(0), -1)
        out = self.fc1(x)
        return out


net = Net()
print(net(torch.randn(1, 3, 28, 28)).shape)
'''
CNN_LINES = {"conv": 14, "view": 15, "fc": 16}

BLOCKS = '''\
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = self.bn(self.conv(x))
        return torch.relu(y)


class Stack(nn.Module):
    def __init__(self, widths=(3, 8, 16, 32, 64)):
        super().__init__()
        self.blocks = nn.ModuleList(Block(a, b) for a, b in zip(widths, widths[1:]))

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return x


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 10)
        self.lstm = nn.LSTM(10, 20, batch_first=True)
        self.head = nn.Linear(20, 5)

    def forward(self, tokens):
        e = self.emb(tokens)
        out, (h, c) = self.lstm(e)
        logits = self.head(
            out[:, -1]
        )
        return logits
'''

TORCH_ONLY_ERROR = '''\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Spectral(nn.Module):
    def forward(self, x):
        y = x * 2
        z = torch.fft.rfft2(y, dim=(1, 2, 5))
        return z


class Warp(nn.Module):
    def forward(self, img, grid):
        a = img + 1
        return F.grid_sample(a, grid, align_corners=False)
'''

TRANSPOSE_TRAP = '''\
import torch.nn as nn


class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)

    def forward(self, x):
        return self.up(x)
'''

HANG_TOP = '''\
import torch.nn as nn

class Tiny(nn.Module):
    def forward(self, x):
        return x * 2

while True:
    pass
'''

HANG_FORWARD = '''\
import torch.nn as nn

class Hang(nn.Module):
    def forward(self, x):
        while True:
            pass
'''

REMOVE_TOP = '''\
import os
import torch.nn as nn

class Tiny(nn.Module):
    def forward(self, x):
        y = x + 1
        return y

os.remove({path!r})
'''

EXIT_FORWARD = '''\
import os
import torch.nn as nn

class Die(nn.Module):
    def forward(self, x):
        os._exit(3)
'''

CTOR_ERROR = '''\
import torch.nn as nn

class Bad(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 2)
        raise ValueError("bad config")
'''

DATA_DEPENDENT = '''\
import torch
import torch.nn as nn


class Gate(nn.Module):
    def forward(self, x):
        k = int((x > 0).sum().item()) % 3 + 1
        y = x[:, :k]
        return y
'''

RESNET = '''\
import torch
import torch.nn as nn
from einops import rearrange


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.short(x)
        return torch.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=10):
        super().__init__()
        self.cin = 16
        self.stem = nn.Conv2d(3, 16, 3, 1, 1)
        self.stages = nn.Sequential(*[self._stage(block, 16 * 2 ** i, n, 1 if i == 0 else 2)
                                      for i, n in enumerate(layers)])
        self.fc = nn.Linear(16 * 2 ** (len(layers) - 1), num_classes)

    def _stage(self, block, cout, n, stride):
        blocks = []
        for s in [stride] + [1] * (n - 1):
            blocks.append(block(self.cin, cout, s))
            self.cin = cout
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.stem(x)
        x = self.stages(x)
        x = x.mean(dim=(2, 3))
        tokens = rearrange(x, "b c -> b 1 c")
        return self.fc(tokens[:, 0])


model = ResNet(BasicBlock, [2, 2, 2, 2])
'''

READS_STDIN = '''\
import torch.nn as nn

class Ask(nn.Module):
    def forward(self, x):
        answer = input()
        return x
'''

SWALLOWS_INTERRUPT = '''\
import torch.nn as nn

class Stubborn(nn.Module):
    def forward(self, x):
        while True:
            try:
                while True:
                    pass
            except KeyboardInterrupt:
                pass
'''

GENERATOR = '''\
import torch
import torch.nn as nn


def chunks(x):
    for i in range(2):
        part = x[i]
        yield part * 2


class Gen(nn.Module):
    def forward(self, x):
        parts = list(chunks(x))
        y = torch.stack(parts)
        return y
'''

HOG = '''\
import torch
import torch.nn as nn

class Hog(nn.Module):
    def forward(self, x):
        big = torch.ones(2 ** 31, device="cpu")
        return x + big.sum()
'''

CLOSURES = '''\
import torch
import torch.nn as nn


class Multi(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(3, c, 1) for c in (4, 6))

    def forward(self, x):
        outs = [conv(x) for conv in self.convs]
        scale = 2
        doubled = [o * scale for o in outs]
        z = torch.cat(doubled, dim=1)
        return z
'''
