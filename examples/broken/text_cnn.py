"""Kim-style text CNN: Embedding, parallel Conv1d filters of widths 3/4/5, max over time, concat."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextCNN(nn.Module):
    def __init__(self, vocab_size, embed_dim, n_filters, filter_sizes, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, n_filters, k) for k in filter_sizes])
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(len(filter_sizes) * n_filters, n_classes)

    def forward(self, text):
        embedded = self.embedding(text)
        conved = [F.relu(conv(embedded)) for conv in self.convs]  # BUG: no permute, Conv1d gets (B, T, E) and reads T=30 as channels (P18)
        pooled = [c.max(dim=2).values for c in conved]
        cat = self.dropout(torch.cat(pooled, dim=1))
        return self.fc(cat)


if __name__ == "__main__":
    model = TextCNN(vocab_size=2000, embed_dim=50, n_filters=20, filter_sizes=[3, 4, 5], n_classes=3)
    text = torch.randint(0, 2000, (6, 30))
    predictions = model(text)
    print(predictions.shape)
