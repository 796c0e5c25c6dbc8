"""fastText-style classifier: average of word embeddings, then a Linear layer."""
import torch
import torch.nn as nn


class FastText(nn.Module):
    def __init__(self, vocab_size, embed_dim, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, n_classes)

    def forward(self, token_ids):
        emb = self.embedding(token_ids)   # (B, T, E)
        doc = emb.mean(dim=1)             # (B, E)
        return self.fc(doc)


if __name__ == "__main__":
    model = FastText(vocab_size=5000, embed_dim=24, n_classes=4)
    token_ids = torch.randint(0, 5000, (7, 25))
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    logits = model(token_ids)
    loss = nn.functional.cross_entropy(logits, labels)  # BUG: 7 documents but only 6 labels (P14)
    print(logits.shape, loss.item())
