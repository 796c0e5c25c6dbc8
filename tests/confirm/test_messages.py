"""restate() turns torch's messages into ShapeLens's words (table driven)."""

from __future__ import annotations

import pytest

from shapelens.confirm.client import TorchError
from shapelens.confirm.messages import format_shape, restate


def err(message, module=None, module_type=None, attrs=None, inputs=(), **kw):
    return TorchError(type=kw.pop("type", "RuntimeError"), message=message, module=module,
                      module_type=module_type, module_attrs=attrs or {},
                      input_shapes=tuple(tuple(s) for s in inputs), **kw)


CASES = [
    # conv channels: CPU and meta say the same thing in very different words
    (err("Given groups=1, weight of size [8, 1, 3, 3], expected input[2, 3, 28, 28] to have 1 "
         "channels, but got 3 channels instead", "conv1", "Conv2d", {"in_channels": 1},
         [[2, 3, 28, 28]]),
     None,
     "conv1 (Conv2d) expects 1 input channels but got 3 (input shape (2, 3, 28, 28))"),
    (err("Invalid channel dimensions", "conv1", "Conv2d",
         {"in_channels": 1, "kernel_size": [3, 3]}, [[2, 3, 28, 28]]),
     None,
     "conv1 (Conv2d) expects 1 input channels but got 3 (input shape (2, 3, 28, 28))"),
    (err("Given transposed=1, weight of size [8, 4, 2, 2], expected input[1, 3, 14, 14] to have 8 "
         "channels, but got 3 channels instead", "up", "ConvTranspose2d", {"in_channels": 8},
         [[1, 3, 14, 14]]),
     None,
     "up (ConvTranspose2d) expects 8 input channels but got 3 (input shape (1, 3, 14, 14))"),
    # linear
    (err("mat1 and mat2 shapes cannot be multiplied (1x4096 and 3136x10)", "fc1", "Linear",
         {"in_features": 3136, "out_features": 10}, [[1, 4096]]),
     None,
     "fc1 (Linear) expects 3136 input features but got 4096 (input shape (1, 4096))"),
    (err("mat1 and mat2 shapes cannot be multiplied (1x4096 and 3136x10)", "fc1", "Linear"),
     None,
     "fc1 (Linear) expects 3136 input features but got 4096 (input shape (1, 4096))"),
    (err("a and b must have same reduction dim, but got [1, 4096] X [3136, 10].", "fc1", "Linear",
         {"in_features": 3136}, [[1, 4096]]),
     None,
     "fc1 (Linear) expects 3136 input features but got 4096 (input shape (1, 4096))"),
    # 3-D input to Linear: the input shape comes from the hook, not the flattened matrix
    (err("mat1 and mat2 shapes cannot be multiplied (10x12 and 8x4)", "head", "Linear",
         {"in_features": 8}, [[2, 5, 12]]),
     None,
     "head (Linear) expects 8 input features but got 12 (input shape (2, 5, 12))"),
    # layer args from the caller override the captured attributes
    (err("mat1 and mat2 shapes cannot be multiplied (1x4096 and 3136x10)", "fc1", "Linear"),
     {"in_features": 3136},
     "fc1 (Linear) expects 3136 input features but got 4096 (input shape (1, 4096))"),
    # view / reshape
    (err("shape '[2, 50]' is invalid for input of size 96"),
     None,
     "cannot reshape a tensor of 96 elements to (2, 50): the target shape holds a different "
     "number of elements"),
    # batch norm
    (err("running_mean should contain 16 elements not 8", "bn1", "BatchNorm2d",
         {"num_features": 8}, [[2, 16, 5, 5]]),
     None,
     "bn1 (BatchNorm2d) expects 8 channels but got 16 (input shape (2, 16, 5, 5))"),
    # LSTM
    (err("input.size(-1) must be equal to input_size. Expected 10, got 12", "lstm", "LSTM",
         {"input_size": 10, "hidden_size": 20}, [[5, 1, 12]]),
     None,
     "lstm (LSTM) expects 10 input features but got 12 (input shape (5, 1, 12))"),
    (err("input must have 3 dimensions, got 2", "rnn", "GRU", {}, [[5, 10]]),
     None,
     "rnn (GRU) expects a 3-D input but got 2-D (input shape (5, 10))"),
    # broadcasting
    (err("The size of tensor a (4) must match the size of tensor b (5) at non-singleton "
         "dimension 1"),
     None,
     "shapes do not broadcast: size 4 of one tensor vs 5 of the other at dimension 1"),
    # kernel larger than input
    (err("Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
         "can't be greater than actual input size", "conv3", "Conv2d", {}, [[1, 8, 2, 2]]),
     None,
     "conv3 (Conv2d): the input (2 x 2 per channel after padding) is smaller than the kernel "
     "(3 x 3) (input shape (1, 8, 2, 2))"),
    (err("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
         "you tried to allocate 8589934592 bytes. Error code 12 (Cannot allocate memory)"),
     None,
     "out of memory: tried to allocate 8.0 GiB (beyond the confirm worker's memory limit)"),
    (err("index out of range in self", "emb", "Embedding", {"num_embeddings": 100}, [[2, 7]]),
     None,
     "emb (Embedding): an index is out of range (num_embeddings=100) (input shape (2, 7))"),
]


@pytest.mark.parametrize("error,layer_args,expected", CASES)
def test_restate(error, layer_args, expected):
    assert restate(error, layer_args) == expected


def test_unknown_message_passes_through_trimmed():
    e = err("Something odd happened\n  with more detail\n" + "x" * 1000, "blk", "Block")
    out = restate(e)
    assert out == "blk (Block): Something odd happened"
    long = err("y" * 1000)
    assert len(restate(long)) <= 300


def test_meta_channel_message_without_context_is_passed_through():
    assert restate(err("Invalid channel dimensions")) == "Invalid channel dimensions"


def test_format_shape():
    assert format_shape([2, 3]) == "(2, 3)"
    assert format_shape([10]) == "(10,)"
    assert format_shape([]) == "()"

