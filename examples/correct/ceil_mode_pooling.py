"""GoogLeNet-style stem: dilated conv, MaxPool2d(3, stride=2, ceil_mode=True), flatten into Linear."""
import torch
import torch.nn as nn


class Stem(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=2, dilation=2)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3)
        self.pool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.fc = nn.Linear(32 * 7 * 7, n_classes)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))  # 32 -> 32 -> 16
        x = self.pool2(torch.relu(self.conv2(x)))  # 16 -> 14 -> 7 (ceil)
        x = x.flatten(1)
        return self.fc(x)


if __name__ == "__main__":
    model = Stem()
    out = model(torch.randn(2, 3, 32, 32))
    print(out.shape)
