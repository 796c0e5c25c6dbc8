"""Sentiment classifier: Embedding -> LSTM(batch_first) -> final hidden state h_n[-1] -> Linear."""
import torch
import torch.nn as nn

VOCAB_SIZE = 1000
EMBED_DIM = 32
HIDDEN_DIM = 64


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(hidden_dim, hidden_dim, num_layers=2, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens):
        embedded = self.embedding(tokens)
        output, (h_n, c_n) = self.lstm(embedded)  # BUG: LSTM built with input_size=hidden_dim (64), embeddings are 32 wide (P10)
        last = h_n[-1]
        return self.fc(last)


if __name__ == "__main__":
    model = LSTMClassifier(VOCAB_SIZE, EMBED_DIM, HIDDEN_DIM, num_classes=2)
    batch = torch.randint(1, VOCAB_SIZE, (8, 15))
    logits = model(batch)
    loss = nn.functional.cross_entropy(logits, torch.randint(0, 2, (8,)))
    print(logits.shape, loss.item())
