import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1)  # 3 input channels, 16 output channels
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(16 * 14 * 14, 10)  # Assuming input size 28x28, after pool 14x14

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = x.view(x.size(0), -1) # Flatten
        x = self.fc1(x)
        return x

# Sample Input
input_tensor = torch.randn(1, 3, 32, 32)
model = Net()
output = model(input_tensor)

print(f"Output Shape: {output.shape}")
