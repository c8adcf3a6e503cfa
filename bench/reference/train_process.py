"""PyTorch side of `bench/run.sh process`: what `neurite train bench/process/fashion-mlp.json` does, as the plain script
a PyTorch user writes: read Fashion-MNIST's gzip IDX files, scale to [0, 1], train the 784-256-128-10 ReLU MLP for 5
epochs with Adam (lr 0.001, batches of 128, shuffled), evaluate on the test set, and save the weights (written to a
temporary file, then renamed, as Neurite writes its files). Timed from the start of the process to its exit by
bench/reference/whole_process.py.

Usage: train_process.py --out MODEL.pt
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name, offset):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(kind):
    images = read_idx(f"{kind}-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    labels = read_idx(f"{kind}-labels-idx1-ubyte.gz", 8)
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    a = parser.parse_args()
    torch.manual_seed(1)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    start = time.perf_counter()
    for epoch in range(5):
        order = torch.randperm(len(train_x))
        total = 0.0
        for first in range(0, len(order), 128):
            index = order[first:first + 128]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        print(f"epoch {epoch + 1}: train loss {total / len(order):.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        correct = (model(test_x).argmax(1) == test_y).sum().item()
    print(f"test accuracy {correct / len(test_x):.4f}; {5 * len(train_x) / (time.perf_counter() - start):.0f} samples/s")
    temporary = a.out + ".tmp"
    torch.save(model.state_dict(), temporary)
    os.replace(temporary, a.out)


if __name__ == "__main__":
    main()
