"""Small detector-style backbone with GroupNorm (batch-size independent) and global pooling."""
import torch
import torch.nn as nn


def conv_gn(in_ch, out_ch, stride=1, groups=8):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(out_ch, groups),  # BUG: arguments swapped, GroupNorm(num_groups, num_channels): 8 channels cannot form 32 groups (P5)
        nn.ReLU(inplace=True),
    )


class GNBackbone(nn.Module):
    def __init__(self, num_classes=20):
        super().__init__()
        self.stem = conv_gn(3, 32, stride=2)
        self.stage1 = conv_gn(32, 64, stride=2)
        self.stage2 = conv_gn(64, 64)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.pool(x).flatten(1)
        return self.head(x)


if __name__ == "__main__":
    model = GNBackbone()
    out = model(torch.randn(1, 3, 48, 64))
    print(out.shape)
