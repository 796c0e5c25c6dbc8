"""Sensor time series: Conv1d feature extractor over (B, C, T), then an LSTM over the time axis."""
import torch
import torch.nn as nn


class ConvLSTM(nn.Module):
    def __init__(self, n_channels=9, conv_dim=32, hidden=48, n_classes=6):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_channels, conv_dim, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.lstm = nn.LSTM(conv_dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x):
        feats = self.conv(x)            # (B, conv_dim, T/2)
        out, _ = self.lstm(feats)  # BUG: no permute, the LSTM reads (B, conv_dim, T/2) and sees 25 features, not 32 (P18/P10)
        return self.fc(out[:, -1, :])


if __name__ == "__main__":
    model = ConvLSTM()
    signals = torch.randn(4, 9, 50)
    logits = model(signals)
    print(logits.shape)
