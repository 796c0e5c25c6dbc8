"""Transformer encoder text classifier: token + learned positional embeddings, mean pooling."""
import torch
import torch.nn as nn


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size, d_model=64, nhead=6, num_layers=2, max_len=64, n_classes=5):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model=d_model, nhead=nhead, dim_feedforward=128, batch_first=True)  # BUG: d_model 64 is not divisible by nhead 6 (P20)
        self.encoder = nn.TransformerEncoder(layer, num_layers=num_layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, ids):
        seq_len = ids.size(1)
        h = self.tok(ids) + self.pos[:, :seq_len]
        h = self.encoder(h)
        pooled = self.norm(h.mean(dim=1))
        return self.head(pooled)


if __name__ == "__main__":
    model = TransformerClassifier(vocab_size=300)
    model.eval()
    ids = torch.randint(0, 300, (2, 20))
    with torch.no_grad():
        logits = model(ids)
    print(logits.shape)
