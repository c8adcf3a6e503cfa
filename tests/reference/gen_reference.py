#!/usr/bin/python3
"""Writes the PyTorch reference fixtures that tests/Neurite.Tests/Reference/ compares against.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_reference.py

CI never runs this script: the JSON files it writes are checked in, so the C# tests need no Python.

Every fixture records the torch version and the seed. A tensor is written as
{"shape": [...], "data": [...]} with the data row-major; each float32 value is written as
float(x), its exact widening to a double, written round-trip, so that the C# side (parse as
double, narrow to float) reads exactly the bits PyTorch used (NaN and infinities as the strings "NaN", "Infinity",
"-Infinity", since JSON has no such numbers). Gradients are of sum(out * upstream) for a random
upstream tensor (a plain .sum() would give every output the same weight and hide transposition
and broadcasting mistakes), except the MLP, which back-propagates its cross-entropy loss.
"""

import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611


def t(x):
    """A tensor as JSON: its shape and its float32 values, row-major."""
    x = x.detach().to(torch.float32).contiguous()
    return {"shape": list(x.shape), "data": [number(v) for v in x.reshape(-1).tolist()]}


def number(v):
    """A float for JSON; NaN and ±infinity as the strings "NaN", "Infinity", "-Infinity" (not JSON numbers)."""
    v = float(v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def header(seed):
    return {"torch_version": torch.__version__, "seed": seed}


def to_json(value, indent=0):
    """JSON with one line per list of scalars, which keeps the files small and their diffs readable."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + to_json(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def write(name, payload):
    path = os.path.join(HERE, name)
    text = to_json(payload)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def case(name, inputs, forward, params=None):
    """Runs forward on leaf copies of inputs and records output and gradients of sum(out * upstream)."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = forward(**leaves)
    upstream = torch.randn(out.shape)
    (out * upstream).sum().backward()
    return {
        "name": name,
        "params": params or {},
        "inputs": {k: t(v) for k, v in inputs.items()},
        "output": t(out),
        "upstream": t(upstream),
        "grads": {k: t(v.grad) for k, v in leaves.items()},
    }


def gen_matmul():
    torch.manual_seed(SEED)
    shapes = [
        ("matrix_matrix_3x4_4x5", [3, 4], [4, 5]),
        ("batched_2x3x4_broadcast_4x5", [2, 3, 4], [4, 5]),
        ("batched_2x1x3x4_5x4x2", [2, 1, 3, 4], [5, 4, 2]),
        ("batched_both_2x3x4_2x4x5", [2, 3, 4], [2, 4, 5]),
        ("matrix_broadcast_3x4_2x4x5", [3, 4], [2, 4, 5]),
        ("vector_matrix_4_4x5", [4], [4, 5]),
        ("matrix_vector_3x4_4", [3, 4], [4]),
        ("vector_vector_4_4", [4], [4]),
        ("vector_batched_4_2x4x5", [4], [2, 4, 5]),
        ("batched_vector_2x3x4_4", [2, 3, 4], [4]),
    ]
    cases = [
        case(name, {"a": torch.randn(sa), "b": torch.randn(sb)}, lambda a, b: torch.matmul(a, b))
        for name, sa, sb in shapes
    ]
    write("matmul.json", {**header(SEED), "op": "torch.matmul(a, b)", "cases": cases})


def gen_softmax():
    torch.manual_seed(SEED + 1)
    x3 = torch.randn(2, 3, 4) * 2
    # Magnitudes far beyond exp's float32 range (e^88): only a max-subtracting softmax survives.
    large = torch.tensor([[1000.0, -1000.0, 0.0, 999.0],
                          [-1000.0, -1000.0, -1000.0, -1000.5],
                          [500.0, 1000.0, -500.0, 1000.0]])
    # Equal entries along a row give a uniform softmax.
    flat = torch.full((2, 5), 3.25)
    # −inf entries, as an attention mask writes them: probability 0 (log-probability −inf) there.
    masked = torch.tensor([[0.5, -float("inf"), 1.5, -float("inf")],
                           [-float("inf"), 2.0, -1.0, 0.0]])
    cases = []
    for fn_name, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        for label, x, dim in (("3d_last", x3, -1), ("3d_first", x3, 0), ("3d_middle", x3, 1),
                              ("large_last", large, -1), ("large_first", large, 0),
                              ("uniform_last", flat, 1), ("masked_last", masked, -1)):
            cases.append(case(f"{fn_name}_{label}", {"x": x}, lambda x, fn=fn, dim=dim: fn(x, dim),
                              {"op": fn_name, "dim": dim}))
    write("softmax.json", {**header(SEED + 1), "cases": cases})


def gen_mlp():
    seed = SEED + 2
    torch.manual_seed(seed)
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    cases = []
    for act1, act2 in (("relu", "relu"), ("tanh", "sigmoid"), ("sigmoid", "relu")):
        # nn.Linear's default initialisation, weight layout [out, in].
        l1, l2, l3 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 6), torch.nn.Linear(6, 3)
        x = torch.randn(5, 4, requires_grad=True)
        target = torch.randint(0, 3, (5,))
        z1 = l1(x)
        h1 = acts[act1](z1)
        z2 = l2(h1)
        h2 = acts[act2](z2)
        logits = l3(h2)
        log_probs = torch.log_softmax(logits, dim=1)
        # Cross-entropy as the mean negative log-likelihood of the target classes.
        loss = -log_probs.gather(1, target[:, None]).mean()
        assert torch.allclose(loss, F.cross_entropy(logits, target))
        loss.backward()
        params = {"W1": l1.weight, "b1": l1.bias, "W2": l2.weight, "b2": l2.bias, "W3": l3.weight, "b3": l3.bias}
        cases.append({
            "name": f"mlp_4_8_6_3_{act1}_{act2}",
            "params": {"act1": act1, "act2": act2},
            "target": target.tolist(),
            "inputs": {"x": t(x), **{k: t(v) for k, v in params.items()}},
            "outputs": {"z1": t(z1), "h1": t(h1), "z2": t(z2), "h2": t(h2), "logits": t(logits),
                        "log_probs": t(log_probs), "loss": t(loss)},
            "grads": {"x": t(x.grad), **{k: t(v.grad) for k, v in params.items()}},
        })
    write("mlp.json", {**header(seed), "loss": "-mean(log_softmax(logits, 1).gather(1, target))", "cases": cases})


def gen_elementwise():
    seed = SEED + 3
    torch.manual_seed(seed)
    positive = lambda *shape: torch.rand(shape) + 0.5  # noqa: E731  (away from 0 for log, sqrt, div, pow)
    ties = torch.tensor([[1.0, 3.0, 3.0, 0.0],
                         [2.0, 2.0, 2.0, 2.0],
                         [5.0, -1.0, 4.0, 5.0]])
    with_zero = torch.tensor([[-1.5, 0.0, 0.25], [2.0, -0.0, -0.5]])
    boundary = torch.tensor([-1.0, -0.5, -0.25, 0.0, 0.5, 0.75])
    cases = [
        case("mul_broadcast_sum_dims_0_2", {"a": torch.randn(2, 3, 1), "b": torch.randn(4)},
             lambda a, b: (a * b).sum(dim=(0, 2))),
        case("add_broadcast", {"a": torch.randn(3, 1), "b": torch.randn(1, 4)}, lambda a, b: a + b),
        case("sub_broadcast_mean_dim1", {"a": torch.randn(3, 1), "b": torch.randn(2, 1, 4)},
             lambda a, b: (a - b).mean(dim=1)),
        case("div_broadcast", {"a": torch.randn(2, 1, 3), "b": positive(4, 1) * torch.tensor([[1.0], [-1.0], [1.0], [-1.0]])},
             lambda a, b: a / b),
        case("pow_tensor_exponent", {"a": positive(3, 4), "b": torch.randn(4)}, lambda a, b: torch.pow(a, b)),
        case("pow_scalar_3", {"a": torch.randn(2, 3)}, lambda a: a ** 3.0, {"p": 3.0}),
        case("pow_scalar_2_5", {"a": positive(2, 3)}, lambda a: a ** 2.5, {"p": 2.5}),
        case("exp_log_sqrt", {"a": torch.randn(2, 3), "b": positive(2, 3)},
             lambda a, b: torch.sqrt(torch.exp(a) + torch.log(b) + 1.0)),
        case("var_unbiased_dim1", {"x": torch.randn(3, 5)}, lambda x: x.var(dim=1)),
        case("var_unbiased_all", {"x": torch.randn(2, 3, 4)}, lambda x: x.var()),
        case("var_unbiased_dim0_keepdim", {"x": torch.randn(4, 3)}, lambda x: x.var(dim=0, keepdim=True)),
        case("mean_dims_0_2_keepdim", {"x": torch.randn(2, 3, 4)}, lambda x: x.mean(dim=(0, 2), keepdim=True)),
        case("amax_ties_dim1", {"x": ties}, lambda x: torch.amax(x, dim=1)),
        case("amax_ties_all", {"x": ties}, lambda x: torch.amax(x, dim=(0, 1))),
        case("amin_ties_dim0_keepdim", {"x": ties}, lambda x: torch.amin(x, dim=0, keepdim=True)),
        case("maximum_ties", {"a": torch.tensor([1.0, 2.0, 3.0, -1.0]), "b": torch.tensor([1.0, 5.0, 3.0, -2.0])},
             lambda a, b: torch.maximum(a, b)),
        case("minimum_broadcast", {"a": torch.randn(3, 1), "b": torch.randn(4)}, lambda a, b: torch.minimum(a, b)),
        case("relu_with_zero", {"x": with_zero}, lambda x: torch.relu(x)),
        case("abs_with_zero", {"x": with_zero}, lambda x: torch.abs(x)),
        case("sigmoid", {"x": torch.randn(2, 3) * 3}, lambda x: torch.sigmoid(x)),
        case("tanh", {"x": torch.randn(2, 3) * 2}, lambda x: torch.tanh(x)),
        case("clamp_boundaries", {"x": boundary}, lambda x: torch.clamp(x, -0.5, 0.5), {"min": -0.5, "max": 0.5}),
        case("where_positive", {"a": torch.randn(2, 3), "b": torch.randn(3)},
             lambda a, b: torch.where(a > 0, a, b)),
    ]
    write("elementwise.json", {**header(seed), "cases": cases})


def gen_shape_ops():
    seed = SEED + 4
    torch.manual_seed(seed)
    gather_index = torch.tensor([[0, 3], [2, 2], [1, 0]])  # a repeated index accumulates its gradient
    gather_index0 = torch.tensor([[2, 0, 1, 2], [0, 0, 2, 1]])
    cases = [
        case("gather_dim1", {"x": torch.randn(3, 4)}, lambda x: torch.gather(x, 1, gather_index),
             {"index": gather_index.tolist()}),
        case("gather_dim0", {"x": torch.randn(3, 4)}, lambda x: torch.gather(x, 0, gather_index0),
             {"index": gather_index0.tolist()}),
        case("index_select_dim0_repeated", {"x": torch.randn(4, 3)},
             lambda x: torch.index_select(x, 0, torch.tensor([2, 0, 2])), {"indices": [2, 0, 2]}),
        case("index_select_dim1", {"x": torch.randn(2, 5)},
             lambda x: torch.index_select(x, 1, torch.tensor([4, 1])), {"indices": [4, 1]}),
        case("concat_dim1", {"a": torch.randn(2, 3), "b": torch.randn(2, 2)}, lambda a, b: torch.cat([a, b], 1)),
        case("stack_dim1", {"a": torch.randn(2, 3), "b": torch.randn(2, 3)}, lambda a, b: torch.stack([a, b], 1)),
        case("permute_2_0_1", {"x": torch.randn(2, 3, 4)}, lambda x: x.permute(2, 0, 1)),
        case("transpose_0_2", {"x": torch.randn(2, 3, 4)}, lambda x: x.transpose(0, 2)),
        case("slice_dim0_1_5_step2", {"x": torch.randn(5, 4)}, lambda x: x[1:5:2]),
        case("slice_dim1_negative", {"x": torch.randn(3, 5)}, lambda x: x[:, -3:-1]),
        case("broadcast_to_2x3x4", {"x": torch.randn(3, 1)}, lambda x: x.broadcast_to(2, 3, 4)),
        case("flatten_from_1", {"x": torch.randn(2, 3, 4)}, lambda x: x.flatten(1)),
        case("reshape_then_matmul", {"x": torch.randn(2, 6), "w": torch.randn(3, 2)},
             lambda x, w: torch.matmul(x.reshape(2, 3, 2), w.t())),
        case("unflatten_dim1", {"x": torch.randn(2, 6, 2)}, lambda x: torch.nn.Unflatten(1, (3, 2))(x)),
    ]
    write("shape_ops.json", {**header(seed), "cases": cases})


def gen_printing():
    samples = [
        ("small_ints", torch.tensor([1.0, 2.0, 3.0]), False),
        ("negative_ints", torch.tensor([-1.0, 20.0, 3.0]), False),
        ("floats", torch.tensor([1.5, -2.25, 0.125]), False),
        ("floats_2d", torch.tensor([[1.5, -2.0], [0.25, 4.0]]), False),
        ("floats_2d_requires_grad", torch.tensor([[1.5, -2.0], [0.25, 4.0]]), True),
        ("ints_3d", torch.arange(12.0).reshape(2, 2, 3), False),
        ("floats_3d", (torch.arange(12.0).reshape(2, 3, 2) - 5.5) / 4, False),
        ("mixed_magnitudes", torch.tensor([1.0e-5, 1.0, 3.0e3]), False),
        ("large", torch.tensor([1.5e9, -2.0, 3.0]), False),
        ("small", torch.tensor([0.5, 1.0e-6]), False),
        ("int_ratio_over_1000", torch.tensor([1.0, 2000.0]), False),
        ("ints_width_padding", torch.tensor([[1.0, -100.0], [25.0, 7.0]]), False),
        ("scalar", torch.tensor(3.5), False),
        ("scalar_int", torch.tensor(-2.0), False),
        ("with_nan_inf", torch.tensor([1.5, float("nan"), float("inf"), -float("inf")]), False),
        ("nan_inf_only", torch.tensor([float("nan"), float("inf")]), False),
        ("ints_with_nan", torch.tensor([1.0, float("nan"), 2.0]), False),
        ("zeros", torch.zeros(2, 2), False),
        ("empty_1d", torch.zeros(0), False),
        ("empty_2d", torch.zeros(2, 0), False),
        ("rounds_to_4_places", torch.tensor([0.12345, 2.5]), False),
        ("at_1e-4", torch.tensor([1.0e-4, 1.0]), False),  # float32(1e-4) < 1e-4: scientific
        ("ints_1e8_and_1", torch.tensor([1.0e8, 1.0]), False),
        # More than 1000 elements: only the first and last three of each axis are shown.
        ("summarized_1d", torch.arange(1001.0) % 7, False),
        ("summarized_2d", (torch.arange(1020.0) % 9).reshape(34, 30) / 4, False),
        ("long_row_wraps", torch.arange(20.0) / 3, False),
    ]
    cases = []
    for name, x, requires_grad in samples:
        x = x.clone().requires_grad_(requires_grad)
        cases.append({"name": name, "tensor": t(x), "requires_grad": requires_grad, "text": str(x)})
    write("printing.json", {**header(None), "cases": cases})


if __name__ == "__main__":
    gen_matmul()
    gen_softmax()
    gen_mlp()
    gen_elementwise()
    gen_shape_ops()
    gen_printing()
