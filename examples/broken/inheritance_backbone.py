"""A base classifier whose forward() calls hooks that subclasses provide (extract, feat_dim)."""
import torch
import torch.nn as nn


class BaseClassifier(nn.Module):
    feat_dim = None

    def __init__(self, n_classes):
        super().__init__()
        self.head = nn.Linear(self.feat_dim, n_classes)

    def extract(self, x):
        raise NotImplementedError

    def forward(self, x):
        feats = self.extract(x)
        return self.head(feats)  # BUG: ConvClassifier.feat_dim says 32*5*5, AdaptiveMaxPool2d(4) gives 32*4*4 (P1)


class ConvClassifier(BaseClassifier):
    feat_dim = 32 * 5 * 5

    def __init__(self, n_classes=10):
        super().__init__(n_classes)
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(4))

    def extract(self, x):
        return self.body(x).flatten(start_dim=1)


if __name__ == "__main__":
    clf = ConvClassifier()
    scores = clf(torch.randn(2, 3, 20, 20))
    print(scores.shape)
