"""Additive attention pooling over RNN states with torch.bmm (weights (B,1,T) x states (B,T,H))."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttnPoolGRU(nn.Module):
    def __init__(self, in_dim, hidden, n_classes):
        super().__init__()
        self.rnn = nn.GRU(in_dim, hidden, batch_first=True)
        self.score = nn.Linear(hidden, 1)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        states, _ = self.rnn(x)                         # (B, T, H)
        scores = self.score(torch.tanh(states)).squeeze(-1)  # (B, T)
        weights = F.softmax(scores, dim=1)
        context = torch.bmm(weights.unsqueeze(2), states).squeeze(1)  # BUG: unsqueeze(2) makes (B, T, 1), bmm needs (B, 1, T) (P6)
        return self.out(context), weights


if __name__ == "__main__":
    model = AttnPoolGRU(in_dim=10, hidden=16, n_classes=3)
    x = torch.randn(4, 12, 10)
    logits, weights = model(x)
    print(logits.shape, weights.shape)
