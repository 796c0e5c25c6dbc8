"""Feature-pyramid top-down pathway: 1x1 lateral convs, nearest upsampling, element-wise sum."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyFPN(nn.Module):
    def __init__(self, out_ch=32):
        super().__init__()
        self.c2 = nn.Conv2d(3, 16, 3, stride=2, padding=1)    # 1/2
        self.c3 = nn.Conv2d(16, 32, 3, stride=2, padding=1)   # 1/4
        self.c4 = nn.Conv2d(32, 64, 3, stride=2, padding=1)   # 1/8
        self.lat2 = nn.Conv2d(16, out_ch, 1)
        self.lat3 = nn.Conv2d(32, out_ch, 1)
        self.lat4 = nn.Conv2d(64, out_ch, 1)
        self.smooth = nn.Conv2d(out_ch, out_ch, 3, padding=1)

    def forward(self, x):
        c2 = F.relu(self.c2(x))
        c3 = F.relu(self.c3(c2))
        c4 = F.relu(self.c4(c3))
        p4 = self.lat4(c4)
        p3 = self.lat3(c3) + F.interpolate(p4, scale_factor=2, mode="nearest")  # BUG: 60 -> 30 -> 15 -> 8, upsampled 16 vs lateral 15 (P12)
        p2 = self.lat2(c2) + F.interpolate(p3, scale_factor=2, mode="nearest")
        return self.smooth(p2), p3, p4


if __name__ == "__main__":
    fpn = TinyFPN()
    p2, p3, p4 = fpn(torch.randn(1, 3, 60, 60))
    print(p2.shape, p3.shape, p4.shape)
