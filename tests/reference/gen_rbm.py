#!/usr/bin/python3
"""Writes rbm.json: one CD-k update of a small restricted Boltzmann machine computed by PyTorch, with fixed uniform draws.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_rbm.py

The RBM is the common PyTorch one (odie2630/RBM-pytorch): W [hidden, visible], v_bias, h_bias, p(h|v) = sigmoid(F.linear(v,
W, h_bias)), p(v|h) = sigmoid(F.linear(h, W.t(), v_bias)), a unit is 1 where a uniform draw u < p (torch.bernoulli), and
the loss mean F(v0) - mean F(v_k) with F(v) = -v.v_bias - sum softplus(F.linear(v, W, h_bias)) and v_k detached. Its
gradient is the CD-k update; one SGD step (lr 0.1, momentum 0.5, the first step of which is plain SGD) follows. Neurite
names the parameters weight, visible_bias and hidden_bias. Each case records the weights, the batch v0 (binary), the
draws of each Gibbs step (u_h [B, hidden] then u_v [B, visible]), v_k, the free energies, the loss, the gradients, the
weights after the step and the mean-field reconstruction error mean (sigmoid(sigmoid(v0 W^T + c) W + b) - v0)^2.
"""

import torch
import torch.nn.functional as F

from gen_reference import header, t, write

SEED = 20241201 + 1313
LR, MOMENTUM = 0.1, 0.5


def free_energy(v, W, v_bias, h_bias):
    return -(v @ v_bias) - F.softplus(F.linear(v, W, h_bias)).sum(1)


def rbm_case(name, visible, hidden, batch, k):
    W = (torch.randn(hidden, visible) * 0.5).requires_grad_()
    v_bias = (torch.randn(visible) * 0.1).requires_grad_()
    h_bias = (torch.randn(hidden) * 0.1).requires_grad_()
    weights = {"weight": t(W), "visible_bias": t(v_bias), "hidden_bias": t(h_bias)}
    v0 = (torch.rand(batch, visible) < 0.5).float()
    draws = []
    with torch.no_grad():
        v = v0
        for _ in range(k):
            u_h, u_v = torch.rand(batch, hidden), torch.rand(batch, visible)
            h = (u_h < torch.sigmoid(F.linear(v, W, h_bias))).float()
            v = (u_v < torch.sigmoid(F.linear(h, W.t(), v_bias))).float()
            draws.append({"hidden": t(u_h), "visible": t(u_v)})
        vk = v
        reconstruction = torch.sigmoid(F.linear(torch.sigmoid(F.linear(v0, W, h_bias)), W.t(), v_bias))
        reconstruction_error = F.mse_loss(reconstruction, v0)
    f0, fk = free_energy(v0, W, v_bias, h_bias), free_energy(vk, W, v_bias, h_bias)
    loss = f0.mean() - fk.mean()
    loss.backward()
    grads = {"weight": t(W.grad), "visible_bias": t(v_bias.grad), "hidden_bias": t(h_bias.grad)}
    optimizer = torch.optim.SGD([W, v_bias, h_bias], lr=LR, momentum=MOMENTUM)
    optimizer.step()
    return {
        "name": name,
        "k": k,
        "weights": weights,
        "v0": t(v0),
        "draws": draws,
        "vk": t(vk),
        "free_energy_v0": t(f0.detach()),
        "free_energy_vk": t(fk.detach()),
        "loss": loss.item(),
        "grads": grads,
        "updated": {"weight": t(W.detach()), "visible_bias": t(v_bias.detach()), "hidden_bias": t(h_bias.detach())},
        "reconstruction_error": reconstruction_error.item(),
    }


def main():
    torch.manual_seed(SEED)
    payload = header(SEED)
    payload["lr"] = LR
    payload["momentum"] = MOMENTUM
    payload["cases"] = [rbm_case("cd1", 6, 4, 5, 1), rbm_case("cd3", 7, 3, 4, 3)]
    write("rbm.json", payload)


if __name__ == "__main__":
    main()
