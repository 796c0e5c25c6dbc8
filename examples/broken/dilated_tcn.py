"""Temporal convolutional network block: causal dilated Conv1d, chomp the padding, residual 1x1."""
import torch
import torch.nn as nn


class TemporalBlock(nn.Module):
    def __init__(self, n_in, n_out, kernel_size, dilation):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(n_in, n_out, kernel_size, padding=self.pad, dilation=dilation)
        self.relu = nn.ReLU()
        self.downsample = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else None

    def forward(self, x):
        out = self.conv(x)
        out = self.relu(out)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)  # BUG: the padding was never chomped, out is pad steps longer than res (P12)


class TCN(nn.Module):
    def __init__(self, n_in, channels, kernel_size=3):
        super().__init__()
        layers = []
        for i, ch in enumerate(channels):
            layers.append(TemporalBlock(n_in if i == 0 else channels[i - 1], ch, kernel_size, dilation=2 ** i))
        self.network = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1], 1)

    def forward(self, x):
        y = self.network(x)
        return self.head(y[:, :, -1])


if __name__ == "__main__":
    tcn = TCN(n_in=4, channels=[16, 16, 32])
    series = torch.randn(3, 4, 40)
    forecast = tcn(series)
    print(forecast.shape)
