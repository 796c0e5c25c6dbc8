"""'Same' padding by hand for an even (1, 4) kernel with F.pad, so a residual add lines up."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SamePadResidual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=(1, 4))
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x):
        # F.pad pads the last dim first: (left, right, top, bottom)
        padded = F.pad(x, (0, 0, 1, 2))
        y = self.norm(self.conv(padded))
        return F.relu(x + y)  # BUG: F.pad tuple starts with the last dim; this padded H instead of W (P18)


if __name__ == "__main__":
    block = SamePadResidual(channels=8)
    spectrogram = torch.randn(2, 8, 6, 20)
    out = block(spectrogram)
    print(out.shape)
