"""Seq2seq: a GRU encoder and a one-step GRU decoder unrolled with teacher forcing."""
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab, emb, hid):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, hid, batch_first=True)

    def forward(self, src):
        embedded = self.embedding(src)
        outputs, hidden = self.rnn(embedded)
        return outputs, hidden


class Decoder(nn.Module):
    def __init__(self, vocab, emb, hid):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, hid, batch_first=True)
        self.out = nn.Linear(hid, vocab)

    def forward(self, token, hidden):
        embedded = self.embedding(token)
        output, hidden = self.rnn(embedded, hidden)  # BUG: no unsqueeze(1), so (B, E) is read as one unbatched sequence while hidden is batched (P16)
        logits = self.out(output.squeeze(1))
        return logits, hidden


if __name__ == "__main__":
    src_vocab, tgt_vocab = 120, 90
    encoder = Encoder(src_vocab, 16, 32)
    decoder = Decoder(tgt_vocab, 16, 32)
    src = torch.randint(0, src_vocab, (4, 9))
    tgt = torch.randint(0, tgt_vocab, (4, 6))
    enc_out, hidden = encoder(src)
    step_logits = []
    for t in range(tgt.size(1)):
        logits, hidden = decoder(tgt[:, t], hidden)
        step_logits.append(logits)
    all_logits = torch.stack(step_logits, dim=1)
    print(all_logits.shape)
