"""Bidirectional LSTM sequence tagger with a per-token CrossEntropy loss over flattened logits."""
import torch
import torch.nn as nn


class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, n_tags, embed_dim=32, hidden_dim=24):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, n_tags)

    def forward(self, words):
        emb = self.embed(words)
        lstm_out, _ = self.lstm(emb)
        tag_space = self.hidden2tag(lstm_out)  # BUG: bidirectional LSTM gives 2*hidden_dim features, hidden2tag takes hidden_dim (P11)
        return tag_space


if __name__ == "__main__":
    n_tags = 7
    tagger = BiLSTMTagger(vocab_size=500, n_tags=n_tags)
    words = torch.randint(0, 500, (3, 11))
    tags = torch.randint(0, n_tags, (3, 11))
    scores = tagger(words)
    loss = nn.CrossEntropyLoss()(scores.view(-1, n_tags), tags.view(-1))
    loss.backward()
