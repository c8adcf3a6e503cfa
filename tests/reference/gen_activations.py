#!/usr/bin/python3
"""Writes activations.json: every activation's forward and backward computed by PyTorch on a grid over
[-8, 8] that holds 0 exactly, both saturated ends, and points just beside the kinks.

Run by hand with Debian's PyTorch, from the repository root:

    /usr/bin/python3 tests/reference/gen_activations.py

A derivative off by 1 % passes a finite-difference check at 2 % tolerance; these fixtures are compared
at float32 precision (tests/Neurite.Tests/Reference/ActivationReferenceTests.cs), so it cannot.
The gradient is of sum(out * upstream) with a random upstream, as in gen_reference.py.

The inputs and upstream gradients are float32 (case() draws the upstream in float32); PyTorch computes in float64 and the results are rounded to
float32, so that the fixtures hold the true values. PyTorch's own float32 kernels are off by an ulp or two
where a value is a small difference of terms near 1 (its vectorized tanh gives tanh(-8.89) = -1, so it puts
gelu_tanh's derivative at x = -5.125 at 0 where the true value is -6.8e-7), and a comparison with them would
measure their rounding as well as Neurite's.
"""

import torch
import torch.nn.functional as F

from gen_reference import header, case, write

SEED = 20261201


def grid():
    """k/16 for k = -128 … 128 (exact in float32, so 0 is exactly 0), and ±1e-4 and ±1e-7 beside the kinks."""
    values = [k / 16 for k in range(-128, 129)] + [1e-4, -1e-4, 1e-7, -1e-7]
    return torch.tensor(values, dtype=torch.float32).double()


def gen_activations():
    torch.manual_seed(SEED)
    x = grid()
    rows = x[:256].reshape(16, 16)  # softmax along the last axis: rows from saturated to flat
    rows = rows * torch.linspace(0.1, 2.0, 16).reshape(16, 1).double()
    rows = rows.float().double()  # float32 inputs
    cases = [
        case("relu", {"x": x}, lambda x: torch.relu(x)),
        case("sigmoid", {"x": x}, lambda x: torch.sigmoid(x)),
        case("tanh", {"x": x}, lambda x: torch.tanh(x)),
        case("leaky_relu", {"x": x}, lambda x: F.leaky_relu(x), {"negative_slope": 0.01}),
        case("leaky_relu_0_2", {"x": x}, lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2}),
        case("elu", {"x": x}, lambda x: F.elu(x), {"alpha": 1.0}),
        case("elu_1_5", {"x": x}, lambda x: F.elu(x, 1.5), {"alpha": 1.5}),
        case("gelu", {"x": x}, lambda x: F.gelu(x)),
        case("gelu_tanh", {"x": x}, lambda x: F.gelu(x, approximate="tanh")),
        case("silu", {"x": x}, lambda x: F.silu(x)),
        case("softplus", {"x": x}, lambda x: F.softplus(x), {"beta": 1.0, "threshold": 20.0}),
        # beta·x crosses the threshold inside the grid: both branches and the switch are covered.
        case("softplus_beta_2_threshold_5", {"x": x}, lambda x: F.softplus(x, 2.0, 5.0), {"beta": 2.0, "threshold": 5.0}),
        case("softmax", {"x": rows}, lambda x: torch.softmax(x, -1)),
        case("log_softmax", {"x": rows}, lambda x: torch.log_softmax(x, -1)),
        case("erf", {"x": x}, lambda x: torch.erf(x)),
    ]
    write("activations.json", {**header(SEED), "cases": cases})


if __name__ == "__main__":
    gen_activations()
