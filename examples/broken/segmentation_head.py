"""Segmentation head: features at 1/4 resolution, nn.Upsample back, per-pixel CrossEntropyLoss."""
import torch
import torch.nn as nn


class SegNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Conv2d(32, n_classes, 1)
        self.upsample = nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False)

    def forward(self, x):
        return self.upsample(self.classifier(self.backbone(x)))


if __name__ == "__main__":
    model = SegNet()
    images = torch.randn(2, 3, 32, 32)
    masks = torch.randint(0, 4, (2, 1, 32, 32))
    logits = model(images)
    loss = nn.CrossEntropyLoss()(logits, masks)  # BUG: masks keep a channel dim (N, 1, H, W); CrossEntropyLoss wants (N, H, W) (P14)
    loss.backward()
    print(logits.shape, loss.item())
