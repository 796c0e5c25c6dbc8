"""A two-level U-Net: double convs, max-pool down, ConvTranspose2d up, torch.cat skip connections."""
import torch
import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class UNet(nn.Module):
    def __init__(self, in_ch=1, n_classes=2):
        super().__init__()
        self.inc = DoubleConv(in_ch, 16)
        self.down1 = DoubleConv(16, 32)
        self.down2 = DoubleConv(32, 64)
        self.pool = nn.MaxPool2d(2)
        self.up1 = nn.ConvTranspose2d(64, 32, kernel_size=2, stride=2)
        self.conv_up1 = DoubleConv(64, 32)
        self.up2 = nn.ConvTranspose2d(32, 16, kernel_size=2, stride=2)
        self.conv_up2 = DoubleConv(32, 16)
        self.outc = nn.Conv2d(16, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(self.pool(x1))
        x3 = self.down2(self.pool(x2))
        u1 = self.up1(x3)
        u1 = self.conv_up1(torch.cat([u1, x2], dim=1))  # BUG: 30 -> 15 -> 7 -> up 14 vs skip 15, cat sizes differ (P13)
        u2 = self.up2(u1)
        u2 = self.conv_up2(torch.cat([u2, x1], dim=1))
        return self.outc(u2)


if __name__ == "__main__":
    model = UNet()
    img = torch.randn(1, 1, 30, 30)
    mask_logits = model(img)
    print(mask_logits.shape)
