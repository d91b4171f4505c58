"""Writes the PyTorch golden fixtures of SASRec's sampled losses (Tests/Fixtures/golden-sasrec/).

Run from anywhere with a venv that has torch:  /work/venv-st/bin/python Tests/Fixtures/make_golden_sasrec_losses.py

The plain-PyTorch SASRec of make_golden_sasrec.py (float64, dropout 0, seqrec's parameter
names), trained instead with the two losses that score sampled negatives with the tied item
table E (no bias), h = the encoder's output at each position with a target (targets != 0):

    bce:             the SASRec port's loss (pmixer/SASRec.pytorch, main.py), one negative per
                     target position, written into the fixture (drawn uniformly from the items
                     other than that position's target):
                         pos = (h * E[target]).sum(-1),  neg = (h * E[negative]).sum(-1)
                         loss = BCEWithLogitsLoss()(pos, 1) + BCEWithLogitsLoss()(neg, 0)
                     (each a mean over the N targets: the sum of the two, averaged over N)
    sampled-softmax: S negatives shared by the batch (written into the fixture, with a duplicate
                     and an accidental hit), uniform q = 1 / ITEMS, logits
                         [h . E[target], h . E[neg_1], ..., h . E[neg_S]] - log(S q),
                     a negative equal to the row's target masked to -inf, cross-entropy with
                     class 0 (mean over the N targets)

For each case the fixture holds the initial weights, the batch, the negatives, h [B, T, D]
(compare at items only), next-item logits after each row's last item [B, V], the loss and
every gradient.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden_sasrec import B, HERE, ITEMS, LENGTHS, T, V, SASRec, flat  # noqa: E402

S = 5


def batch(g):
    ids = torch.zeros(B, T, dtype=torch.long)
    targets = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(LENGTHS):
        seq = torch.randint(1, V, (n + 1,), generator=g)
        ids[b, :n] = seq[:n]
        targets[b, :n] = seq[1:]
    targets[0, 0] = 0    # a position without a target
    return ids, targets


def model(heads, norm, seed):
    torch.manual_seed(seed)
    m = SASRec(heads, norm)
    with torch.no_grad():
        for name, p in m.named_parameters():   # non-trivial norms and biases
            if "norm" in name or "bias" in name:
                p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("norm.weight") else 0.0))
        m.position_embedding.weight[0].zero_()
    return m.double()   # float32 values, float64 arithmetic


def bce_loss(h, table, targets, g):
    valid = targets != 0
    x, t = h[valid], targets[valid]                        # [N, D], [N]
    negatives = torch.randint(1, V - 1, t.shape, generator=g)
    negatives = negatives + (negatives >= t).long()        # uniform over the items other than t
    pos = (x * table[t]).sum(-1)
    neg = (x * table[negatives]).sum(-1)
    bce = torch.nn.BCEWithLogitsLoss()
    loss = bce(pos, torch.ones_like(pos)) + bce(neg, torch.zeros_like(neg))
    return loss, negatives.tolist()


def sampled_softmax_loss(h, table, targets, g):
    valid = targets != 0
    x, t = h[valid], targets[valid]                        # [N, D], [N]
    negatives = torch.randint(1, V, (S,), generator=g)
    negatives[1] = negatives[3]                            # a duplicate
    negatives[0] = t[0]                                    # an accidental hit (row 0)
    columns = torch.cat([t.unsqueeze(1), negatives.unsqueeze(0).expand(len(t), S)], dim=1)  # [N, 1 + S]
    logits = (x.unsqueeze(1) * table[columns]).sum(-1) - math.log(S / ITEMS)
    hit = torch.cat([torch.zeros(len(t), 1, dtype=torch.bool), negatives.unsqueeze(0) == t.unsqueeze(1)], dim=1)
    logits = logits.masked_fill(hit, float("-inf"))
    loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(t), dtype=torch.long))
    return loss, negatives.tolist()


def case(loss_name, heads, norm, seed):
    m = model(heads, norm, seed)
    g = torch.Generator().manual_seed(seed + 1)
    ids, targets = batch(g)
    h = m(ids)
    table = m.item_embedding.weight
    loss_fn = bce_loss if loss_name == "bce" else sampled_softmax_loss
    loss, negatives = loss_fn(h, table, targets, g)
    loss.backward()
    last = torch.tensor([n - 1 for n in LENGTHS])
    next_logits = (h @ table.T)[torch.arange(B), last]
    payload = dict(
        loss_name=loss_name, norm=norm, heads=heads, blocks=len(m.blocks), batch=B, steps=T, width=table.shape[1],
        items=ITEMS, max_length=m.position_embedding.weight.shape[0] - 1,
        inputs=ids.reshape(-1).tolist(), targets=targets.reshape(-1).tolist(), lengths=LENGTHS, negatives=negatives,
        parameters={n: dict(shape=list(p.shape), data=flat(p)) for n, p in m.named_parameters()},
        outputs=flat(h), next_logits=flat(next_logits), loss=loss.item(),
        grads={n: flat(p.grad) for n, p in m.named_parameters()},
    )
    with open(os.path.join(HERE, f"sasrec-{loss_name}-{norm}-{heads}.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for i, (loss_name, heads, norm) in enumerate([("bce", 1, "pre"), ("bce", 2, "post"), ("sampled-softmax", 2, "pre")]):
        case(loss_name, heads, norm, 20 + i)
