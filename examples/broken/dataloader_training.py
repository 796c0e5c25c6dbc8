"""A full (tiny) epoch with TensorDataset + DataLoader; the last batch is smaller (100 % 32 = 4)."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 32


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12 * 12, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(BATCH_SIZE, 12 * 12)  # BUG: batch size hard-coded, the last batch has 100 % 32 = 4 samples (P8)
        return self.fc2(torch.relu(self.fc1(x)))


images = torch.randn(100, 1, 12, 12)
labels = torch.randint(0, 10, (100,))
loader = DataLoader(TensorDataset(images, labels), batch_size=BATCH_SIZE, shuffle=True)
model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
criterion = nn.CrossEntropyLoss()

for xb, yb in loader:
    logits = model(xb)
    loss = criterion(logits, yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
