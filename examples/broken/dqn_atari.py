"""Nature-DQN Q-network on stacked 84x84 frames; frames arrive NHWC from the env wrapper."""
import torch
import torch.nn as nn


class QNetwork(nn.Module):
    def __init__(self, n_actions, in_frames=4):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_frames, 32, kernel_size=8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, kernel_size=4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, kernel_size=3, stride=1), nn.ReLU(),
        )
        self.fc = nn.Sequential(nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, n_actions))

    def forward(self, obs):
        x = self.conv(obs / 255.0)
        x = x.view(x.size(0), -1)  # BUG: obs came from permute(0, 3, 1, 2), the conv output is channels-last, view() cannot flatten it (P9)
        return self.fc(x)


if __name__ == "__main__":
    q_net = QNetwork(n_actions=6)
    frames = torch.randint(0, 256, (2, 84, 84, 4)).float()  # (B, H, W, stack) from the wrapper
    obs = frames.permute(0, 3, 1, 2)
    q_values = q_net(obs)
    actions = q_values.argmax(dim=1)
    print(q_values.shape, actions.shape)
