"""ESPCN super-resolution: convolutions in low resolution, then nn.PixelShuffle(upscale)."""
import torch
import torch.nn as nn


class ESPCN(nn.Module):
    def __init__(self, upscale_factor=3, channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 32, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(32, 16, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(16, channels * upscale_factor, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        x = torch.tanh(self.conv1(x))
        x = torch.tanh(self.conv2(x))
        x = self.pixel_shuffle(self.conv3(x))  # BUG: conv3 gives 3 channels, PixelShuffle(3) needs a multiple of 3**2 (OP parameter shape)
        return x


if __name__ == "__main__":
    model = ESPCN(upscale_factor=3)
    low_res = torch.randn(1, 1, 20, 24)
    high_res = model(low_res)
    print(high_res.shape)
