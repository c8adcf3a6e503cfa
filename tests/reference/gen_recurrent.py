#!/usr/bin/python3
"""Writes recurrent.json: torch.nn.RNN, LSTM and GRU (batch_first), nn.Embedding, the sequence layers and the
per-step cross-entropy, computed by PyTorch with gradients.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_recurrent.py

Module cases: "inputs" holds x and every tensor of the module's state dict under PyTorch's names (the C# test loads
them by name), "grads" the gradient of x and of every parameter, all of sum(out * upstream) for a random upstream.
Recurrent cases run two layers, bidirectional or not, and return either PyTorch's `output` [N, T, H*D] ("sequences")
or the last layer's h_n with the forward direction first [N, H*D] ("last"); a wide single layer (H = 17) reaches the
vector passes and their scalar tails. Same tensor layout as gen_reference.py.
"""

import torch
import torch.nn.functional as F

from gen_reference import case, header, t, write

SEED = 20240611 + 12


def last_hidden(module, h_n):
    """The last layer's h_n, [N, H*D], the forward direction first (the reverse one's h_n is its state after step 0)."""
    directions = 2 if module.bidirectional else 1
    return torch.cat([h_n[-directions + d] for d in range(directions)], dim=1)


def recurrent_case(name, module, x, returns):
    module.zero_grad(set_to_none=True)  # the module serves two cases
    leaf = x.clone().requires_grad_(True)
    output, state = module(leaf)
    h_n = state[0] if isinstance(module, torch.nn.LSTM) else state
    out = output if returns == "sequences" else last_hidden(module, h_n)
    upstream = torch.randn(out.shape)
    (out * upstream).sum().backward()
    return {
        "name": name,
        "params": {"cell": type(module).__name__, "input": module.input_size, "hidden": module.hidden_size,
                   "layers": module.num_layers, "bidirectional": module.bidirectional,
                   "return_sequences": returns == "sequences"},
        "inputs": {"x": t(x), **{k: t(v) for k, v in module.state_dict().items()}},
        "output": t(out),
        "upstream": t(upstream),
        "grads": {"x": t(leaf.grad), **{k: t(p.grad) for k, p in module.named_parameters()}},
    }


def embedding_case():
    embedding = torch.nn.Embedding(6, 4)
    ids = torch.tensor([[5, 0, 2], [2, 2, 1]])  # a repeated id accumulates its gradient
    out = embedding(ids)
    upstream = torch.randn(out.shape)
    (out * upstream).sum().backward()
    return {
        "name": "embedding",
        "params": {"ids": ids.tolist()},
        "inputs": {"weight": t(embedding.weight)},
        "output": t(out),
        "upstream": t(upstream),
        "grads": {"weight": t(embedding.weight.grad)},
    }


def gen_recurrent():
    torch.manual_seed(SEED)
    cases = []
    for cell in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        for bidirectional in (False, True):
            module = cell(3, 3, num_layers=2, bidirectional=bidirectional, batch_first=True)
            for returns in ("sequences", "last"):
                x = torch.randn(2, 3, 3)
                direction = "bidirectional" if bidirectional else "forward"
                cases.append(recurrent_case(f"{cell.__name__.lower()}_2layers_{direction}_{returns}", module, x, returns))
        wide = cell(2, 17, batch_first=True)
        cases.append(recurrent_case(f"{cell.__name__.lower()}_wide_sequences", wide, torch.randn(2, 3, 2), "sequences"))
    cases.append(embedding_case())
    classes = torch.tensor([[0, 4, 2], [3, 3, 1]])
    cases += [
        case("mean_pool", {"x": torch.randn(2, 4, 3)}, lambda x: x.mean(dim=1)),
        case("last_step", {"x": torch.randn(2, 4, 3)}, lambda x: x[:, -1]),
        case("repeat", {"x": torch.randn(2, 3)}, lambda x: x.unsqueeze(1).expand(2, 4, 3)),
        # Batch-first logits [N, T, C] against [N, T] classes: PyTorch wants the class axis second.
        case("cross_entropy_per_step", {"logits": torch.randn(2, 3, 5) * 2},
             lambda logits: F.cross_entropy(logits.transpose(1, 2), classes), {"classes": classes.tolist()}),
    ]
    write("recurrent.json", {**header(SEED), "cases": cases})


if __name__ == "__main__":
    gen_recurrent()
