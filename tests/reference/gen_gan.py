#!/usr/bin/python3
"""Writes gan.json: two adversarial steps of a small conditional DCGAN computed by PyTorch, at fixed weights and noise.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_gan.py

The pair is PyTorch's examples/dcgan/main.py scaled down to 8x8 one-channel images, a 4-value code z and 3 classes, made
conditional as Neurite's "gan" with "classes" is (Mirza & Osindero): the one-hot label is concatenated to z for the
generator and as 3 constant planes to the image's channels for the discriminator.

- generator: z (+) one-hot y [7] -> unflatten [7, 1, 1] -> conv_transpose2d(8, k4, s1) -> batch_norm -> relu
  -> conv_transpose2d(1, k4, s2, p1) -> tanh: [1, 8, 8]
- discriminator: image (+) planes [4, 8, 8] -> conv2d(8, k4, s2, p1) -> leaky_relu(0.2) -> conv2d(1, k4) -> flatten: [1]

Each step is the example's: fake = G(z, y) once; the discriminator's step on BCEWithLogits(D(x, y), 1) +
BCEWithLogits(D(fake.detach(), y), 0) (optimizerD.zero_grad() first); then the generator's step on the non-saturating
BCEWithLogits(D(fake, y), 1), which also accumulates into the discriminator's gradients, as in the example. Both
optimizers are Adam with betas (0.5, 0.999); lr 2e-3 (ten times DCGAN's, so that the steps move the weights visibly).
Two steps are taken, so that the second Adam update depends on the gradients' sizes, not only their signs.

Recorded: the initial state dict (names "generator.*" and "discriminator.*", as Neurite's Gan module names them), and
per step z, the labels, the real batch, the fake batch, both losses, the mean sigmoid outputs D(x) and D(G(z)) (before
D's update), every parameter's gradient after the step, and the state dict after the step.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_reference import header, t, write

SEED = 20241201 + 1313
LATENT, CLASSES, SIDE, BATCH, LR = 4, 3, 8, 4, 2e-3


def generator():
    return nn.Sequential(
        nn.Unflatten(1, (LATENT + CLASSES, 1, 1)),
        nn.ConvTranspose2d(LATENT + CLASSES, 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False),
        nn.Tanh(),
    )


def discriminator():
    return nn.Sequential(
        nn.Conv2d(1 + CLASSES, 8, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2),
        nn.Conv2d(8, 1, 4, 1, 0),
        nn.Flatten(),
    )


def state(g, d):
    out = {f"generator.{k}": t(v) for k, v in g.state_dict().items()}
    out.update({f"discriminator.{k}": t(v) for k, v in d.state_dict().items()})
    return out


def grads(g, d):
    out = {f"generator.{k}": t(p.grad) for k, p in g.named_parameters()}
    out.update({f"discriminator.{k}": t(p.grad) for k, p in d.named_parameters()})
    return out


def main():
    torch.manual_seed(SEED)
    g, d = generator(), discriminator()
    # DCGAN's normal initialization, ten times wider for the convolutions (std 0.2), so that this small pair's outputs
    # are not all near zero; N(1, 0.02) for batch norm's scale and a non-zero shift.
    for m in list(g.modules()) + list(d.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.normal_(m.bias, 0.0, 0.1)
    opt_g = torch.optim.Adam(g.parameters(), lr=LR, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=LR, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()
    payload = header(SEED)
    payload["latent"], payload["classes"], payload["lr"] = LATENT, CLASSES, LR
    payload["initial"] = state(g, d)
    steps = []
    for _ in range(2):
        z = torch.randn(BATCH, LATENT)
        labels = torch.randint(0, CLASSES, (BATCH,))
        real = torch.rand(BATCH, 1, SIDE, SIDE) * 2 - 1
        onehot = F.one_hot(labels, CLASSES).float()

        def d_input(images):
            return torch.cat([images, onehot[:, :, None, None].expand(-1, -1, SIDE, SIDE)], 1)

        ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
        fake = g(torch.cat([z, onehot], 1))
        opt_d.zero_grad()
        real_logits = d(d_input(real))
        fake_logits = d(d_input(fake.detach()))
        loss_d = criterion(real_logits, ones) + criterion(fake_logits, zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = criterion(d(d_input(fake)), ones)
        loss_g.backward()
        opt_g.step()
        steps.append({
            "z": t(z),
            "labels": [int(y) for y in labels],
            "real": t(real),
            "fake": t(fake),
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
            "grads": grads(g, d),
            "after": state(g, d),
        })
    payload["steps"] = steps
    write("gan.json", payload)


if __name__ == "__main__":
    main()
