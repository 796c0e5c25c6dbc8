"""Time-major LSTM (batch_first=False) with an explicit initial state; output at the last step."""
import torch
import torch.nn as nn


class SeqFirstLSTM(nn.Module):
    def __init__(self, n_features, hidden_size, num_layers, n_out):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers)
        self.head = nn.Linear(hidden_size, n_out)

    def forward(self, x):
        # x: (seq_len, batch, n_features)
        batch = x.size(1)
        h0 = torch.zeros(1, batch, self.hidden_size)
        c0 = torch.zeros(1, batch, self.hidden_size)
        out, (hn, cn) = self.lstm(x, (h0, c0))  # BUG: initial states have 1 layer, the LSTM has num_layers=2 (P11)
        return self.head(out[-1])


if __name__ == "__main__":
    readings = torch.randn(4, 12, 6)  # (batch, time, features) from the data pipeline
    x = readings.permute(1, 0, 2)
    model = SeqFirstLSTM(n_features=6, hidden_size=16, num_layers=2, n_out=1)
    pred = model(x)
    print(pred.shape)
