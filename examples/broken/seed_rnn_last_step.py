"""Code Example 3 of the seed article: LSTM encoder, last time step into a Linear head."""
import torch
import torch.nn as nn


class CorrectRNNNet(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CorrectRNNNet, self).__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(input_size, output_size)

    def forward(self, x):
        output, _ = self.lstm(x)
        output = output[:, -1, :]  # Get last time step's output
        output = self.fc(output)  # BUG: fc built with input_size (10) but the LSTM gives hidden_size (20) features (P11)
        return output


input_size = 10
hidden_size = 20
output_size = 5
batch_size = 3
seq_len = 20
input_tensor = torch.randn(batch_size, seq_len, input_size)
model = CorrectRNNNet(input_size, hidden_size, output_size)

output = model(input_tensor)
print(f"Output Shape: {output.shape}")
