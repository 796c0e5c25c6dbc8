"""ViT front end with einops: patchify with rearrange, linear patch embedding, cls token, pos emb."""
import torch
import torch.nn as nn
from einops import rearrange, repeat


class PatchEmbedViT(nn.Module):
    def __init__(self, image_size=32, patch_size=8, channels=3, dim=64, num_classes=10):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        patch_dim = channels * patch_size * patch_size
        self.patch_size = patch_size
        self.to_embedding = nn.Linear(patch_dim, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches, dim))
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))

    def forward(self, img):
        p = self.patch_size
        patches = rearrange(img, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=p, p2=p)
        x = self.to_embedding(patches)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, "1 1 d -> b 1 d", b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x = x + self.pos_embedding[:, : n + 1]  # BUG: pos_embedding has no slot for the cls token, 16 vs 17 positions (P12)
        return self.mlp_head(x[:, 0])


if __name__ == "__main__":
    vit = PatchEmbedViT()
    img = torch.randn(2, 3, 32, 32)
    preds = vit(img)
    print(preds.shape)
