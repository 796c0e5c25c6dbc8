"""A classifier plus a train_step() helper that computes the loss and steps the optimizer."""
import torch
import torch.nn as nn


class SmallClassifier(nn.Module):
    def __init__(self, in_dim, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 32), nn.ReLU(), nn.Dropout(0.1))
        self.classifier = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.classifier(self.body(x))


def train_step(model, optimizer, criterion, inputs, targets):
    model.train()
    optimizer.zero_grad()
    logits = model(inputs)
    loss = criterion(logits, targets)  # BUG: the classifier has 1 output but the targets hold 10 classes (P15)
    loss.backward()
    optimizer.step()
    return loss


if __name__ == "__main__":
    model = SmallClassifier(in_dim=20, n_classes=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    inputs = torch.randn(8, 20)
    targets = torch.randint(0, 10, (8,))
    loss = train_step(model, optimizer, criterion, inputs, targets)
    print(loss.item())
