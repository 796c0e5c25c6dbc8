"""Convolutional autoencoder for 28x28 images: strided convs down, ConvTranspose2d up, MSE loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1),   # 28 -> 14
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),  # 14 -> 7
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),  # 7 -> 14
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1),   # 14 -> 27
            nn.Sigmoid(),
        )

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z)


if __name__ == "__main__":
    model = ConvAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.rand(4, 1, 28, 28)
    recon = model(images)
    loss = F.mse_loss(recon, images)  # BUG: last ConvTranspose2d lacks output_padding=1, recon is 27x27 vs 28x28 (P12)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(recon.shape, loss.item())
