import torch
import torch.nn as nn

class RNNNet(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNNNet, self).__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size) # Incorrect input size

    def forward(self, x):
      # x: shape (batch_size, seq_len, input_size)
        output, _ = self.lstm(x)  # output: (batch_size, seq_len, hidden_size)
        # Incorrect usage here. We want to process a single feature per sample in a batch.
        output = self.fc(output) # Passes sequence of hidden states rather than last hidden state.
        return output

input_size = 10
hidden_size = 20
output_size = 5
batch_size = 3
seq_len = 20

input_tensor = torch.randn(batch_size, seq_len, input_size)
model = RNNNet(input_size, hidden_size, output_size)

try:
    output = model(input_tensor)
    print(f"Output Shape: {output.shape}")
except RuntimeError as e:
    print(f"Error: {e}")
