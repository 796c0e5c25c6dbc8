"""Code Example 1 of the seed article: conv (padding 1) + pool on 28x28 RGB, flatten with view."""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))  # BUG: conv1 expects 3 channels, the grayscale input has 1 (P3)
        x = x.view(x.size(0), -1)  # Flatten
        x = self.fc1(x)
        return x


input_tensor = torch.randn(1, 1, 28, 28)  # grayscale batch
model = Net()
output = model(input_tensor)
print(f"Output Shape: {output.shape}")
