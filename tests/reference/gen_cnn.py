#!/usr/bin/python3
"""Writes the fixtures of Neurite's convolutional layer types, as whole PyTorch models.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_cnn.py

CI never runs this script: the files it writes are checked in.

Two seeded torch.nn.Sequential models, each with the Neurite spec of the same architecture, so that module indices
and state-dict names agree ("0.weight", "1.running_mean", ...):
- image: conv2d (padding 1) → batch_norm (BatchNorm2d) → relu → max_pool2d → conv2d ([3, 1] kernel, padding "same",
  groups 2) → relu → dropout2d → avg_pool2d (kernel 3, stride 1, padding 1) → adaptive_avg_pool2d [3, 2] →
  conv_transpose2d (stride 2, padding 1, output_padding 1) → flatten → linear, on [N, 1, 9, 9];
- sequence: conv1d (padding "same", dilation 2) → relu → conv1d (kernel 2, stride 2, groups 2, no bias) on [N, 4, 10].

For each (gradients of sum(out * upstream) for a random upstream tensor, in training mode, with dropout2d's p = 0 so
that training mode is deterministic): the initial state dict, the input, the training-mode output, the input's and
every parameter's gradient, the state dict after that step's forward (batch norm's running statistics and
num_batches_tracked), and the evaluation-mode output after it. cnn_image.safetensors holds the image model's state dict after training-mode batches,
for the CLI's --init test, with its evaluation-mode output in cnn.json.
"""

import os

import torch

from gen_reference import t, to_json
from gen_safetensors import safetensors_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261130

IMAGE_SPEC = {
    "input": [1, 9, 9],
    "layers": [
        {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1},
        {"type": "batch_norm"},
        {"type": "relu"},
        {"type": "max_pool2d", "kernel": 2},
        {"type": "conv2d", "out": 6, "kernel": [3, 1], "padding": "same", "groups": 2},
        {"type": "relu"},
        {"type": "dropout2d", "p": 0},
        {"type": "avg_pool2d", "kernel": 3, "stride": 1, "padding": 1},
        {"type": "adaptive_avg_pool2d", "out": [3, 2]},
        {"type": "conv_transpose2d", "out": 3, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1},
        {"type": "flatten"},
        {"type": "linear", "out": 5},
    ],
}

SEQUENCE_SPEC = {
    "input": [4, 10],
    "layers": [
        {"type": "conv1d", "out": 6, "kernel": 3, "padding": "same", "dilation": 2},
        {"type": "relu"},
        {"type": "conv1d", "out": 2, "kernel": 2, "stride": 2, "groups": 2, "bias": False},
    ],
}


def image_model():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (3, 1), padding="same", groups=2), nn.ReLU(), nn.Dropout2d(0.0),
        nn.AvgPool2d(3, stride=1, padding=1), nn.AdaptiveAvgPool2d((3, 2)),
        nn.ConvTranspose2d(6, 3, 3, stride=2, padding=1, output_padding=1), nn.Flatten(), nn.Linear(3 * 6 * 4, 5))


def sequence_model():
    nn = torch.nn
    return nn.Sequential(nn.Conv1d(4, 6, 3, padding="same", dilation=2), nn.ReLU(), nn.Conv1d(6, 2, 2, stride=2, groups=2, bias=False))


def state(model):
    """Every state-dict entry; num_batches_tracked (int64) as a float32 scalar, as Neurite keeps it."""
    return {name: t(value) for name, value in model.state_dict().items()}


def case(spec, model, x):
    before = state(model)
    model.train()
    x = x.clone().requires_grad_(True)
    y = model(x)
    upstream = torch.randn_like(y)
    (y * upstream).sum().backward()
    after = state(model)
    model.eval()
    with torch.no_grad():
        evaluated = model(x)
    return {
        "spec": spec, "state": before, "input": t(x), "output": t(y), "upstream": t(upstream), "input_grad": t(x.grad),
        "grads": {name: t(p.grad) for name, p in model.named_parameters()}, "state_after": after, "eval_output": t(evaluated),
    }


def main():
    torch.manual_seed(SEED)
    image = image_model()
    image_case = case(IMAGE_SPEC, image, torch.randn(3, 1, 9, 9))
    sequence = sequence_model()
    sequence_case = case(SEQUENCE_SPEC, sequence, torch.randn(2, 4, 10))

    # A "trained" image model for --init: a few training-mode batches move batch norm's statistics.
    trained = image_model()
    trained.train()
    with torch.no_grad():
        for _ in range(3):
            trained(torch.randn(8, 1, 9, 9) * 1.5 + 0.3)
    trained.eval()
    probe = torch.randn(4, 1, 9, 9)
    with torch.no_grad():
        probe_output = trained(probe)
    path = os.path.join(HERE, "cnn_image.safetensors")
    with open(path, "wb") as f:
        f.write(safetensors_bytes(trained.state_dict(), {"format": "pt"}))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    payload = {
        "torch_version": torch.__version__, "seed": SEED, "image": image_case, "sequence": sequence_case,
        "trained": {"input": t(probe), "eval_output": t(probe_output)},
    }
    path = os.path.join(HERE, "cnn.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_json(payload) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
