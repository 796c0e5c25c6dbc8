"""Tabular MLP with BatchNorm1d on (B, F) activations; inference on a batch of rows."""
import torch
import torch.nn as nn


class TabularMLP(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(),
            nn.Linear(32, n_out),
        )

    def forward(self, x):
        return self.net(x)


if __name__ == "__main__":
    model = TabularMLP(n_in=20, n_out=3)
    model.eval()
    rows = torch.randn(5, 20)
    with torch.no_grad():
        scores = model(rows)
    print(scores.shape)
