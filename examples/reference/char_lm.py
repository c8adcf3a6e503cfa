"""PyTorch side of examples/kjv-lstm.json and examples/kjv-transformer.json: the same character-level language models,
data and training, for the same wall time.

Usage: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=passive env -u OPENBLAS_CORETYPE \
       /usr/bin/python3 examples/reference/char_lm.py [--model lstm|transformer] [--text examples/data/kjv.txt] [--seconds 600]

As Neurite's text:PATH,seq=64 source: the vocabulary is the text's distinct characters sorted by code point, the last
10 % of the characters is the test set, and each part is cut into non-overlapping windows of 64 characters whose targets
are the next characters. As kjv-lstm.json: Embedding(V, 64), a 2-layer LSTM of 256 units (batch first), Linear(256, V),
Adam (lr 0.002). As kjv-transformer.json: Embedding(V, 128) plus a learned positional embedding (64 × 128, N(0, 1) as
nn.Embedding), four pre-norm causal TransformerEncoderLayers (4 heads, ff 512, GELU, no dropout), a final LayerNorm,
Linear(128, V), Adam (lr 0.001). Both: cross-entropy over every step, gradients clipped to norm 1, batches of 32
shuffled every epoch, the test set evaluated after each epoch; training stops before the first step after --seconds. Prints the test loss and bits per
character as one JSON line.
"""
import argparse
import json
import math
import time

import torch
from torch import nn

SEQ, BATCH, CLIP = 64, 32, 1.0


def windows(ids):
    count = (len(ids) - 1) // SEQ
    x = ids[: count * SEQ].view(count, SEQ)
    y = ids[1 : count * SEQ + 1].view(count, SEQ)
    return x, y


class CharLSTM(nn.Module):
    LR = 0.002

    def __init__(self, vocabulary):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, 64)
        self.lstm = nn.LSTM(64, 256, 2, batch_first=True)
        self.linear = nn.Linear(256, vocabulary)

    def forward(self, x):
        return self.linear(self.lstm(self.embedding(x))[0])


class CharTransformer(nn.Module):
    LR = 0.001
    DIM, HEADS, FF, LAYERS = 128, 4, 512, 4

    def __init__(self, vocabulary):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, self.DIM)
        self.position = nn.Embedding(SEQ, self.DIM)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(self.DIM, self.HEADS, self.FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(self.LAYERS))
        self.norm = nn.LayerNorm(self.DIM)
        self.linear = nn.Linear(self.DIM, vocabulary)
        self.register_buffer("causal", torch.triu(torch.full((SEQ, SEQ), float("-inf")), diagonal=1))

    def forward(self, x):
        steps = x.shape[1]
        h = self.embedding(x) + self.position.weight[:steps]
        for layer in self.layers:
            h = layer(h, src_mask=self.causal[:steps, :steps])
        return self.linear(self.norm(h))


def evaluate(model, x, y):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), 512):
            logits = model(x[start : start + 512])
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[start : start + 512].reshape(-1), reduction="sum").item()
    model.train()
    return total / y.numel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["lstm", "transformer"], default="lstm")
    parser.add_argument("--text", default="examples/data/kjv.txt")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    text = open(a.text, encoding="utf-8").read()
    vocabulary = sorted(set(text))
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    test_length = round(len(ids) * 0.1)
    train_x, train_y = windows(ids[: len(ids) - test_length])
    test_x, test_y = windows(ids[len(ids) - test_length :])

    model = (CharLSTM if a.model == "lstm" else CharTransformer)(len(vocabulary))
    optimizer = torch.optim.Adam(model.parameters(), lr=model.LR)
    start = time.perf_counter()
    steps, epochs, out_of_time = 0, 0, False
    while not out_of_time:
        order = torch.randperm(len(train_x))
        for first in range(0, len(order), BATCH):
            if time.perf_counter() - start >= a.seconds:
                out_of_time = True
                break
            batch = order[first : first + BATCH]
            optimizer.zero_grad(set_to_none=True)
            logits = model(train_x[batch])
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), train_y[batch].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            steps += 1
        else:
            epochs += 1
            print(f"epoch {epochs}: test bits per char {evaluate(model, test_x, test_y) / math.log(2):.4f}", flush=True)
    trained = time.perf_counter() - start
    test_loss = evaluate(model, test_x, test_y)
    print(json.dumps({"torch": torch.__version__, "model": a.model, "parameters": sum(p.numel() for p in model.parameters()), "threads": a.threads, "seconds": round(trained, 1), "steps": steps,
                      "samples_per_second": round(steps * BATCH / trained, 1), "test_loss": round(test_loss, 4),
                      "test_bits_per_char": round(test_loss / math.log(2), 4)}))


if __name__ == "__main__":
    main()
