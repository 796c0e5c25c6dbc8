"""A C3D-like clip classifier: Conv3d + BatchNorm3d + MaxPool3d over (time, height, width)."""
import torch
import torch.nn as nn


class Clip3DNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv3d(3, 16, kernel_size=3, padding=1), nn.BatchNorm3d(16), nn.ReLU())
        self.pool1 = nn.MaxPool3d(kernel_size=(1, 2, 2))
        self.block2 = nn.Sequential(nn.Conv3d(16, 32, kernel_size=3, padding=1), nn.BatchNorm3d(32), nn.ReLU())
        self.pool2 = nn.MaxPool3d(kernel_size=2)
        self.conv3 = nn.Conv3d(32, 32, kernel_size=3)
        self.fc = nn.Linear(32 * 2 * 2 * 2, num_classes)

    def forward(self, clip):
        x = self.pool1(self.block1(clip))
        x = self.pool2(self.block2(x))
        x = torch.relu(self.conv3(x))  # BUG: 4-frame clips are 2 frames deep here, smaller than conv3's kernel 3 (P17)
        x = x.reshape(x.shape[0], -1)
        return self.fc(x)


if __name__ == "__main__":
    net = Clip3DNet()
    clip = torch.randn(2, 3, 4, 16, 16)  # (B, C, T, H, W)
    scores = net(clip)
    print(scores.shape)
