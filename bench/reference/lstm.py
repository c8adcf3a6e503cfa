"""PyTorch side of `Neurite.Bench lstm`: the same workload as bench/Neurite.Bench/LstmBench.cs, line for line.

Usage: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive env -u OPENBLAS_CORETYPE \
       /usr/bin/python3 bench/reference/lstm.py [--threads 2] [--batch 64] [--steps 32] [--features 32] [--hidden 128]
       [--layers 2] [--reps 5] [--iterations 20] [--json]
Prints one line with the samples per second (the median of the repetitions); with --json, one JSON object
{"framework", "threads", "metrics": {key: [one value per repetition]}}, as `Neurite.Bench models` reads it.
"""
import argparse
import json
import time

import torch
from torch import nn

CLASSES = 10


def main():
    parser = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("batch", 64), ("steps", 32), ("features", 32), ("hidden", 128), ("layers", 2),
                          ("reps", 5), ("iterations", 20)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    lstm = nn.LSTM(a.features, a.hidden, a.layers, batch_first=True)
    head = nn.Linear(a.hidden, CLASSES)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()])
    x = torch.randn(a.batch, a.steps, a.features)
    classes = torch.arange(a.batch) % CLASSES

    def step():
        optimizer.zero_grad(set_to_none=True)
        _, (h_n, _) = lstm(x)
        loss = nn.functional.cross_entropy(head(h_n[-1]), classes)
        loss.backward()
        optimizer.step()

    for _ in range(2 * a.iterations):
        step()
    rates = []
    for _ in range(a.reps):
        start = time.perf_counter()
        for _ in range(a.iterations):
            step()
        rates.append(a.batch * a.iterations / (time.perf_counter() - start))
    if a.json:
        print(json.dumps({"framework": f"PyTorch {torch.__version__}", "threads": a.threads, "metrics": {"lstm_train_samples_per_s": rates}}))
        return
    rates.sort()
    print(f"torch {torch.__version__} lstm: {a.layers} layers, hidden {a.hidden}, T {a.steps}, batch {a.batch}, "
          f"features {a.features}, {a.threads} threads: {rates[len(rates) // 2]:.0f} samples/s "
          f"(median of {a.reps} x {a.iterations} steps)")


if __name__ == "__main__":
    main()
