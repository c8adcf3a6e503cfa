"""PyTorch side of `Neurite.Bench transformer`: the same workload as bench/Neurite.Bench/TransformerBench.cs, line for line.

Usage: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive env -u OPENBLAS_CORETYPE \
       /usr/bin/python3 bench/reference/transformer.py [--threads 2] [--batch 32] [--steps 64] [--model 128] [--heads 4]
       [--ff 512] [--dropout 0.1] [--reps 5] [--iterations 10] [--json]
Prints one line with the steps and samples per second (the median of the repetitions); with --json, one JSON object
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
    for name, default in [("threads", 2), ("batch", 32), ("steps", 64), ("model", 128), ("heads", 4), ("ff", 512),
                          ("reps", 5), ("iterations", 10)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    layer = nn.TransformerEncoderLayer(a.model, a.heads, a.ff, a.dropout, batch_first=True)
    head = nn.Linear(a.model, CLASSES)
    optimizer = torch.optim.Adam([*layer.parameters(), *head.parameters()])
    x = torch.randn(a.batch, a.steps, a.model)
    classes = torch.arange(a.batch) % CLASSES

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(head(layer(x).mean(dim=1)), classes)
        loss.backward()
        optimizer.step()

    for _ in range(2 * a.iterations):
        step()
    rates = []
    for _ in range(a.reps):
        start = time.perf_counter()
        for _ in range(a.iterations):
            step()
        rates.append(a.iterations / (time.perf_counter() - start))
    if a.json:
        print(json.dumps({"framework": f"PyTorch {torch.__version__}", "threads": a.threads, "metrics": {"transformer_train_samples_per_s": [rate * a.batch for rate in rates]}}))
        return
    rates.sort()
    median = rates[len(rates) // 2]
    print(f"torch {torch.__version__} transformer: d_model {a.model}, {a.heads} heads, ff {a.ff}, dropout {a.dropout}, "
          f"T {a.steps}, batch {a.batch}, {a.threads} threads: {median:.1f} steps/s, {median * a.batch:.0f} samples/s "
          f"(median of {a.reps} x {a.iterations} steps)")


if __name__ == "__main__":
    main()
