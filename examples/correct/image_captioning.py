"""Show-and-tell decoder: the image feature is prepended as step 0 to the caption embeddings."""
import torch
import torch.nn as nn


class EncoderCNN(nn.Module):
    def __init__(self, embed_size):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.linear = nn.Linear(16, embed_size)
        self.bn = nn.BatchNorm1d(embed_size)

    def forward(self, images):
        f = self.features(images).reshape(images.size(0), -1)
        return self.bn(self.linear(f))


class DecoderRNN(nn.Module):
    def __init__(self, embed_size, hidden_size, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, features, captions):
        embeddings = self.embed(captions)
        embeddings = torch.cat((features.unsqueeze(1), embeddings), 1)
        hiddens, _ = self.lstm(embeddings)
        return self.linear(hiddens)


if __name__ == "__main__":
    encoder = EncoderCNN(embed_size=32)
    decoder = DecoderRNN(embed_size=32, hidden_size=48, vocab_size=200)
    images = torch.randn(4, 3, 24, 24)
    captions = torch.randint(0, 200, (4, 9))
    features = encoder(images)
    outputs = decoder(features, captions)
    print(outputs.shape)
