"""PyTorch reference for `npm run bench -- torch`: the shipped models, written as a PyTorch user
would write them, trained on the batches attnlab exported (same rows, same padding), so that the
two figures differ only by the framework.

    /usr/bin/python3 bench/torch_reference.py BATCHES_FILE MODEL [THREADS]
    /usr/bin/python3 bench/torch_reference.py --check

BATCHES_FILE (little-endian, written by bench/torch.ts):
    int32 count, vocab, dim; float32 vectors[vocab * dim];
    then per batch: int32 size, time; int32 labels[size], lengths[size], ids[size * time].
Prints one JSON object: seconds summed over the batches per phase, and the thread count.
The longest batch runs once before timing starts (warm-up: the allocator reaches its largest
sizes), as attnlab's side does.

Recurrent encoders run on the right-padded batch as it is, not on packed sequences. The batches
are bucketed by length, so padding is a few percent of the steps, and in torch 1.13 on CPU the
backward pass of `pack_padded_sequence` + nn.LSTM/GRU is pathologically slow (1.5–2 s per
batch of 64 × 230 against 0.1 s unpacked): a user who buckets would not pack. This is exact:
- forwards, the state at a real position depends only on the tokens before it, so padding
  (which comes after) changes nothing at real positions; the attention gives padding exactly 0,
  so padded states add nothing to the pooled vector and get a zero gradient;
- backwards (bidirectional), each review is reversed within its own length by an index gather,
  so the reverse direction starts at the review's last real token, as packing makes it; its
  states are put back in order by the same gather.
`--check` proves it: in float64 on a small random batch (lengths from 1 to the full width,
non-zero padding vectors), each recurrent model's logits, loss, states at real positions and
every parameter's gradient must equal those of the packed-sequence model sharing its weights
(to 1e-10); it exits 1 otherwise.
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
RECURRENT = ("lstm", "gru", "lstm-bi", "gru-bi")


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


def reversal(lengths, steps):
    """[batch, time] index reversing each row within its length; padding positions stay put."""
    t = torch.arange(steps).unsqueeze(0)
    last = lengths.unsqueeze(1) - 1
    return torch.where(t <= last, last - t, t)


def along_time(x, index):
    return x.gather(1, index.unsqueeze(2).expand(-1, -1, x.shape[2]))


class Classifier(nn.Module):
    """embeddings (frozen) → encoder → attention over the states → pooled value → linear head.

    `packed=True` runs the recurrent encoder the textbook way instead, on packed sequences through
    one nn.LSTM/GRU sharing the same weights: the reference `--check` compares with.
    """

    def __init__(self, vectors, kind, packed=False):
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding.from_pretrained(vectors, freeze=True, padding_idx=0)
        dim = vectors.shape[1]
        cell, _, direction = kind.partition("-")
        self.encoder = self.backward_encoder = self.packed = None
        if cell in ("lstm", "gru"):
            recurrent = nn.LSTM if cell == "lstm" else nn.GRU
            self.encoder = recurrent(dim, HIDDEN, batch_first=True)
            if direction == "bi":
                self.backward_encoder = recurrent(dim, HIDDEN, batch_first=True)
            dim = HIDDEN * (2 if direction == "bi" else 1)
        self.query = nn.Parameter(torch.randn(dim) / dim ** 0.5)
        self.text_query = nn.Linear(dim, dim) if kind.startswith("q3") else None
        self.value = {
            "q3-linear": lambda: nn.Sequential(nn.Linear(dim, dim), nn.Tanh()),
            "q3-mlp": lambda: nn.Sequential(nn.Linear(dim, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, dim)),
        }.get(kind, lambda: None)()
        self.head = nn.Linear(dim, 2)
        if packed and self.encoder is not None:
            # Built last: its own initialisation must not shift the random draws of the layers above.
            self.packed = shared_packed_encoder(type(self.encoder), self.encoder, self.backward_encoder)

    def encode(self, ids, lengths):
        x = self.embed(ids)
        if self.encoder is None:
            return x
        if self.packed is not None:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            return nn.utils.rnn.pad_packed_sequence(self.packed(packed)[0], batch_first=True, total_length=ids.shape[1])[0]
        states = self.encoder(x)[0]
        if self.backward_encoder is None:
            return states
        index = reversal(lengths, ids.shape[1])
        return torch.cat([states, along_time(self.backward_encoder(along_time(x, index))[0], index)], 2)

    def forward(self, ids, lengths, mask):
        h = self.encode(ids, lengths)
        uniform = mask.to(h.dtype) / lengths.unsqueeze(1).to(h.dtype)
        if self.kind == "q1":
            attention = uniform
        else:
            query = self.query.expand(h.shape[0], -1)
            if self.text_query is not None:
                query = self.text_query(torch.bmm(uniform.unsqueeze(1), h).squeeze(1))
            attention = masked_softmax(torch.bmm(h, query.unsqueeze(2)).squeeze(2), mask)
        values = h if self.value is None else self.value(h)
        return self.head(torch.bmm(attention.unsqueeze(1), values).squeeze(1)), attention, h


def shared_packed_encoder(recurrent, forward, backward):
    """One (bidirectional when `backward` is given) nn.LSTM/GRU whose weights are those of `forward` and `backward`."""
    packed = recurrent(forward.input_size, HIDDEN, batch_first=True, bidirectional=backward is not None)
    for name in forward._flat_weights_names:
        setattr(packed, name, getattr(forward, name))
        if backward is not None:
            setattr(packed, f"{name}_reverse", getattr(backward, name))
    return packed


def tensors(labels, lengths, ids):
    ids_t = torch.from_numpy(ids.astype(np.int64))
    lengths_t = torch.from_numpy(lengths.astype(np.int64))
    mask = torch.arange(ids_t.shape[1]).unsqueeze(0) < lengths_t.unsqueeze(1)
    return ids_t, lengths_t, torch.from_numpy(labels.astype(np.int64)), mask


def loss_of(model, ids, lengths, labels, mask):
    logits, attention, h = model(ids, lengths, mask)
    loss = nn.functional.cross_entropy(logits, labels)
    if model.kind == "q5":
        entropy = -(attention * torch.log(attention + 1e-12)).sum(1).mean()
        loss = loss + ENTROPY_WEIGHT * entropy
    return loss, logits, h


def train(vectors, batches, kind):
    torch.manual_seed(0)
    model = Classifier(vectors, kind)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LR)
    phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    longest = max(batches, key=lambda batch: batch[2].size)
    for step, batch in enumerate([longest, *batches]):
        start = time.perf_counter()
        ids, lengths, labels, mask = tensors(*batch)
        loaded = time.perf_counter()
        loss, _, _ = loss_of(model, ids, lengths, labels, mask)
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


CHECK_TOLERANCE = 1e-10


def check_batch(vocab, size, steps):
    """A random right-padded batch: lengths 1 … `steps` (the full width included), PAD = 0 after them."""
    generator = np.random.default_rng(3)
    lengths = np.concatenate([[1, steps], generator.integers(1, steps + 1, size - 2)]).astype(np.int32)
    ids = generator.integers(1, vocab, (size, steps)).astype(np.int32)
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    return generator.integers(0, 2, size).astype(np.int32), lengths, ids


def check_model(kind, vectors, batch):
    """Largest difference between the unpacked and the packed model: outputs, real-position states, gradients."""
    ids, lengths, labels, mask = tensors(*batch)
    runs = []
    for packed in (False, True):
        torch.manual_seed(0)
        model = Classifier(vectors, kind, packed=packed).double()
        loss, logits, h = loss_of(model, ids, lengths, labels, mask)
        loss.backward()
        gradients = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
        runs.append((loss.detach(), logits.detach(), h.detach()[mask], gradients))
    (loss, logits, states, gradients), (loss_p, logits_p, states_p, gradients_p) = runs
    assert gradients.keys() == gradients_p.keys(), f"{kind}: parameters differ: {sorted(gradients)} vs {sorted(gradients_p)}"
    differences = {"loss": (loss - loss_p).abs().item(), "logits": (logits - logits_p).abs().max().item(), "states": (states - states_p).abs().max().item()}
    differences.update({f"grad {name}": (gradients[name] - gradients_p[name]).abs().max().item() for name in gradients})
    return differences


def check():
    torch.set_num_threads(1)
    vocab, dim = 50, 6
    vectors = torch.randn(vocab, dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    batch = check_batch(vocab, size=7, steps=9)
    failed = False
    for kind in RECURRENT:
        differences = check_model(kind, vectors, batch)
        worst = max(differences, key=differences.get)
        ok = differences[worst] <= CHECK_TOLERANCE
        failed |= not ok
        print(f"{kind}: {'ok' if ok else 'MISMATCH'} against packed sequences, largest difference {differences[worst]:.1e} ({worst})")
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    path, kind = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    vectors, batches = read_batches(path)
    phases, loss = train(vectors, batches, kind)
    print(json.dumps({"phases": phases, "threads": torch.get_num_threads(), "batches": len(batches), "lastLoss": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
