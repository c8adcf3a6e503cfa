#!/usr/bin/python3
"""Writes vae.json: a small variational autoencoder's loss and gradients computed by PyTorch, at fixed weights and noise.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_vae.py

The model is Kingma & Welling's VAE as in PyTorch's examples/vae/main.py (fc1, fc21, fc22, fc3, fc4), scaled down to
6 inputs, 5 hidden units and a 2-D code, on a batch of 3 inputs in [0, 1]. The loss is their reconstruction term, binary
cross-entropy on logits summed over each sample's values, plus the KL divergence of N(mu, sigma^2) from N(0, I), both
averaged over the batch (the example sums over the batch; averaging divides everything by 3). Two cases:

- "sampled": z = mu + exp(logvar / 2) * eps with the given eps (training);
- "mean": z = mu (Neurite's evaluation mode), which also checks that the KL term joins the loss.

Each case records the weights, the inputs, eps, mu, logvar, z, the logits, both terms, the loss and every weight's gradient.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_reference import header, t, write

SEED = 20241201 + 13


class VAE(nn.Module):
    def __init__(self, inputs, hidden, code):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc21 = nn.Linear(hidden, code)
        self.fc22 = nn.Linear(hidden, code)
        self.fc3 = nn.Linear(code, hidden)
        self.fc4 = nn.Linear(hidden, inputs)

    def forward(self, x, eps):
        h1 = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu if eps is None else mu + torch.exp(0.5 * logvar) * eps
        return self.fc4(F.relu(self.fc3(z))), mu, logvar, z


def vae_case(name, model, x, eps):
    model.zero_grad()
    logits, mu, logvar, z = model(x, eps)
    batch = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / batch
    loss = reconstruction + kl
    loss.backward()
    return {
        "name": name,
        "weights": {k: t(v) for k, v in model.state_dict().items()},
        "x": t(x),
        "eps": t(eps) if eps is not None else None,
        "mu": t(mu),
        "logvar": t(logvar),
        "z": t(z),
        "logits": t(logits),
        "reconstruction": reconstruction.item(),
        "kl": kl.item(),
        "loss": loss.item(),
        "grads": {k: t(p.grad) for k, p in model.named_parameters()},
    }


def main():
    torch.manual_seed(SEED)
    model = VAE(6, 5, 2)
    x = torch.rand(3, 6)
    eps = torch.randn(3, 2)
    payload = header(SEED)
    payload["cases"] = [vae_case("sampled", model, x, eps), vae_case("mean", model, x, None)]
    write("vae.json", payload)


if __name__ == "__main__":
    main()
