"""Siamese network: one shared CNN tower, |a - b| distance, a similarity head trained with BCE."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(
            nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 64),
        )
        self.head = nn.Linear(64, 1)

    def embed(self, x):
        return self.tower(x)

    def forward(self, a, b):
        ea = self.embed(a)
        eb = self.embed(b)
        dist = torch.abs(ea - eb)
        return torch.sigmoid(self.head(dist))


if __name__ == "__main__":
    net = SiameseNetwork()
    left = torch.randn(4, 1, 28, 28)
    right = torch.randn(4, 1, 28, 28)
    same = torch.randint(0, 2, (4,)).float()
    prob = net(left, right)
    loss = F.binary_cross_entropy(prob, same)  # BUG: prob is (4, 1), labels are (4,) (P14)
    loss.backward()
    print(prob.shape, loss.item())
