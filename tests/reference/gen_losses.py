"""Writes losses.json: every loss of Neurite.NN.Losses computed by PyTorch, with input gradients.

Run by hand with Debian's PyTorch:  /usr/bin/python3 tests/reference/gen_losses.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(7)
N, C = 5, 4


def case(name, fn, inputs, reduction, **kwargs):
    leaves = [t.clone().requires_grad_(i == 0) for i, t in enumerate(inputs)]
    out = fn(*leaves, reduction=reduction, **kwargs)
    upstream = torch.linspace(-1.0, 1.0, out.numel()).reshape(out.shape) if out.dim() > 0 else torch.tensor(1.0)
    (out * upstream).sum().backward()
    return {
        "name": name,
        "reduction": reduction,
        "kwargs": kwargs,
        "inputs": [t.reshape(-1).tolist() for t in inputs],
        "shapes": [list(t.shape) for t in inputs],
        "output": out.reshape(-1).tolist(),
        "output_shape": list(out.shape),
        "upstream": upstream.reshape(-1).tolist(),
        "grad": leaves[0].grad.reshape(-1).tolist(),
    }


pred = torch.randn(N, C) * 2
target = torch.randn(N, C)
prob = torch.sigmoid(torch.randn(N, C) * 2)
binary = (torch.rand(N, C) > 0.5).float()
logits = torch.randn(N, C) * 3
classes = torch.tensor([0, 3, 1, 1, 2])
soft_targets = torch.softmax(torch.randn(N, C), dim=1)

cases = []
for reduction in ["mean", "sum", "none"]:
    cases.append(case("mse", F.mse_loss, [pred, target], reduction))
    cases.append(case("l1", F.l1_loss, [pred, target], reduction))
    cases.append(case("huber", F.huber_loss, [pred, target], reduction, delta=1.5))
    cases.append(case("smooth_l1", F.smooth_l1_loss, [pred, target], reduction, beta=0.5))
    cases.append(case("bce", F.binary_cross_entropy, [prob, binary], reduction))
    cases.append(case("bce_logits", F.binary_cross_entropy_with_logits, [logits, binary], reduction))
    cases.append(case("nll", lambda x, t, reduction: F.nll_loss(x, t, reduction=reduction),
                      [torch.log_softmax(logits, 1), classes], reduction))
    cases.append(case("cross_entropy", F.cross_entropy, [logits, classes], reduction))
    cases.append(case("cross_entropy_smoothed", F.cross_entropy, [logits, classes], reduction, label_smoothing=0.1))
    cases.append(case("cross_entropy_probabilities", F.cross_entropy, [logits, soft_targets], reduction))
    cases.append(case("cross_entropy_probabilities_smoothed", F.cross_entropy, [logits, soft_targets], reduction,
                      label_smoothing=0.2))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.json")
with open(path + ".tmp", "w") as f:
    json.dump({"torch_version": torch.__version__, "seed": 7, "cases": cases}, f)
os.replace(path + ".tmp", path)
print(f"wrote {len(cases)} cases to {path}")
