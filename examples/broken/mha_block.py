"""Pre-norm self-attention block with nn.MultiheadAttention, a padding mask and a feed-forward."""
import torch
import torch.nn as nn


class AttentionBlock(nn.Module):
    def __init__(self, dim, heads, ff_mult=2):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=0.0)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim * ff_mult), nn.GELU(), nn.Linear(dim * ff_mult, dim))

    def forward(self, x, pad_mask):
        h = self.norm1(x)
        attn_out, attn_weights = self.attn(h, h, h, key_padding_mask=pad_mask)  # BUG: no batch_first=True, so (B, T, E) is read as (T, B, E) and the (B, T) mask does not fit (P20)
        x = x + attn_out
        x = x + self.ff(self.norm2(x))
        return x, attn_weights


if __name__ == "__main__":
    block = AttentionBlock(dim=32, heads=4)
    tokens = torch.randn(3, 10, 32)
    pad_mask = torch.zeros(3, 10, dtype=torch.bool)
    pad_mask[:, 8:] = True
    out, weights = block(tokens, pad_mask)
    print(out.shape, weights.shape)
