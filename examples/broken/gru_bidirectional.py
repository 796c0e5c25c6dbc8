"""Bidirectional GRU classifier that concatenates the last forward and backward hidden states."""
import torch
import torch.nn as nn


class GRUClassifier(nn.Module):
    def __init__(self, input_dim, hidden_dim, n_classes):
        super().__init__()
        self.gru = nn.GRU(input_dim, hidden_dim, num_layers=2, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(hidden_dim * 2, n_classes)

    def forward(self, x):
        _, hidden = self.gru(x)
        hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=0)
        hidden = self.dropout(hidden)
        return self.fc(hidden)  # BUG: directions were concatenated on dim 0 (batch), giving (2B, H) instead of (B, 2H) (P11/P13)


model = GRUClassifier(input_dim=13, hidden_dim=32, n_classes=4)
mfcc = torch.randn(5, 40, 13)
probs = torch.softmax(model(mfcc), dim=-1)
print(probs.shape)
