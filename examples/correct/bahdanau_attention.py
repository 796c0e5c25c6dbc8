"""Bahdanau (additive) attention: the decoder state is expanded over time and concatenated."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BahdanauAttention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.attn = nn.Linear(2 * hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, dec_hidden, enc_outputs):
        # dec_hidden: (B, H), enc_outputs: (B, T, H)
        T = enc_outputs.size(1)
        hidden = dec_hidden.unsqueeze(1).expand(-1, T, -1)
        energy = torch.tanh(self.attn(torch.cat((hidden, enc_outputs), dim=2)))
        scores = self.v(energy).squeeze(2)
        weights = F.softmax(scores, dim=1)
        context = torch.bmm(weights.unsqueeze(1), enc_outputs).squeeze(1)
        return context, weights


if __name__ == "__main__":
    attention = BahdanauAttention(hidden=16)
    dec_hidden = torch.randn(3, 16)
    enc_outputs = torch.randn(3, 7, 16)
    context, weights = attention(dec_hidden, enc_outputs)
    print(context.shape, weights.shape)
