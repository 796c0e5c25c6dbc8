"""Squeeze-and-Excitation block: global pool, bottleneck MLP, channel-wise rescaling."""
import torch
import torch.nn as nn


class SEBlock(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y)
        return x * y.expand_as(x)  # BUG: y is (b, c), it was never viewed back to (b, c, 1, 1) (P12)


class SENet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.se = SEBlock(16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.se(torch.relu(self.conv(x)))
        return self.head(x.mean(dim=(2, 3)))


if __name__ == "__main__":
    net = SENet()
    print(net(torch.randn(2, 3, 8, 8)).shape)
