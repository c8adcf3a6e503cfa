#!/usr/bin/python3
"""Writes batch_norm2d.json: torch.nn.BatchNorm2d in training and evaluation, with gradients and running statistics.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_batch_norm2d.py

Each case builds a BatchNorm2d (random weight and bias when affine), runs two training-mode steps on random [N, C, H, W]
batches, and records per step the input, the output, the gradients of sum(y * upstream) for a random upstream with
respect to the input, weight and bias, and the running statistics after the step; then, in evaluation mode, the output
and the same gradients for a third batch. H·W is chosen to cover Neurite's vector loops and their scalar tails, and one
case has a large mean beside a small spread (cancellation). Tensors as gen_reference.py writes them.
"""

import torch

from gen_reference import header, t, write

SEED = 20240611 + 20


def gradients(bn, x, affine):
    x = x.clone().requires_grad_(True)
    y = bn(x)
    upstream = torch.randn(y.shape)
    (y * upstream).sum().backward()
    grads = {"x": t(x.grad)}
    if affine:
        grads["weight"] = t(bn.weight.grad)
        grads["bias"] = t(bn.bias.grad)
        bn.weight.grad = None
        bn.bias.grad = None
    return {"x": t(x), "y": t(y), "upstream": t(upstream), "grads": grads}


def batch_norm_case(name, shape, momentum=0.1, affine=True, scale=3.0, offset=1.0):
    channels = shape[1]
    bn = torch.nn.BatchNorm2d(channels, momentum=momentum, affine=affine)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(torch.randn(channels))
            bn.bias.copy_(torch.randn(channels))
    initial = {"weight": t(bn.weight), "bias": t(bn.bias)} if affine else {}
    steps = []
    for _ in range(2):
        step = gradients(bn, torch.randn(*shape) * scale + offset, affine)
        step["running_mean"] = t(bn.running_mean)
        step["running_var"] = t(bn.running_var)
        steps.append(step)
    bn.eval()
    evaluation = gradients(bn, torch.randn(*shape) * scale + offset, affine)
    return {"name": name, "shape": list(shape), "momentum": momentum, "affine": affine, **initial,
            "steps": steps, "num_batches_tracked": int(bn.num_batches_tracked), "eval": evaluation}


def main():
    torch.manual_seed(SEED)
    payload = header(SEED)
    payload["cases"] = [
        batch_norm_case("affine_5x6", (4, 3, 5, 6)),
        batch_norm_case("no_affine_momentum_0.3_3x3", (3, 2, 3, 3), momentum=0.3, affine=False),
        batch_norm_case("affine_1x1", (6, 4, 1, 1)),
        batch_norm_case("large_mean_4x4", (2, 3, 4, 4), scale=0.5, offset=50.0),
    ]
    write("batch_norm2d.json", payload)


if __name__ == "__main__":
    main()
