"""timm-style ViT attention: fused qkv, reshape + permute to heads, merge heads with reshape."""
import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim, num_heads=4, qkv_bias=True):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).view(B, N, C)  # BUG: view() after transpose on a non-contiguous tensor (P9)
        x = self.proj(x)
        return x


if __name__ == "__main__":
    attn = Attention(dim=32, num_heads=4)
    tokens = torch.randn(2, 17, 32)  # 16 patches + cls
    out = attn(tokens)
    print(out.shape)
