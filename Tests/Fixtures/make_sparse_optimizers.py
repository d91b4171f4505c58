"""Writes Tests/Fixtures/sparse/sparse-optimizers.json: row-sparse optimizer steps in PyTorch.

Run from anywhere with the project's venv:  /work/venv/bin/python Tests/Fixtures/make_sparse_optimizers.py

An nn.Embedding(V = 10, E = 11, padding_idx = 0, sparse = True) (11 values per row: one
8-lane SIMD block plus a tail) is looked up with a fixed id list per step (with repeats and
the padding id 0), and the loss sum(lookup * upstream) gives each used row the sum of its
upstream rows as a sparse gradient (padding excluded). Four steps of torch.optim.SparseAdam
and of torch.optim.Adagrad (sparse gradients) are taken; written: the initial table, the ids
and upstream [n, E] per step, the table after every step, and the rows each step touched
(the coalesced gradient's indices). Betas, eps and learning rates are powers of two or
exactly representable so that Float32 and PyTorch's double-precision scalars agree; one
row (9) is never used, to show it does not move.
"""
import json
import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparse")
V, E = 10, 11
IDS = [[3, 1, 3, 0, 7], [2, 2, 0, 0, 5, 1], [4], [7, 8, 3, 6]]
CASES = [
    ("adam", torch.optim.SparseAdam, dict(lr=0.125, betas=(0.875, 0.9990234375), eps=2.0 ** -10),
     dict(lr=0.125, beta1=0.875, beta2=0.9990234375, eps=2.0 ** -10)),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.25, eps=2.0 ** -10),
     dict(lr=0.25, eps=2.0 ** -10)),
]


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def main():
    os.makedirs(HERE, exist_ok=True)
    g = torch.Generator().manual_seed(11)
    initial = torch.randn(V, E, generator=g)
    initial[0] = 0
    upstream = [torch.randn(len(ids), E, generator=g) for ids in IDS]
    cases = []
    for kind, make, torch_settings, settings in CASES:
        embedding = torch.nn.Embedding(V, E, padding_idx=0, sparse=True)
        with torch.no_grad():
            embedding.weight.copy_(initial)
        optimizer = make(embedding.parameters(), **torch_settings)
        after, touched = [], []
        for ids, up in zip(IDS, upstream):
            optimizer.zero_grad()
            (embedding(torch.tensor(ids)) * up).sum().backward()
            grad = embedding.weight.grad.coalesce()
            touched.append(sorted(int(i) for i in grad.indices()[0].tolist()))
            optimizer.step()
            after.append(flat(embedding.weight))
        cases.append(dict(kind=kind, settings=settings, after=after, touched=touched))
    payload = dict(shape=[V, E], initial=flat(initial), ids=IDS, upstream=[flat(u) for u in upstream], cases=cases)
    with open(os.path.join(HERE, "sparse-optimizers.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
