#!/usr/bin/python3
"""Writes attention.json: torch.nn.MultiheadAttention (batch_first, q = k = v = x, and a query over other keys),
torch.nn.TransformerEncoderLayer (batch_first, post- and pre-norm, relu and gelu), the sinusoidal and a learned
positional encoding, and a small sequence classifier as a spec builds it, computed by PyTorch with gradients.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_attention.py

Module cases: "inputs" holds x (and for cross-attention "key", the keys and values) and every tensor of the module's
state dict under PyTorch's names (the C# test loads them by name), "grads" the gradient of each input and of every
parameter, all of sum(out * upstream) for a random upstream. "params" gives the sizes, "causal" (PyTorch's attn_mask =
the square subsequent mask, as a bool mask) and "lengths" (a key_padding_mask that ignores the steps t >= length).
Dropout is 0 (PyTorch's masks cannot be reproduced); modules run in training mode, so the eval fast path is not taken.
Same tensor layout as gen_reference.py.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from gen_reference import header, t, write

SEED = 20240611 + 13


def padding_mask(lengths, steps):
    """PyTorch's bool key_padding_mask: True at the steps t >= length (ignored)."""
    return torch.arange(steps)[None, :] >= torch.tensor(lengths)[:, None]


def causal_mask(steps):
    """A bool attn_mask: True above the diagonal, so step i attends to steps j <= i."""
    return torch.triu(torch.ones(steps, steps, dtype=torch.bool), 1)


def module_case(name, module, inputs, forward, params):
    """Runs forward on leaf copies of the inputs and records the output and the gradients of inputs and parameters."""
    module.zero_grad(set_to_none=True)
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = forward(**leaves)
    upstream = torch.randn(out.shape)
    (out * upstream).sum().backward()
    return {
        "name": name,
        "params": params,
        "inputs": {**{k: t(v) for k, v in inputs.items()}, **{k: t(v) for k, v in module.state_dict().items()}},
        "output": t(out),
        "upstream": t(upstream),
        "grads": {**{k: t(v.grad) for k, v in leaves.items()}, **{k: t(p.grad) for k, p in module.named_parameters()}},
    }


def mha_case(name, embed, heads, batch, steps, causal=False, lengths=None, key_steps=None):
    mha = nn.MultiheadAttention(embed, heads, batch_first=True)
    # Random biases: PyTorch zeroes them at initialization, which would hide a bias left out.
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    attn_mask = causal_mask(steps) if causal else None
    if key_steps is None:
        kpm = padding_mask(lengths, steps) if lengths else None
        inputs = {"x": torch.randn(batch, steps, embed)}
        forward = lambda x: mha(x, x, x, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=False)[0]
    else:
        kpm = padding_mask(lengths, key_steps) if lengths else None
        inputs = {"x": torch.randn(batch, steps, embed), "key": torch.randn(batch, key_steps, embed)}
        forward = lambda x, key: mha(x, key, key, key_padding_mask=kpm, need_weights=False)[0]
    params = {"embed": embed, "heads": heads, "causal": causal, "lengths": lengths}
    return module_case(name, mha, inputs, forward, params)


def safe_attention_case():
    """
    A batch whose second sequence has no step left (length 0): PyTorch 1.13 gives NaN for all of its outputs. The
    reference is MultiheadAttention's computation by hand with the attention weights of a fully masked query set to 0
    (what scaled_dot_product_attention does since PyTorch 2.5), checked against nn.MultiheadAttention on the first
    sequence.
    """
    embed, heads, steps = 8, 2, 4
    mha = nn.MultiheadAttention(embed, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    lengths = [3, 0]
    kpm = padding_mask(lengths, steps)

    def by_hand(x):
        n, d = x.shape[0], embed // heads
        q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (z.reshape(n, steps, heads, d).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        masked = kpm[:, None, None, :].expand_as(scores)
        empty = masked.all(dim=-1, keepdim=True)
        weights = torch.softmax(scores.masked_fill(masked & ~empty, float("-inf")), dim=-1).masked_fill(masked, 0.0)
        y = (weights @ v).transpose(1, 2).reshape(n, steps, embed)
        return F.linear(y, mha.out_proj.weight, mha.out_proj.bias)

    x = torch.randn(2, steps, embed)
    torch_out = mha(x, x, x, key_padding_mask=kpm, need_weights=False)[0].detach()
    assert torch.isnan(torch_out[1]).all(), "PyTorch 1.13 gives NaN for a sequence whose keys are all masked"
    assert torch.allclose(torch_out[0], by_hand(x)[0].detach(), atol=1e-6)
    params = {"embed": embed, "heads": heads, "causal": False, "lengths": lengths}
    return module_case("mha_fully_masked_sequence", mha, {"x": x}, by_hand, params)


def encoder_case(name, norm_first, activation, causal=False, lengths=None):
    d, heads, ff, steps = 8, 2, 16, 5
    layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first)
    with torch.no_grad():
        for norm in (layer.norm1, layer.norm2):  # not the ones and zeros of initialization
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.normal_()
        layer.self_attn.in_proj_bias.normal_()
        layer.self_attn.out_proj.bias.normal_()
    src_mask = causal_mask(steps) if causal else None
    kpm = padding_mask(lengths, steps) if lengths else None
    params = {"embed": d, "heads": heads, "ff": ff, "activation": activation, "norm_first": norm_first, "causal": causal,
              "lengths": lengths}
    return module_case(name, layer, {"x": torch.randn(2, steps, d) * 2},
                       lambda x: layer(x, src_mask=src_mask, src_key_padding_mask=kpm), params)


def sinusoidal_table(max_len, d):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...), in float64, then rounded to float32."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), torch.arange(0, d, 2, dtype=torch.float64) / d)
    table = torch.zeros(max_len, d, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle)
    return table.to(torch.float32)


class Sinusoidal(nn.Module):
    def __init__(self, d, max_len):
        super().__init__()
        self.register_buffer("table", sinusoidal_table(max_len, d), persistent=False)

    def forward(self, x):
        return x + self.table[: x.shape[1]]


class Learned(nn.Module):
    def __init__(self, d, max_len):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_len, d))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


class MeanPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=1)


def classifier_case():
    """
    The spec {"input": [6], "layers": [embedding 7 × 8, positional_encoding sinusoidal, transformer_encoder_layer heads 2
    ff 16 gelu norm_first, mean_pool, linear 3]} as a PyTorch Sequential: the C# test builds it from the spec and loads
    this state dict by its names ("0.weight", "2.self_attn.in_proj_weight", …).
    """
    model = nn.Sequential(
        nn.Embedding(7, 8), Sinusoidal(8, 512),
        nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
        MeanPool(), nn.Linear(8, 3))
    ids = torch.tensor([[1, 5, 0, 6, 2, 2], [3, 3, 4, 0, 1, 6]])
    case = module_case("classifier", model, {}, lambda: model(ids), {"ids": ids.tolist()})
    return case


def gen_attention():
    torch.manual_seed(SEED)
    cases = [
        mha_case("mha", 8, 2, 2, 5),
        mha_case("mha_causal", 8, 2, 2, 5, causal=True),
        mha_case("mha_padding", 8, 2, 3, 5, lengths=[5, 2, 4]),
        mha_case("mha_causal_padding", 8, 2, 2, 5, causal=True, lengths=[3, 5]),
        mha_case("mha_wide", 16, 2, 2, 9, lengths=[9, 7]),
        mha_case("mha_one_head", 6, 1, 2, 3),
        mha_case("mha_cross_padding", 8, 2, 2, 3, lengths=[4, 2], key_steps=4),
        safe_attention_case(),
        encoder_case("encoder_post_relu", False, "relu"),
        encoder_case("encoder_post_gelu", False, "gelu"),
        encoder_case("encoder_pre_relu", True, "relu"),
        encoder_case("encoder_pre_gelu", True, "gelu"),
        encoder_case("encoder_post_relu_causal", False, "relu", causal=True),
        encoder_case("encoder_pre_gelu_causal_padding", True, "gelu", causal=True, lengths=[5, 3]),
        encoder_case("encoder_post_gelu_padding", False, "gelu", lengths=[2, 5]),
    ]
    sinusoidal, learned = Sinusoidal(6, 7), Learned(6, 7)
    cases.append(module_case("positional_sinusoidal", sinusoidal, {"x": torch.randn(2, 5, 6)}, sinusoidal,
                             {"embed": 6, "max_len": 7, "table": t(sinusoidal.table)}))
    cases.append(module_case("positional_learned", learned, {"x": torch.randn(2, 5, 6)}, learned, {"embed": 6, "max_len": 7}))
    cases.append(classifier_case())
    write("attention.json", {**header(SEED), "cases": cases})


if __name__ == "__main__":
    gen_attention()
