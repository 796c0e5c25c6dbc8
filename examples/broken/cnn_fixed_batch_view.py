"""CIFAR CNN that flattens with x.view(-1, 16 * 5 * 5), the way many tutorials write it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH_SIZE = 10


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 100)
        self.fc2 = nn.Linear(100, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(BATCH_SIZE, 16 * 5 * 5)  # BUG: batch size hard-coded to 10, the call feeds 4 images (P7/P8)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


if __name__ == "__main__":
    model = ConvNet()
    images = torch.randn(4, 3, 32, 32)
    logits = model(images)
    print(logits.shape)
