#!/usr/bin/python3
"""ONNX fixtures of sequence models exported by PyTorch, for the import tests.

Run by hand from the repository root with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 tests/reference/gen_onnx_sequence.py

Outputs:
- torch_lstm_opset17.onnx, torch_lstm_opset13.onnx and torch_lstm_onnx.json: a seeded classifier of id sequences,
  Embedding(12, 6) → LSTM(6, 8, batch_first=True) → Linear(8, 3) on the last step, exported by torch.onnx.export
  with int64 ids [batch, 5] and a dynamic batch axis (the exporter writes Gather, and an LSTM node whose weights it
  reorders into ONNX's gate order as new initializers). The JSON holds a batch of ids, torch's logits in evaluation
  mode, the cross-entropy loss against labels, the gradients of the parameters the graph keeps by name
  (embedding.weight, fc.weight, fc.bias), and the logits after one SGD step (lr 0.5), which every weight's
  gradient, the LSTM's included, moves.
- torch_transformer_opset17.onnx, torch_transformer_opset13.onnx and torch_transformer_onnx.json: Embedding(12, 8)
  → TransformerEncoderLayer(8, 2, 16, dropout 0, batch_first=True) with a causal mask (a constant, as opset 13
  needs) → mean over the steps → Linear(8, 3), every weight moved off its initial value (the exporter merges equal
  initializers, such as the zero biases); exported with gradients on (under no_grad PyTorch 1.13 takes the
  fused fast path, which does not export). The JSON holds ids, the logits and the gradients of their sum.
"""

import io
import os

import onnx
import torch

from gen_reference import t, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261203
STEPS = 5


class LstmClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(12, 6)
        self.lstm = torch.nn.LSTM(6, 8, batch_first=True)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, ids):
        output, _ = self.lstm(self.embedding(ids))
        return self.fc(output[:, -1])


class TransformerClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(12, 8)
        self.encoder = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.fc = torch.nn.Linear(8, 3)
        self.register_buffer("mask", torch.nn.Transformer.generate_square_subsequent_mask(STEPS), persistent=False)

    def forward(self, ids):
        return self.fc(self.encoder(self.embedding(ids), src_mask=self.mask).mean(dim=1))


def export(model, ids, name):
    for opset in (17, 13):
        buffer = io.BytesIO()
        torch.onnx.export(model, (ids,), buffer, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        exported = onnx.load_from_string(buffer.getvalue())
        onnx.checker.check_model(exported, full_check=True)
        onnx.save(exported, os.path.join(HERE, f"torch_{name}_opset{opset}.onnx"))


def lstm():
    torch.manual_seed(SEED)
    model = LstmClassifier().eval()
    ids = torch.randint(0, 12, (6, STEPS))
    labels = torch.randint(0, 3, (6,))
    export(model, ids, "lstm")
    output = model(ids)
    loss = torch.nn.functional.cross_entropy(output, labels)
    model.zero_grad()
    loss.backward()
    grads = {name: t(p.grad) for name, p in model.named_parameters() if not name.startswith("lstm.")}
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
        stepped = model(ids)
    payload = {
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "seed": SEED,
        "input": t(ids),
        "labels": t(labels),
        "output": t(output),
        "loss": loss.item(),
        "grads": grads,
        "lr": 0.5,
        "stepped_output": t(stepped),
    }
    with open(os.path.join(HERE, "torch_lstm_onnx.json"), "w") as f:
        f.write(to_json(payload) + "\n")


def transformer():
    torch.manual_seed(SEED + 1)
    model = TransformerClassifier().eval()
    # Biases and norm weights start as zeros and ones, which the exporter would merge into one initializer.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    ids = torch.randint(0, 12, (4, STEPS))
    export(model, ids, "transformer")
    output = model(ids)
    model.zero_grad()
    output.sum().backward()
    payload = {
        "torch_version": torch.__version__,
        "seed": SEED + 1,
        "input": t(ids),
        "output": t(output),
        "grads": {name: t(p.grad) for name, p in model.named_parameters()},
    }
    with open(os.path.join(HERE, "torch_transformer_onnx.json"), "w") as f:
        f.write(to_json(payload) + "\n")


if __name__ == "__main__":
    lstm()
    transformer()
