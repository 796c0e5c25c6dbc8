"""Source texts the end-to-end tests open."""

CNN = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        return x


model = Net()
out = model(torch.zeros(1, 3, 28, 28))
'''

BAD = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(100, 10)  # noqa: E501

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        return x


out = Net()(torch.zeros(1, 3, 28, 28))
'''

UNICODE = '''import torch

w = torch.zeros(4, 5)
ψ = torch.zeros(2, 3); s = "😀"; y = ψ @ w
'''

SYMBOLIC = '''import torch
import torch.nn as nn


class Sym(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 7 * 7, 2)

    def forward(self, x: "B 3 H W"):
        y = self.conv(x)
        y = y.flatten(1)
        return self.fc(y)
'''

RNN = '''import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 32, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        output, _ = self.rnn(x)
        return self.fc(output)


Tagger()(torch.zeros(2, 7, 8))
'''

FOUR_D = '''import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        y = self.conv(x)
        return self.fc(y)


Head()(torch.zeros(2, 3, 10, 10))
'''
