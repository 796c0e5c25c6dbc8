"""Shared trunk with an nn.ModuleDict of heads whose logits are stacked and averaged."""
import torch
import torch.nn as nn


class EnsembleHeads(nn.Module):
    def __init__(self, in_dim, n_classes):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, 64), nn.ReLU())
        self.heads = nn.ModuleDict({
            "linear": nn.Linear(64, n_classes),
            "mlp": nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, n_classes)),
            "wide": nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, n_classes + 1)),
        })

    def forward(self, x):
        h = self.trunk(x)
        logits = torch.stack([head(h) for head in self.heads.values()], dim=0)  # BUG: the 'wide' head has n_classes + 1 outputs (P13)
        return logits.mean(dim=0)


if __name__ == "__main__":
    model = EnsembleHeads(in_dim=30, n_classes=5)
    x = torch.randn(9, 30)
    avg_logits = model(x)
    print(avg_logits.shape)
