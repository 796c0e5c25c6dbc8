"""MLP variational autoencoder for MNIST: mu/logvar via chunk, reparameterisation, BCE + KL loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 20


class VAE(nn.Module):
    def __init__(self, in_dim=784, hidden=200, latent=LATENT):
        super().__init__()
        self.enc = nn.Linear(in_dim, hidden)
        self.enc_out = nn.Linear(hidden, 2 * latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_dim), nn.Sigmoid())

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn(std.size(0), 10)
        return mu + eps * std  # BUG: eps hard-codes a latent size of 10, the encoder gives LATENT = 20 (P12)

    def forward(self, x):
        h = F.relu(self.enc(x.view(-1, 784)))
        mu, logvar = self.enc_out(h).chunk(2, dim=-1)
        z = self.reparameterize(mu, logvar)
        return self.dec(z), mu, logvar


def vae_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


if __name__ == "__main__":
    model = VAE()
    x = torch.rand(6, 1, 28, 28)
    recon, mu, logvar = model(x)
    loss = vae_loss(recon, x, mu, logvar)
    loss.backward()
    print(recon.shape, mu.shape, loss.item())
