"""Writes the PyTorch golden fixtures of BERT4Rec (Tests/Fixtures/golden-bert4rec/).

Run from anywhere with a venv that has torch:  /work/torchvenv/bin/python Tests/Fixtures/make_golden_bert4rec.py

An independent plain-PyTorch BERT4Rec (the architecture of RecBole's bert4rec.py, with its
output transform and per-item bias) with seqrec's parameter names, in float64:

    x0 = embedding_norm(item_embedding[id] + position_embedding[t])     (t = 0..T-1, rows left-aligned)
    blocks (post-LN, bidirectional):  x = LN_a(x + MHA(x));  x = LN_f(x + FFN(x))
        FFN = Linear(D, 4D) -> GELU (erf) -> Linear(4D, D)
    h = output_norm(gelu(output_transform(x)))
    logits = h @ item_embedding[:V].T + output_bias          (V = items + 1; row V is the mask token)
    loss = cross_entropy over the masked positions (targets != 0)

MHA is torch.nn.MultiheadAttention with a [B*N, T, T] boolean mask that blocks padded keys
only (a padded query attends to itself); LayerNorm eps 1e-8; dropout 0.

The fixture holds the weights, a masked training batch (mask tokens in the inputs, the
original items as targets at those positions), h [B, T, D] of that batch (compare at
non-padding positions), the loss and every gradient, and the next-item logits [B, V] of the
history rows `history` scored at a mask token appended after each row's items (a row that
fills the M positions drops its first item).
"""
import json
import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-bert4rec")
B, T, D, ITEMS, BLOCKS = 3, 5, 4, 9, 2
M = T          # position rows: the full history row is shifted to make room for the mask
V = ITEMS + 1
MASK = ITEMS + 1
LENGTHS = [5, 3, 1]


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


class FeedForward(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.linear1 = torch.nn.Linear(d, 4 * d)
        self.linear2 = torch.nn.Linear(4 * d, d)

    def forward(self, x):
        return self.linear2(torch.nn.functional.gelu(self.linear1(x)))


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.attention_norm = torch.nn.LayerNorm(d, eps=1e-8)
        self.attention = torch.nn.MultiheadAttention(d, heads, dropout=0.0, batch_first=True)
        self.feed_forward_norm = torch.nn.LayerNorm(d, eps=1e-8)
        self.feed_forward = FeedForward(d)

    def forward(self, x, mask):
        x = self.attention_norm(x + self.attention(x, x, x, attn_mask=mask, need_weights=False)[0])
        return self.feed_forward_norm(x + self.feed_forward(x))


class BERT4Rec(torch.nn.Module):
    def __init__(self, heads):
        super().__init__()
        self.heads = heads
        self.item_embedding = torch.nn.Embedding(V + 1, D)
        self.position_embedding = torch.nn.Embedding(M, D)
        self.embedding_norm = torch.nn.LayerNorm(D, eps=1e-8)
        self.blocks = torch.nn.ModuleList([Block(D, heads) for _ in range(BLOCKS)])
        self.output_transform = torch.nn.Linear(D, D)
        self.output_norm = torch.nn.LayerNorm(D, eps=1e-8)
        self.output_bias = torch.nn.Parameter(torch.zeros(V))

    def forward(self, ids):
        steps = ids.shape[1]
        is_item = ids != 0
        x = self.embedding_norm(self.item_embedding(ids) + self.position_embedding(torch.arange(steps)).unsqueeze(0))
        allowed = is_item.unsqueeze(1) | torch.eye(steps, dtype=torch.bool).unsqueeze(0)   # [B, T(query), T(key)]
        mask = (~allowed).repeat_interleave(self.heads, dim=0)
        for block in self.blocks:
            x = block(x, mask)
        return self.output_norm(torch.nn.functional.gelu(self.output_transform(x)))

    def logits(self, h):
        return h @ self.item_embedding.weight[:V].T + self.output_bias


def case(heads, seed):
    torch.manual_seed(seed)
    model = BERT4Rec(heads)
    with torch.no_grad():
        for name, p in model.named_parameters():   # non-trivial norms and biases
            if "norm" in name or "bias" in name:
                p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("norm.weight") else 0.0))
        model.item_embedding.weight[0].zero_()
    model = model.double()
    g = torch.Generator().manual_seed(seed + 1)
    history = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(LENGTHS):
        history[b, :n] = torch.randint(1, V, (n,), generator=g)
    # A masked training batch: fixed masked positions, one row without any.
    masked_positions = [[1, 4], [0, 2], []]
    ids = history.clone()
    targets = torch.zeros(B, T, dtype=torch.long)
    for b, positions in enumerate(masked_positions):
        for t in positions:
            targets[b, t] = ids[b, t]
            ids[b, t] = MASK
    h = model(ids)
    logits = model.logits(h)
    valid = targets != 0
    loss = torch.nn.functional.cross_entropy(logits[valid], targets[valid])
    loss.backward()
    # Scoring: the mask appended after each row's items, in min(T + 1, M) steps.
    steps = min(T + 1, M)
    query = torch.zeros(B, steps, dtype=torch.long)
    at = []
    for b, n in enumerate(LENGTHS):
        kept = history[b, :n].tolist()[-(steps - 1):]
        query[b, :len(kept)] = torch.tensor(kept, dtype=torch.long)
        query[b, len(kept)] = MASK
        at.append(len(kept))
    with torch.no_grad():
        next_logits = model.logits(model(query))[torch.arange(B), torch.tensor(at)]
    payload = dict(
        heads=heads, blocks=BLOCKS, batch=B, steps=T, width=D, items=ITEMS, max_length=M,
        history=history.reshape(-1).tolist(), inputs=ids.reshape(-1).tolist(), targets=targets.reshape(-1).tolist(),
        parameters={n: dict(shape=list(p.shape), data=flat(p)) for n, p in model.named_parameters()},
        outputs=flat(h), next_logits=flat(next_logits), loss=loss.item(),
        grads={n: flat(p.grad) for n, p in model.named_parameters()},
    )
    with open(os.path.join(HERE, f"bert4rec-{heads}.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for i, heads in enumerate([1, 2]):
        case(heads, 30 + i)
