"""Autoencoder written with nn.Sequential(OrderedDict(...)) and nn.Unflatten in the decoder."""
from collections import OrderedDict

import torch
import torch.nn as nn

encoder = nn.Sequential(OrderedDict([
    ("conv", nn.Conv2d(1, 16, 3, stride=2, padding=1)),   # 28 -> 14
    ("relu", nn.ReLU()),
    ("pool", nn.MaxPool2d(2)),                            # 14 -> 7
    ("flatten", nn.Flatten()),
    ("fc", nn.Linear(16 * 7 * 7, 32)),
]))
decoder = nn.Sequential(OrderedDict([
    ("fc", nn.Linear(32, 16 * 7 * 7)),
    ("unflatten", nn.Unflatten(1, (16, 8, 8))),
    ("up", nn.ConvTranspose2d(16, 8, 2, stride=2)),       # 7 -> 14
    ("relu", nn.ReLU()),
    ("out", nn.ConvTranspose2d(8, 1, 2, stride=2)),       # 14 -> 28
]))

images = torch.randn(3, 1, 28, 28)
code = encoder(images)
recon = decoder(code)  # BUG: Unflatten(1, (16, 8, 8)) needs 1024 features, decoder.fc gives 16*7*7 = 784 (P7)
loss = nn.functional.mse_loss(recon, images)
print(code.shape, recon.shape, loss.item())
