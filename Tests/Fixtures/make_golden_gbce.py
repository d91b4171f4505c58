"""Writes the PyTorch golden fixtures of the gbce head (Tests/Fixtures/golden-gbce/).

Run from anywhere with a Python that has torch:  /work/torchvenv/bin/python Tests/Fixtures/make_golden_gbce.py

gSASRec's loss (Petrov & Macdonald, RecSys 2023), transcribed from the paper's equations and
the reference code's training step (asash/gSASRec-pytorch, train_gsasrec.py), in float64:

    alpha = k / (items - 1),   beta = alpha * (t * (1 - 1/alpha) + 1/alpha)
    gamma(s+) = log(1 / (sigmoid(s+)^-beta - 1))            (so that sigmoid(gamma) = sigmoid(s+)^beta)
    per target: BCE-with-logits over [gamma(s+), s-_1, ..., s-_k] with labels [1, 0, ..., 0],
                averaged over the k + 1 columns; the loss is the mean over the targets

with the reference's clamps (eps 1e-10) on the way to gamma. Scores are h . w_item + b_item
over an output layer [V, H] (with a bias, as the recurrent cells' output layer; or without,
as SASRec's tied item table). The negatives, k per target row with a duplicate in a row and a
row without a target, are written into the fixture; the Swift test replays them and compares
the loss and the gradients w.r.t. the hidden states, the weights and the bias.
"""
import json
import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-gbce")
R, H, ITEMS = 7, 6, 11         # rows, hidden size, catalogue (V = ITEMS + 1 classes, 0 = padding)
V = ITEMS + 1


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def gbce_loss(hidden, weight, bias, targets, negatives, k, t):
    alpha = k / (ITEMS - 1)
    beta = alpha * ((1 - 1 / alpha) * t + 1 / alpha)
    valid = targets != 0
    x = hidden[valid]                                          # [N, H]
    columns = torch.cat([targets[valid].unsqueeze(1), negatives], dim=1)   # [N, 1 + k]
    logits = torch.einsum("nh,nch->nc", x, weight[columns])
    if bias is not None:
        logits = logits + bias[columns]
    positive_logits, negative_logits = logits[:, 0:1], logits[:, 1:]
    eps = 1e-10
    positive_probs = torch.clamp(torch.sigmoid(positive_logits), eps, 1 - eps)
    positive_probs_adjusted = torch.clamp(positive_probs.pow(-beta), 1 + eps, torch.finfo(torch.float64).max)
    to_log = torch.clamp(torch.div(1.0, positive_probs_adjusted - 1), eps, torch.finfo(torch.float64).max)
    transformed = torch.cat([to_log.log(), negative_logits], dim=1)
    labels = torch.zeros_like(transformed)
    labels[:, 0] = 1
    per_target = torch.nn.functional.binary_cross_entropy_with_logits(transformed, labels, reduction="none").mean(-1)
    return per_target.mean(), beta


def case(name, k, t, with_bias, seed):
    g = torch.Generator().manual_seed(seed)
    # float32 values (what the Swift side holds), float64 arithmetic.
    hidden = (torch.rand(R, H, generator=g) * 2 - 1).float().double().requires_grad_()
    weight = ((torch.rand(V, H, generator=g) * 2 - 1) * 0.9).float().double().requires_grad_()
    bias = ((torch.rand(V, generator=g) * 2 - 1) * 0.5).float().double().requires_grad_() if with_bias else None
    targets = torch.randint(1, V, (R,), generator=g)
    targets[2] = 0                                             # a row without a target
    n = int((targets != 0).sum())
    negatives = torch.randint(1, V - 1, (n, k), generator=g)
    negatives = negatives + (negatives >= targets[targets != 0].unsqueeze(1)).long()   # never the row's target
    if k >= 2:
        negatives[1, 1] = negatives[1, 0]                      # a duplicate within a row
    negatives[3, 0] = targets[targets != 0][0]                 # another row's target as a negative
    loss, beta = gbce_loss(hidden, weight, bias, targets, negatives, k, t)
    loss.backward()
    payload = dict(
        rows=R, hidden_size=H, items=ITEMS, negatives_per_target=k, t=t, beta=beta,
        hidden=flat(hidden), weight=flat(weight), bias=flat(bias) if bias is not None else None,
        targets=targets.tolist(), negatives=negatives.reshape(-1).tolist(),
        loss=loss.item(), d_hidden=flat(hidden.grad), d_weight=flat(weight.grad),
        d_bias=flat(bias.grad) if bias is not None else None,
    )
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    case("gbce-k4-t075-bias", k=4, t=0.75, with_bias=True, seed=1)
    case("gbce-k3-t0-tied", k=3, t=0.0, with_bias=False, seed=2)
    case("gbce-k1-t1-bias", k=1, t=1.0, with_bias=True, seed=3)
