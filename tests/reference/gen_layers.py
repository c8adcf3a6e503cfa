"""Writes layers.json: BatchNorm1d (train, running statistics, eval) and LayerNorm computed by
PyTorch, with gradients, and torch.nn.init.calculate_gain values.

Run by hand with Debian's PyTorch:  /usr/bin/python3 tests/reference/gen_layers.py
"""
import json
import os

import torch

torch.manual_seed(11)


def flat(t):
    return t.detach().reshape(-1).tolist()


def batch_norm_case(name, shape, momentum, affine):
    channels = shape[1]
    bn = torch.nn.BatchNorm1d(channels, momentum=momentum, affine=affine)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(torch.randn(channels))
            bn.bias.copy_(torch.randn(channels))
    steps = []
    for _ in range(2):
        x = (torch.randn(*shape) * 3 + 1).requires_grad_(True)
        y = bn(x)
        upstream = torch.randn(*shape)
        (y * upstream).sum().backward()
        steps.append({
            "x": flat(x), "y": flat(y), "upstream": flat(upstream), "x_grad": flat(x.grad),
            "weight_grad": flat(bn.weight.grad) if affine else [],
            "bias_grad": flat(bn.bias.grad) if affine else [],
            "running_mean": flat(bn.running_mean), "running_var": flat(bn.running_var),
        })
        if affine:
            bn.weight.grad = None
            bn.bias.grad = None
    bn.eval()
    x_eval = torch.randn(*shape)
    return {
        "name": name, "shape": list(shape), "momentum": momentum, "affine": affine,
        "weight": flat(bn.weight) if affine else [], "bias": flat(bn.bias) if affine else [],
        "steps": steps, "eval_x": flat(x_eval), "eval_y": flat(bn(x_eval)),
    }


def layer_norm_case(name, shape, normalized_shape):
    ln = torch.nn.LayerNorm(normalized_shape)
    with torch.no_grad():
        ln.weight.copy_(torch.randn(*normalized_shape))
        ln.bias.copy_(torch.randn(*normalized_shape))
    x = (torch.randn(*shape) * 2 - 1).requires_grad_(True)
    y = ln(x)
    upstream = torch.randn(*shape)
    (y * upstream).sum().backward()
    return {
        "name": name, "shape": list(shape), "normalized_shape": list(normalized_shape),
        "weight": flat(ln.weight), "bias": flat(ln.bias), "x": flat(x), "y": flat(y),
        "upstream": flat(upstream), "x_grad": flat(x.grad),
        "weight_grad": flat(ln.weight.grad), "bias_grad": flat(ln.bias.grad),
    }


gains = {name: torch.nn.init.calculate_gain(name) for name in ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]}
gains["leaky_relu_0.2"] = torch.nn.init.calculate_gain("leaky_relu", 0.2)

fixture = {
    "torch_version": torch.__version__,
    "seed": 11,
    "batch_norm": [
        batch_norm_case("bn_2d", (6, 3), 0.1, True),
        batch_norm_case("bn_3d", (4, 2, 5), 0.3, True),
        batch_norm_case("bn_no_affine", (5, 4), 0.1, False),
    ],
    "layer_norm": [
        layer_norm_case("ln_last", (3, 5), (5,)),
        layer_norm_case("ln_last_two", (2, 3, 4), (3, 4)),
    ],
    "gains": gains,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
with open(path + ".tmp", "w") as f:
    json.dump(fixture, f)
os.replace(path + ".tmp", path)
print(f"wrote {path}")
