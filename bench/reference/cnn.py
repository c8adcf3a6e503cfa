"""PyTorch side of `Neurite.Bench cnn`: the same nets and workloads as bench/Neurite.Bench/CnnBench.cs.

Usage: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive env -u OPENBLAS_CORETYPE \
       /usr/bin/python3 bench/reference/cnn.py [--net lenet|vgg] [--threads 2] [--batch 128] [--reps 5] [--iterations 10]
       [--json]
Adam training steps on random 1x28x28 images (samples/s), inference at batch 1 (median us) and at the batch size
(samples/s), and each convolution's GFLOP/s, forward alone and forward + backward, on the input it gets in the net.
With --json, one JSON object {"framework", "threads", "metrics": {key: [one value per repetition]}}.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

CLASSES = 10
LATENCY_CALLS = 400


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def vgg():
    def block(inputs, outputs):
        return [nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU()]
    return nn.Sequential(
        *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--net", choices=["lenet", "vgg"], default="lenet")
    for name, default in [("threads", 2), ("batch", 128), ("reps", 5), ("iterations", 10)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = {"lenet": lenet, "vgg": vgg}[a.net]()
    x = torch.randn(a.batch, 1, 28, 28)
    classes = torch.arange(a.batch) % CLASSES
    metrics = {}

    def add(key, value):
        metrics.setdefault(key, []).append(value)

    optimizer = torch.optim.Adam(model.parameters())

    def step():
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), classes).backward()
        optimizer.step()

    for _ in range(2 * a.iterations):
        step()
    for _ in range(a.reps):
        start = time.perf_counter()
        for _ in range(a.iterations):
            step()
        add(f"{a.net}_train_samples_per_s", a.batch * a.iterations / (time.perf_counter() - start))

    model.eval()
    with torch.no_grad():
        singles = [torch.randn(1, 1, 28, 28) for _ in range(LATENCY_CALLS)]

        def latency():
            micros = []
            for single in singles:
                start = time.perf_counter()
                model(single)
                micros.append((time.perf_counter() - start) * 1e6)
            return statistics.median_low(micros)

        latency()
        for _ in range(a.reps):
            add(f"{a.net}_infer1_latency_us", latency())
        model(x)
        for _ in range(a.reps):
            start = time.perf_counter()
            for _ in range(a.iterations):
                model(x)
            add(f"{a.net}_infer128_samples_per_s", a.batch * a.iterations / (time.perf_counter() - start))

    convolution_rates(a, model, x, add)

    if a.json:
        print(json.dumps({"framework": f"PyTorch {torch.__version__}", "threads": a.threads, "metrics": metrics}))
    else:
        for key, values in metrics.items():
            print(f"{key}: {statistics.median_low(values):.4g} (median of {len(values)})")


def convolution_rates(a, model, x, add):
    """Each convolution's GFLOP/s on the input the layers before it give (2 FLOPs per multiply-accumulate)."""
    convolutions = 0
    for index, layer in enumerate(model):
        if isinstance(layer, nn.Conv2d):
            convolutions += 1
            with torch.no_grad():
                output = layer(x)
            macs = output.numel() * layer.in_channels // layer.groups * layer.kernel_size[0] * layer.kernel_size[1]
            forward_flops = 2.0 * macs
            train_flops = forward_flops * (2 if index == 0 else 3)
            inputs = x.detach().requires_grad_(index > 0)
            gradient = torch.ones_like(output)

            def forward():
                with torch.no_grad():
                    layer(inputs)

            def train():
                layer.zero_grad(set_to_none=True)
                inputs.grad = None
                layer(inputs).backward(gradient)

            for run, flops, kind in [(forward, forward_flops, "forward"), (train, train_flops, "train")]:
                run()
                for _ in range(a.reps):
                    start = time.perf_counter()
                    for _ in range(a.iterations):
                        run()
                    add(f"{a.net}_conv{convolutions}_{kind}_gflops", flops * a.iterations / (time.perf_counter() - start) / 1e9)
        with torch.no_grad():
            layer.eval()
            x = layer(x)


if __name__ == "__main__":
    main()
