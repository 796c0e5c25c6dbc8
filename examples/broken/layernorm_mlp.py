"""Residual MLP for tabular data: LayerNorm over features, GELU, residual connections."""
import torch
import torch.nn as nn


class ResidualMLPBlock(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))  # BUG: LayerNorm sized by hidden (128), the block input has dim (64) features (P5)


class TabularNet(nn.Module):
    def __init__(self, n_features, dim=64, depth=3, n_out=1):
        super().__init__()
        self.inp = nn.Linear(n_features, dim)
        self.blocks = nn.ModuleList([ResidualMLPBlock(dim, 2 * dim) for _ in range(depth)])
        self.out_norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, n_out)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = block(h)
        return self.out(self.out_norm(h)).squeeze(-1)


if __name__ == "__main__":
    model = TabularNet(n_features=17)
    features = torch.randn(16, 17)
    target = torch.randn(16)
    pred = model(features)
    loss = nn.MSELoss()(pred, target)
    print(pred.shape, loss.item())
