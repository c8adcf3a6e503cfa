#!/usr/bin/python3
"""The README's PyTorch interop functions, and the fixture that proves the first of them.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_interop.py [NEURITE_MODEL.safetensors]

The two functions between the README markers are copied into the README verbatim (a test checks that), so a user
needs neither this repository nor the `safetensors` package to move weights between torch and Neurite.

Outputs:
- torch_interop.safetensors: a seeded torch model's state_dict written by save_safetensors (the README's way in);
- torch_interop.json: the Neurite spec of the same architecture, an input batch and torch's output in evaluation
  mode (InteropTests loads the file into the spec's model and compares).
With a Neurite model file as argument it also checks the way back: load_safetensors reads it into the same torch
architecture, and the script prints torch's output on the fixture's input, to compare with `neurite predict`.
"""

import json
import os
import sys

import torch

from gen_reference import t, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261201

# README: begin
import json, struct, torch

def save_safetensors(state_dict, path):  # torch → Neurite
    header, blobs, offset = {}, [], 0
    for name, tensor in state_dict.items():
        blob = tensor.detach().cpu().contiguous().numpy().tobytes()  # little-endian on x86 and ARM
        dtype = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[tensor.dtype]
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

def load_safetensors(path):  # Neurite → torch: {name: tensor}, for model.load_state_dict
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)  # Neurite's spec and preprocessing
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    start = 8 + length
    return {name: torch.frombuffer(bytearray(data[start + entry["data_offsets"][0]:start + entry["data_offsets"][1]]),
                                   dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
            for name, entry in header.items()}
# README: end


def model():
    return torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 2))


def main():
    torch.manual_seed(SEED)
    net = model()
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(8, 3))
    net.eval()
    x = torch.randn(4, 3)
    with torch.no_grad():
        y = net(x)
    path = os.path.join(HERE, "torch_interop.safetensors")
    save_safetensors(net.state_dict(), path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    reloaded = load_safetensors(path)
    assert all(torch.equal(reloaded[k], v) for k, v in net.state_dict().items())

    spec = {"input": [3], "layers": [{"type": "linear", "out": 6}, {"type": "batch_norm"}, {"type": "relu"},
                                     {"type": "linear", "out": 2}]}
    payload = {"torch_version": torch.__version__, "seed": SEED, "spec": spec, "input": t(x), "output": t(y)}
    path = os.path.join(HERE, "torch_interop.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_json(payload) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    if len(sys.argv) > 1:
        back = model()
        back.load_state_dict(load_safetensors(sys.argv[1]))
        back.eval()
        with torch.no_grad():
            print("torch on the Neurite model file:", back(x).tolist())


if __name__ == "__main__":
    main()
