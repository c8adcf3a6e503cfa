"""PyTorch side of `bench/run.sh mlp`: the same workloads as bench/Neurite.Bench/MlpWorker.cs, line for line.

Usage: mlp.py --threads N --reps R. Prints one JSON object {"framework", "threads", "metrics": {name: [values]}}.
The caller sets OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (read when torch loads), unsets OPENBLAS_CORETYPE and sets
OMP_WAIT_POLICY=passive; this script also calls torch.set_num_threads. Each run is its own process, so its peak
RSS is PyTorch's alone.

PyTorch gets its fastest idiomatic input path: the data set lives in one float32 tensor and each batch is an index
into it (torch.utils.data.DataLoader with a TensorDataset collates sample by sample and is several times slower).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"
BATCH = 128
LATENCY_CALLS = 2000


def read_idx(name, offset):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(kind):
    images = read_idx(f"{kind}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = read_idx(f"{kind}-labels-idx1-ubyte.gz", 8)
    # Scaled from 0 ... 255 to [0, 1], as Neurite's MinMaxScale over all values.
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def epoch(model, optimizer, x, y, generator):
    """One epoch of the loop every tutorial writes, over a shuffled order."""
    order = torch.randperm(len(x), generator=generator)
    loss_fn = nn.functional.cross_entropy
    for start in range(0, len(x), BATCH):
        index = order[start:start + BATCH]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        optimizer.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    model.train()
    return correct / len(x)


def train(model, optimizer, x, y, tx, ty, reps, metrics, name):
    generator = torch.Generator().manual_seed(7)
    start = time.perf_counter()
    epoch(model, optimizer, x, y, generator)  # warm-up
    for _ in range(reps):
        epoch_start = time.perf_counter()
        epoch(model, optimizer, x, y, generator)
        metrics.setdefault(f"{name}_train_samples_per_s", []).append(len(x) / (time.perf_counter() - epoch_start))
    seconds = time.perf_counter() - start
    metrics[f"{name}_test_accuracy_percent"] = [100 * accuracy(model, tx, ty)]
    return seconds


def latency(model, singles):
    micros = []
    for x in singles:
        start = time.perf_counter_ns()
        model(x)
        micros.append((time.perf_counter_ns() - start) / 1000)
    return float(np.median(micros))


def throughput(model, batches, seconds):
    samples = 0
    start = time.perf_counter()
    while True:
        for x in batches:
            model(x)
            samples += len(x)
        if time.perf_counter() - start >= seconds:
            return samples / (time.perf_counter() - start)


def playground(reps, metrics):
    """2-8-8-1, tanh, batch 10, MSE, SGD lr 0.03 on 500 points of two noisy concentric circles; steps/s."""
    rng = np.random.default_rng(3)
    angle = rng.uniform(0, 2 * np.pi, 500)
    radius = np.where(np.arange(500) % 2 == 0, 1.0, 0.5)
    x = torch.tensor(np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1) + rng.normal(0, 0.1, (500, 2)),
                     dtype=torch.float32)
    y = torch.tensor((np.arange(500) % 2).reshape(-1, 1), dtype=torch.float32)
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    generator = torch.Generator().manual_seed(11)
    loss_fn = nn.functional.mse_loss

    def steps(seconds):
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            order = torch.randperm(len(x), generator=generator)
            for begin in range(0, len(x), 10):
                index = order[begin:begin + 10]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(x[index]), y[index])
                loss.backward()
                optimizer.step()
                count += 1
        return count

    steps(0.5)  # warm-up
    for _ in range(reps):
        start = time.perf_counter()
        count = steps(0.5)
        metrics.setdefault("playground_steps_per_s", []).append(count / (time.perf_counter() - start))


def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    metrics = {}

    x, y = load("train")
    tx, ty = load("t10k")

    # Warm-up on throwaway models, two epochs with each optimizer, as the Neurite side does for its JIT.
    for make in (lambda m: torch.optim.Adam(m.parameters(), lr=1e-3),
                 lambda m: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)):
        model = mlp(2)
        warmup, generator = make(model), torch.Generator().manual_seed(3)
        for _ in range(2):
            epoch(model, warmup, x, y, generator)

    adam_model = mlp(1)
    train(adam_model, torch.optim.Adam(adam_model.parameters(), lr=1e-3), x, y, tx, ty, args.reps, metrics, "adam")
    sgd_model = mlp(1)
    train(sgd_model, torch.optim.SGD(sgd_model.parameters(), lr=0.01, momentum=0.9), x, y, tx, ty, args.reps, metrics, "sgd")

    adam_model.eval()
    with torch.no_grad():
        singles = [tx[i:i + 1].clone() for i in range(LATENCY_CALLS)]
        batches = [tx[i:i + BATCH].clone() for i in range(0, len(tx), BATCH)]
        latency(adam_model, singles)  # warm-up
        throughput(adam_model, batches, 0.2)
        metrics["infer1_latency_us"] = [latency(adam_model, singles) for _ in range(args.reps)]
        metrics["infer128_samples_per_s"] = [throughput(adam_model, batches, 0.25) for _ in range(args.reps)]

    if args.threads == 1:
        playground(args.reps, metrics)

    metrics["peak_rss_mb"] = [peak_rss_mb()]
    print(json.dumps({"framework": f"PyTorch {torch.__version__}", "threads": args.threads, "metrics": metrics}))


if __name__ == "__main__":
    main()
