"""A small VGG: conv-BN-ReLU blocks built from a config list, then a classifier for CIFAR-10."""
import torch
import torch.nn as nn

CFG = [32, 32, "M", 64, 64, "M", 128, "M"]


def make_layers(cfg, in_channels=3):
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = make_layers(CFG)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 4 * 4, 256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        x = self.features(x)  # BUG: make_layers sizes BatchNorm2d by in_channels, not the conv's v outputs (P5)
        x = self.classifier(x)
        return x


if __name__ == "__main__":
    model = VGG()
    images = torch.randn(2, 3, 32, 32)
    logits = model(images)
    print(logits.shape)
