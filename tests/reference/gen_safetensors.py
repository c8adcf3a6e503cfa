#!/usr/bin/python3
"""Writes a PyTorch model's state_dict as safetensors, the fixture of Neurite's plain-weights loading.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_safetensors.py

CI never runs this script: the files it writes are checked in. Debian has no `safetensors` package,
so the format is written here by hand as the reference implementation writes it (safetensors'
Rust `serialize`): an 8-byte little-endian header length, compact JSON with `__metadata__` first
and the tensors sorted by dtype (largest alignment first, so I64 before F32) then by name, padded
with spaces to a multiple of 8 bytes, then each tensor's little-endian bytes in that order.

Outputs:
- torch_mlp.safetensors: the state_dict of a seeded Linear(4, 8) → BatchNorm1d(8) → ReLU →
  Linear(8, 6) → Tanh → Linear(6, 3) after a few training-mode batches (so the batch norm's running
  statistics and num_batches_tracked, an int64 tensor as torch keeps it, are not their defaults);
  metadata {"format": "pt"} as safetensors.torch.save_file writes.
- torch_mlp.json: the Neurite spec of the same architecture, an input batch and torch's output in
  evaluation mode, written as gen_reference.py writes tensors.
"""

import json
import os
import struct

import torch

from gen_reference import t, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240612

DTYPES = {torch.float32: ("F32", "<f", 4), torch.float64: ("F64", "<d", 8), torch.int64: ("I64", "<q", 8)}
# The reference's Dtype enum order (increasing alignment); it sorts by it, descending.
ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]


def safetensors_bytes(tensors, metadata):
    entries = sorted(tensors.items(), key=lambda item: (-ORDER.index(DTYPES[item[1].dtype][0]), item[0]))
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, tensor in entries:
        dtype, fmt, size = DTYPES[tensor.dtype]
        values = tensor.contiguous().reshape(-1).tolist()
        blob = b"".join(struct.pack(fmt, v) for v in values)
        assert len(blob) == size * len(values)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        data += blob
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def main():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
        torch.nn.Linear(8, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 4) * 2 + 0.5)
    model.eval()
    x = torch.randn(5, 4)
    with torch.no_grad():
        y = model(x)

    state = model.state_dict()
    assert state["1.num_batches_tracked"].dtype == torch.int64
    path = os.path.join(HERE, "torch_mlp.safetensors")
    with open(path, "wb") as f:
        f.write(safetensors_bytes(state, {"format": "pt"}))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    spec = {
        "input": [4],
        "layers": [
            {"type": "linear", "out": 8}, {"type": "batch_norm"}, {"type": "relu"},
            {"type": "linear", "out": 6}, {"type": "tanh"}, {"type": "linear", "out": 3},
        ],
    }
    payload = {"torch_version": torch.__version__, "seed": SEED, "spec": spec, "input": t(x), "output": t(y),
               "state_names": list(state.keys())}
    path = os.path.join(HERE, "torch_mlp.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(to_json(payload) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
