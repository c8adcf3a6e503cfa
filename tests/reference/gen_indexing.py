#!/usr/bin/python3
"""Writes indexing.json: the ops of the tensor-views and integer-index work computed by PyTorch, with gradients.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_indexing.py

Cases: narrow, select and unbind (views in Neurite along the leading axis), embedding with repeated ids,
matmul with a transposed operand (q @ k^T, a^T @ b), and cross_entropy / nll_loss with integer class indices,
including PyTorch's (N, C, d1) layout. Same layout as gen_reference.py (tensors as {"shape", "data"}, gradients of
sum(out * upstream) for a random upstream); integer indices go into "params".
"""

import torch
import torch.nn.functional as F

from gen_reference import case, header, write

SEED = 20240611 + 10


def gen_indexing():
    torch.manual_seed(SEED)
    ids = torch.tensor([[3, 0, 3], [1, 4, 4]])
    classes = torch.tensor([2, 0, 3])
    positions = torch.tensor([[3, 0, 1], [2, 2, 0]])
    cases = [
        case("narrow_dim0", {"x": torch.randn(5, 3)}, lambda x: x.narrow(0, 1, 3)),
        case("narrow_dim1", {"x": torch.randn(2, 5, 3)}, lambda x: x.narrow(1, -3, 2)),
        case("select_dim0_negative", {"x": torch.randn(4, 3)}, lambda x: x.select(0, -1)),
        case("select_dim2", {"x": torch.randn(2, 3, 4)}, lambda x: x.select(2, 1)),
        # Each row through its own op, then joined again: the gradient of x gathers every row's.
        case("unbind_rows_stack", {"x": torch.randn(4, 3)},
             lambda x: torch.stack([torch.tanh(r) * (i + 1) for i, r in enumerate(torch.unbind(x, 0))], 1)),
        case("unbind_dim1_cat", {"x": torch.randn(2, 3, 2)}, lambda x: torch.cat(torch.unbind(x, 1), 0)),
        case("embedding_repeated_ids", {"weight": torch.randn(5, 3)}, lambda weight: F.embedding(ids, weight),
             {"ids": ids.tolist()}),
        case("matmul_transpose_b", {"a": torch.randn(2, 3, 4), "b": torch.randn(2, 5, 4)},
             lambda a, b: a @ b.transpose(-2, -1), {"transpose_a": False, "transpose_b": True}),
        case("matmul_transpose_a", {"a": torch.randn(4, 3), "b": torch.randn(4, 5)},
             lambda a, b: a.t() @ b, {"transpose_a": True, "transpose_b": False}),
        case("matmul_transpose_both_broadcast", {"a": torch.randn(2, 4, 3), "b": torch.randn(5, 4)},
             lambda a, b: a.transpose(-2, -1) @ b.t(), {"transpose_a": True, "transpose_b": True}),
        case("matmul_transpose_b_folded", {"a": torch.randn(2, 3, 4), "b": torch.randn(5, 4)},
             lambda a, b: a @ b.t(), {"transpose_a": False, "transpose_b": True}),
    ]
    for reduction in ["mean", "sum", "none"]:
        cases.append(case(f"cross_entropy_{reduction}", {"logits": torch.randn(3, 4) * 2},
                          lambda logits: F.cross_entropy(logits, classes, reduction=reduction),
                          {"classes": classes.tolist(), "reduction": reduction, "label_smoothing": 0.0}))
        cases.append(case(f"cross_entropy_ncd_smoothed_{reduction}", {"logits": torch.randn(2, 4, 3) * 2},
                          lambda logits: F.cross_entropy(logits, positions, reduction=reduction, label_smoothing=0.1),
                          {"classes": positions.tolist(), "reduction": reduction, "label_smoothing": 0.1}))
        cases.append(case(f"nll_loss_ncd_{reduction}", {"log_probabilities": torch.randn(2, 4, 3)},
                          lambda log_probabilities: F.nll_loss(log_probabilities, positions, reduction=reduction),
                          {"classes": positions.tolist(), "reduction": reduction}))
    write("indexing.json", {**header(SEED), "cases": cases})


if __name__ == "__main__":
    gen_indexing()
