#!/usr/bin/python3
"""examples/fashion-vae.json written in PyTorch: the same model, data, loss and training, for the README's comparison.

    OMP_NUM_THREADS=2 /usr/bin/python3 bench/reference/fashion_vae.py [--epochs 10] [--seed 1]

Kingma & Welling's VAE as in PyTorch's examples/vae/main.py (fc1 784-400, fc21 and fc22 400-2, fc3 2-400, fc4 400-784),
with a 2-D code as examples/fashion-vae.json has: Fashion-MNIST from Debian's dataset-fashion-mnist, pixels / 255 (the
spec's "minmax_global" scaling gives the same), Adam lr 0.001, batches of 128 shuffled every epoch, 10 epochs. The loss is
binary cross-entropy on logits summed over each image's pixels plus the KL divergence, averaged over the batch (the
example sums over the batch instead; with Adam the steps are the same up to its epsilon). The test negative ELBO is the
per-image mean of that loss over the 10,000 test images with a sampled z, as the example's test() computes it and as
Neurite's held-out loss of a VAE is. Prints one JSON line per epoch and a last one with the test figure and the time.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def images(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=16).astype(np.float32).reshape(-1, 784) / 255.0)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 2)
        self.fc22 = nn.Linear(400, 2)
        self.fc3 = nn.Linear(2, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def loss_function(logits, x, mu, logvar):
    """The negative ELBO of each image, averaged over the batch."""
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (reconstruction + kl) / x.shape[0]


def negative_elbo(model, x):
    logits, mu, logvar = model(x)
    return loss_function(logits, x, mu, logvar)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    train, test = images("train-images-idx3-ubyte.gz"), images("t10k-images-idx3-ubyte.gz")
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(train)).split(128):
            x = train[batch]
            optimizer.zero_grad()
            loss = negative_elbo(model, x)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train), "seconds": round(time.time() - start, 1)}), flush=True)
    model.eval()
    with torch.no_grad():
        total = sum(negative_elbo(model, x).item() * len(x) for x in test.split(512))
    print(json.dumps({"test_negative_elbo": total / len(test), "seconds": round(time.time() - start, 1),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
