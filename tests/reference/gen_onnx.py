#!/usr/bin/python3
"""ONNX fixtures for the ONNX reader and the import tests.

Run by hand from the repository root with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 tests/reference/gen_onnx.py

Outputs:
- onnx_messages.onnx and onnx_messages.json: a model written by onnx.helper with every attribute kind, tensors of
  several element types stored both as raw_data and in the typed fields, symbolic and fixed dimensions, and two
  operator sets; the JSON lists what a reader must find in it (OnnxProtobufTests).
- torch_mlp_opset17.onnx, torch_mlp_opset13.onnx and torch_mlp_onnx.json: a seeded torch MLP (Linear, LayerNorm,
  GELU, Dropout, Linear, BatchNorm1d, SiLU, Linear, Softplus with beta 2) exported by torch.onnx.export with a
  dynamic batch axis at opsets 17 and 13 (13 has no LayerNormalization, so the exporter composes it); the JSON holds
  an input batch, torch's output in evaluation mode, and the weights after one SGD step (lr 0.1) on the MSE loss
  against a target batch, in evaluation mode (OnnxImportTests fine-tunes the imported graph and compares).
- torch_ops_opset17.onnx, torch_ops_opset13.onnx and torch_ops_onnx.json: what the exporter writes for reshaping,
  chunking, slicing, clamping, where and reductions around a Linear and a LayerNorm (Shape, Gather, Concat, Reshape,
  Split, Clip, Where, Slice, ReduceSum, …), with torch's output and the gradients of its sum.
"""

import io
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from gen_reference import t, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261202


def messages():
    """A model that exercises the reader: every attribute kind, raw and typed tensor data, dims of each kind."""
    weights = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
    initializers = [
        numpy_helper.from_array(weights, "w_raw"),  # raw_data
        helper.make_tensor("w_typed", TensorProto.FLOAT, [3], [1.5, -2.25, 1e-3]),  # float_data
        helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 3]),  # int64_data
        numpy_helper.from_array(np.array([[7, -8]], dtype=np.int32), "i32_raw"),
        helper.make_tensor("i32_typed", TensorProto.INT32, [2], [-2147483648, 2147483647]),
        helper.make_tensor("flags", TensorProto.BOOL, [3], [True, False, True]),
        numpy_helper.from_array(np.array([1, 255], dtype=np.uint8), "u8_raw"),
        helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.1, -1e300]),
        helper.make_tensor("scalar", TensorProto.FLOAT, [], [3.0]),
        helper.make_tensor("empty", TensorProto.FLOAT, [0, 2], []),
    ]
    attrs = helper.make_node(
        "Custom", ["x", "w_raw"], ["y", ""], name="everything", domain="neurite.test",
        f=0.25, i=-3, s="text ü", t=helper.make_tensor("t", TensorProto.INT64, [1], [9]),
        floats=[1.0, -0.5], ints=[1, -2, 3], strings=["a", "bc"],
        tensors=[helper.make_tensor("t0", TensorProto.FLOAT, [1], [2.0])],
        g=helper.make_graph([helper.make_node("Relu", ["a"], ["b"])], "body",
                            [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                            [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])]))
    relu = helper.make_node("Relu", ["y"], ["z"], name="relu")
    graph = helper.make_graph(
        [attrs, relu], "messages",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, [None, 2])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 2])],
        initializers, doc_string="a graph doc")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("neurite.test", 1)],
                              producer_name="gen_onnx.py", producer_version="1", ir_version=8)
    helper.set_model_props(model, {"author": "neurite", "note": "α"})
    onnx.save(model, os.path.join(HERE, "onnx_messages.onnx"))

    def tensor(x):
        return {"name": x.name, "dims": list(x.dims), "data_type": x.data_type,
                "values": [v if isinstance(v, (int, bool)) else float(v) for v in numpy_helper.to_array(x).reshape(-1).tolist()]}

    expected = {
        "ir_version": model.ir_version,
        "opsets": [[o.domain, o.version] for o in model.opset_import],
        "producer": [model.producer_name, model.producer_version],
        "metadata": [[p.key, p.value] for p in model.metadata_props],
        "graph": graph.name,
        "doc": graph.doc_string,
        "initializers": [tensor(x) for x in initializers],
        "inputs": [[v.name, v.type.tensor_type.elem_type,
                    [d.dim_param or (d.dim_value if d.HasField("dim_value") else None) for d in v.type.tensor_type.shape.dim]]
                   for v in graph.input],
        "nodes": [[n.name, n.op_type, n.domain, list(n.input), list(n.output), [a.name for a in n.attribute]] for n in graph.node],
    }
    with open(os.path.join(HERE, "onnx_messages.json"), "w") as f:
        f.write(to_json(expected) + "\n")


def mlp():
    torch.manual_seed(SEED)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.LayerNorm(16), torch.nn.GELU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(16, 12), torch.nn.BatchNorm1d(12), torch.nn.SiLU(), torch.nn.Linear(12, 3),
        torch.nn.Softplus(beta=2.0))
    # Running statistics that are not the defaults, so that using them (or not) shows.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(32, 4) * 2 + 0.5)
    model.eval()
    x = torch.randn(5, 4)
    target = torch.randn(5, 3)
    for opset in (17, 13):
        buffer = io.BytesIO()
        torch.onnx.export(model, (x,), buffer, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        exported = onnx.load_from_string(buffer.getvalue())
        onnx.checker.check_model(exported, full_check=True)
        onnx.save(exported, os.path.join(HERE, f"torch_mlp_opset{opset}.onnx"))
    output = model(x)
    loss = torch.nn.functional.mse_loss(output, target)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        stepped = {name: p - 0.1 * p.grad for name, p in model.named_parameters()}
    payload = {
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "seed": SEED,
        "input": t(x),
        "output": t(output),
        "target": t(target),
        "loss": loss.item(),
        "lr": 0.1,
        "stepped": {name: t(value) for name, value in stepped.items()},
    }
    with open(os.path.join(HERE, "torch_mlp_onnx.json"), "w") as f:
        f.write(to_json(payload) + "\n")


class Ops(torch.nn.Module):
    """What PyTorch's exporter writes for reshaping, slicing and arithmetic around catalog layers (x: [N, 2, 3])."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(6, 8)
        self.norm = torch.nn.LayerNorm(8)

    def forward(self, x):
        h = self.linear(x.view(x.size(0), -1))  # Shape, Gather, Unsqueeze, Concat, Reshape; Gemm
        a, b = h.chunk(2, dim=1)  # Split
        h = torch.cat([b, a.clamp(-0.5, 0.5)], dim=1)  # Clip, Concat
        h = torch.where(h > 0, h, h.exp() - 1)  # Greater, Where, Exp, Sub
        h = self.norm(h)
        h = h.transpose(0, 1)[1:7:2].transpose(0, 1)  # Transpose, Slice
        h = h.unsqueeze(1).squeeze(1)  # Unsqueeze, Squeeze
        s = h.pow(2).sum(dim=1, keepdim=True).sqrt()  # Pow, ReduceSum, Sqrt
        return torch.log_softmax(h / (s + 1), dim=-1)  # Add, Div, LogSoftmax


def ops():
    torch.manual_seed(SEED + 1)
    model = Ops().eval()
    x = torch.randn(4, 2, 3)
    for opset in (17, 13):
        buffer = io.BytesIO()
        torch.onnx.export(model, (x,), buffer, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        exported = onnx.load_from_string(buffer.getvalue())
        onnx.checker.check_model(exported, full_check=True)
        onnx.save(exported, os.path.join(HERE, f"torch_ops_opset{opset}.onnx"))
    output = model(x)
    model.zero_grad()
    loss = output.sum()
    loss.backward()
    payload = {
        "torch_version": torch.__version__,
        "seed": SEED + 1,
        "input": t(x),
        "output": t(output),
        "grads": {name: t(p.grad) for name, p in model.named_parameters()},
    }
    with open(os.path.join(HERE, "torch_ops_onnx.json"), "w") as f:
        f.write(to_json(payload) + "\n")


if __name__ == "__main__":
    messages()
    mlp()
    ops()
