#!/usr/bin/python3
"""A PyTorch-exported CNN for the ONNX import tests (OnnxCnnImportTests).

Run by hand from the repository root with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 tests/reference/gen_onnx_cnn.py

Outputs torch_cnn_opset17.onnx, torch_cnn_opset13.onnx and torch_cnn_onnx.json: a seeded LeNet-like torch CNN
(Conv2d with padding, BatchNorm2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear) on [N, 1, 12, 12],
exported by torch.onnx.export with a dynamic batch axis at opsets 17 and 13; the JSON holds an input batch and class
targets, torch's output in evaluation mode, its cross-entropy loss, the gradients of every parameter, and the
weights after one SGD step (lr 0.1), in evaluation mode.
"""

import io
import os

import onnx
import torch

from gen_reference import t, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261203


def cnn():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(6 * 2 * 2, 3))
    # Running statistics that are not the defaults, so that using them (or not) shows.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 1, 12, 12) * 2 + 0.5)
    model.eval()
    x = torch.randn(4, 1, 12, 12)
    target = torch.tensor([0, 2, 1, 2])
    # PRESERVE (the model is in evaluation mode) keeps BatchNorm2d as its own node under torch's names; the default,
    # EVAL, folds it into the first convolution's weights.
    for opset in (17, 13):
        buffer = io.BytesIO()
        torch.onnx.export(model, (x,), buffer, opset_version=opset, input_names=["input"], output_names=["output"],
                          training=torch.onnx.TrainingMode.PRESERVE,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        exported = onnx.load_from_string(buffer.getvalue())
        onnx.checker.check_model(exported, full_check=True)
        onnx.save(exported, os.path.join(HERE, f"torch_cnn_opset{opset}.onnx"))
    output = model(x)
    loss = torch.nn.functional.cross_entropy(output, target)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        stepped = {name: p - 0.1 * p.grad for name, p in model.named_parameters()}
    payload = {
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "seed": SEED,
        "input": t(x),
        "target": [int(c) for c in target],
        "output": t(output),
        "loss": loss.item(),
        "grads": {name: t(p.grad) for name, p in model.named_parameters()},
        "lr": 0.1,
        "stepped": {name: t(value) for name, value in stepped.items()},
    }
    with open(os.path.join(HERE, "torch_cnn_onnx.json"), "w") as f:
        f.write(to_json(payload) + "\n")


if __name__ == "__main__":
    cnn()
