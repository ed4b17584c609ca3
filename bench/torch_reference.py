"""PyTorch reference for `npm run bench -- torch`: the shipped models, written as a PyTorch user
would write them, trained on the batches attnlab exported (same rows, same padding), so that the
two figures differ only by the framework.

    /usr/bin/python3 bench/torch_reference.py BATCHES_FILE MODEL [THREADS]

BATCHES_FILE (little-endian, written by bench/torch.ts):
    int32 count, vocab, dim; float32 vectors[vocab * dim];
    then per batch: int32 size, time; int32 labels[size], lengths[size], ids[size * time].
Prints one JSON object: seconds summed over the batches per phase, and the thread count.
The first batch runs once more before timing starts (warm-up), as attnlab's side does.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

HIDDEN = 64
MLP_HIDDEN = 256
ENTROPY_WEIGHT = 0.05
CLIP_NORM = 5.0
LR = 1e-3


def read_batches(path):
    raw = open(path, "rb").read()
    count, vocab, dim = np.frombuffer(raw, dtype="<i4", count=3)
    offset = 12
    vectors = np.frombuffer(raw, dtype="<f4", count=vocab * dim, offset=offset).reshape(vocab, dim)
    offset += 4 * vocab * dim
    batches = []
    for _ in range(count):
        size, steps = np.frombuffer(raw, dtype="<i4", count=2, offset=offset)
        offset += 8
        ints = np.frombuffer(raw, dtype="<i4", count=2 * size + size * steps, offset=offset)
        offset += 4 * ints.size
        batches.append((ints[:size], ints[size:2 * size], ints[2 * size:].reshape(size, steps)))
    return torch.from_numpy(vectors.copy()), batches


def masked_softmax(scores, mask):
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)


class Classifier(nn.Module):
    """embeddings (frozen) → encoder → attention over the states → pooled value → linear head."""

    def __init__(self, vectors, kind):
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding.from_pretrained(vectors, freeze=True, padding_idx=0)
        dim = vectors.shape[1]
        cell, _, direction = kind.partition("-")
        self.encoder = None
        if cell in ("lstm", "gru"):
            recurrent = nn.LSTM if cell == "lstm" else nn.GRU
            self.encoder = recurrent(dim, HIDDEN, batch_first=True, bidirectional=direction == "bi")
            dim = HIDDEN * (2 if direction == "bi" else 1)
        self.query = nn.Parameter(torch.randn(dim) / dim ** 0.5)
        self.text_query = nn.Linear(dim, dim) if kind.startswith("q3") else None
        self.value = {
            "q3-linear": lambda: nn.Sequential(nn.Linear(dim, dim), nn.Tanh()),
            "q3-mlp": lambda: nn.Sequential(nn.Linear(dim, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, dim)),
        }.get(kind, lambda: None)()
        self.head = nn.Linear(dim, 2)

    def encode(self, ids, lengths):
        x = self.embed(ids)
        if self.encoder is None:
            return x
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        states, _ = self.encoder(packed)
        return nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=ids.shape[1])[0]

    def forward(self, ids, lengths, mask):
        h = self.encode(ids, lengths)
        uniform = mask.float() / lengths.unsqueeze(1).float()
        if self.kind == "q1":
            attention = uniform
        else:
            query = self.query.expand(h.shape[0], -1)
            if self.text_query is not None:
                query = self.text_query(torch.bmm(uniform.unsqueeze(1), h).squeeze(1))
            attention = masked_softmax(torch.bmm(h, query.unsqueeze(2)).squeeze(2), mask)
        values = h if self.value is None else self.value(h)
        return self.head(torch.bmm(attention.unsqueeze(1), values).squeeze(1)), attention


def train(vectors, batches, kind):
    torch.manual_seed(0)
    model = Classifier(vectors, kind)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LR)
    phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    for step, (labels, lengths, ids) in enumerate([batches[0], *batches]):
        start = time.perf_counter()
        ids_t = torch.from_numpy(ids.astype(np.int64))
        lengths_t = torch.from_numpy(lengths.astype(np.int64))
        labels_t = torch.from_numpy(labels.astype(np.int64))
        mask = torch.arange(ids_t.shape[1]).unsqueeze(0) < lengths_t.unsqueeze(1)
        loaded = time.perf_counter()
        logits, attention = model(ids_t, lengths_t, mask)
        loss = nn.functional.cross_entropy(logits, labels_t)
        if kind == "q5":
            entropy = -(attention * torch.log(attention + 1e-12)).sum(1).mean()
            loss = loss + ENTROPY_WEIGHT * entropy
        loss_value = loss.item()
        forwarded = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        backwarded = time.perf_counter()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        optimizer.step()
        done = time.perf_counter()
        if step == 0:
            continue
        phases["data"] += loaded - start
        phases["forward"] += forwarded - loaded
        phases["backward"] += backwarded - forwarded
        phases["optimizer"] += done - backwarded
    return phases, loss_value


def main():
    path, kind = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    vectors, batches = read_batches(path)
    phases, loss = train(vectors, batches, kind)
    print(json.dumps({"phases": phases, "threads": torch.get_num_threads(), "batches": len(batches), "lastLoss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
