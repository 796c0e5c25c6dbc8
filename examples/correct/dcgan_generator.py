"""DCGAN generator and discriminator for 32x32 images; the latent is a (B, nz, 1, 1) tensor."""
import torch
import torch.nn as nn

nz, ngf, ndf = 64, 32, 32


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),      # 4x4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),  # 8x8
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),          # 16x16
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh(),                                         # 32x32
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 8, 1, 0, bias=False), nn.Sigmoid(),
        )

    def forward(self, img):
        return self.main(img).view(-1, 1).squeeze(1)


if __name__ == "__main__":
    netG, netD = Generator(), Discriminator()
    noise = torch.randn(8, nz, 1, 1)
    fake = netG(noise)
    output = netD(fake.detach())
    errD_fake = nn.BCELoss()(output, torch.zeros(8))
    print(fake.shape, output.shape, errD_fake.item())
