"""Variable-length batch through pack_padded_sequence / pad_packed_sequence; classify from h_n."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class PackedLSTM(nn.Module):
    def __init__(self, n_features, hidden, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        packed_out, (h_n, c_n) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
        return self.fc(h_n[-1]), out


if __name__ == "__main__":
    model = PackedLSTM(n_features=5, hidden=12, n_classes=3)
    x = torch.randn(4, 10, 5)  # padded to the longest sequence
    lengths = torch.tensor([10, 7, 3, 8])
    logits, out = model(x, lengths)
    print(logits.shape, out.shape)
