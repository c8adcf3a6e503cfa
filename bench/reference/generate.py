"""PyTorch side of `Neurite.Bench generate`: the same character-level LSTM and sampling loop as
bench/Neurite.Bench/GenerateBench.cs.

Usage: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive env -u OPENBLAS_CORETYPE \
       /usr/bin/python3 bench/reference/generate.py [--threads 2] [--vocab 73] [--embedding 64] [--hidden 256] [--layers 2]
       [--prompt 64] [--length 2000] [--reps 3] [--json]
The prompt runs once; then each character is drawn from softmax(logits) (temperature 1) and fed back with the LSTM's
(h, c). Prints one line with the characters per second (the median of the repetitions); with --json, one JSON object
{"framework", "threads", "metrics": {key: [one value per repetition]}}, as `Neurite.Bench models` reads it.
"""
import argparse
import json
import time

import torch
from torch import nn


def main():
    parser = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("vocab", 73), ("embedding", 64), ("hidden", 256), ("layers", 2), ("prompt", 64),
                          ("length", 2000), ("reps", 3)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    embedding = nn.Embedding(a.vocab, a.embedding)
    lstm = nn.LSTM(a.embedding, a.hidden, a.layers, batch_first=True)
    linear = nn.Linear(a.hidden, a.vocab)
    context = torch.tensor([[i * 7 % a.vocab for i in range(a.prompt)]])

    def generate(length, seed):
        generator = torch.Generator().manual_seed(seed)
        written = []
        with torch.no_grad():
            output, state = lstm(embedding(context))
            logits = linear(output[:, -1])
            for _ in range(length):
                next_id = torch.multinomial(torch.softmax(logits[0], 0), 1, generator=generator)
                written.append(int(next_id))
                output, state = lstm(embedding(next_id.view(1, 1)), state)
                logits = linear(output[:, -1])
        return written

    generate(a.length // 4, 1)
    rates = []
    for r in range(a.reps):
        start = time.perf_counter()
        generate(a.length, r)
        rates.append(a.length / (time.perf_counter() - start))
    if a.json:
        print(json.dumps({"framework": f"PyTorch {torch.__version__}", "threads": a.threads, "metrics": {"generate_chars_per_s": rates}}))
        return
    rates.sort()
    print(f"torch {torch.__version__} generate: vocabulary {a.vocab}, embedding {a.embedding}, {a.layers} x LSTM {a.hidden}, "
          f"prompt {a.prompt}, {a.length} characters, {a.threads} threads: {rates[len(rates) // 2]:.0f} characters/s "
          f"(median of {a.reps})")


if __name__ == "__main__":
    main()
