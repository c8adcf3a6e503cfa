#!/usr/bin/python3
"""Writes a PyTorch image model's state_dict as safetensors with float64 tensors, the fixture of loading BatchNorm2d
statistics, num_batches_tracked and F64 data.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_safetensors_cnn.py

Outputs:
- torch_bn2d.safetensors: the state_dict of a seeded BatchNorm2d(3) → ReLU → Dropout2d(0.2) → Flatten → Linear(48, 5)
  after three training-mode batches (so the running statistics and num_batches_tracked, int64 as torch keeps it, are
  not their defaults), every floating-point tensor written as F64 (model.double()'s dtype; the values are the float32
  ones widened, so reading them back as float32 is exact), in the layout of gen_safetensors.py.
- torch_bn2d.json: the Neurite spec of the same network, an input batch [4, 3, 4, 4] and torch's output in evaluation
  mode, and the state-dict names and dtypes.
"""

import os

import torch

from gen_reference import t, to_json
from gen_safetensors import safetensors_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240613


def main():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(
        torch.nn.BatchNorm2d(3), torch.nn.ReLU(), torch.nn.Dropout2d(0.2), torch.nn.Flatten(), torch.nn.Linear(48, 5))
    with torch.no_grad():
        model[0].weight.copy_(torch.rand(3) + 0.5)
        model[0].bias.copy_(torch.randn(3))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, 4, 4) * 2 + 0.5)
    model.eval()
    x = torch.randn(4, 3, 4, 4) * 2 + 0.5
    with torch.no_grad():
        y = model(x)

    state = {name: value.double() if value.is_floating_point() else value for name, value in model.state_dict().items()}
    assert state["0.num_batches_tracked"].dtype == torch.int64 and int(state["0.num_batches_tracked"]) == 3
    path = os.path.join(HERE, "torch_bn2d.safetensors")
    with open(path, "wb") as f:
        f.write(safetensors_bytes(state, {"format": "pt"}))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    spec = {
        "input": [3, 4, 4],
        "layers": [
            {"type": "batch_norm"}, {"type": "relu"}, {"type": "dropout2d", "p": 0.2}, {"type": "flatten"},
            {"type": "linear", "out": 5},
        ],
    }
    payload = {"torch_version": torch.__version__, "seed": SEED, "spec": spec, "input": t(x), "output": t(y),
               "state_names": list(state.keys()), "dtypes": {name: str(value.dtype) for name, value in state.items()}}
    path = os.path.join(HERE, "torch_bn2d.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_json(payload) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
