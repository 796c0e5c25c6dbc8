"""nn.Sequential MLP with nn.Flatten for MNIST, trained for a few steps with CrossEntropyLoss."""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Flatten(),
    nn.Linear(28 * 28, 256),
    nn.ReLU(),
    nn.Linear(256, 64),
    nn.ReLU(),
    nn.Linear(64, 10),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for step in range(3):
    X = torch.randn(8, 1, 28, 28)
    y = torch.randint(0, 10, (8, 1))
    pred = model(X)
    loss = loss_fn(pred, y)  # BUG: targets are (N, 1), CrossEntropyLoss wants class indices of shape (N,) (P14)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

correct = (pred.argmax(1) == y).float().sum()
print(loss.item(), correct.item())
