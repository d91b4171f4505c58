"""Writes the PyTorch golden fixtures of SASRec (Tests/Fixtures/golden-sasrec/).

Run from anywhere with a venv that has torch:  /work/venv-st/bin/python Tests/Fixtures/make_golden_sasrec.py

An independent plain-PyTorch SASRec (the architecture of pmixer/SASRec.pytorch, python/model.py)
with seqrec's parameter names, in float64 so that the fixture's own rounding is negligible:

    x0 = sqrt(D) * item_embedding[id] + position_embedding[pos]
         (pos as the port: every row conceptually left-padded to max_length M, so a row with
          n items has item t at position M - n + t + 1; padding at position 0)
    blocks x:  pre:  x = x + MHA(LN_a(x));  x = x + FFN(LN_f(x))
               post: x = LN_a(x + MHA(x));  x = LN_f(x + FFN(x))
    h = final_norm(x);  logits = h @ item_embedding.T;  loss = cross_entropy over targets != 0

MHA is torch.nn.MultiheadAttention (packed in_proj) with a [B*N, T, T] boolean mask that blocks
future keys and padded keys (a padded query attends to itself only); FFN is Linear -> ReLU ->
Linear (the port's Conv1d with kernel 1); LayerNorm eps 1e-8; dropout 0.

For each case (norm pre/post, heads 1/2, blocks 2) the fixture holds the initial weights, the
right-padded batch, h [B, T, D] (compare at items only), next-item logits after each row's last
item [B, V], the loss and every gradient.
"""
import json
import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-sasrec")
B, T, D, ITEMS, M, BLOCKS = 3, 5, 4, 9, 6, 2
V = ITEMS + 1
LENGTHS = [5, 3, 1]


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


class FeedForward(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.linear1 = torch.nn.Linear(d, d)
        self.linear2 = torch.nn.Linear(d, d)

    def forward(self, x):
        return self.linear2(torch.relu(self.linear1(x)))


class Block(torch.nn.Module):
    def __init__(self, d, heads, norm):
        super().__init__()
        self.norm = norm
        self.attention_norm = torch.nn.LayerNorm(d, eps=1e-8)
        self.attention = torch.nn.MultiheadAttention(d, heads, dropout=0.0, batch_first=True)
        self.feed_forward_norm = torch.nn.LayerNorm(d, eps=1e-8)
        self.feed_forward = FeedForward(d)

    def mha(self, x, mask):
        return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]

    def forward(self, x, mask):
        if self.norm == "pre":
            x = x + self.mha(self.attention_norm(x), mask)
            return x + self.feed_forward(self.feed_forward_norm(x))
        x = self.attention_norm(x + self.mha(x, mask))
        return self.feed_forward_norm(x + self.feed_forward(x))


class SASRec(torch.nn.Module):
    def __init__(self, heads, norm):
        super().__init__()
        self.heads = heads
        self.item_embedding = torch.nn.Embedding(V, D)
        self.position_embedding = torch.nn.Embedding(M + 1, D, padding_idx=0)
        self.blocks = torch.nn.ModuleList([Block(D, heads, norm) for _ in range(BLOCKS)])
        self.final_norm = torch.nn.LayerNorm(D, eps=1e-8)

    def forward(self, ids):
        is_item = ids != 0
        n = is_item.sum(dim=1, keepdim=True)
        t = torch.arange(T).unsqueeze(0)
        positions = torch.where(is_item, M - n + t + 1, torch.zeros_like(ids))
        x = self.item_embedding(ids) * D ** 0.5 + self.position_embedding(positions)
        causal = t.T >= t                                       # [T(query), T(key)]: key <= query
        allowed = causal.unsqueeze(0) & (is_item.unsqueeze(1) | torch.eye(T, dtype=torch.bool).unsqueeze(0))
        mask = (~allowed).repeat_interleave(self.heads, dim=0)  # [B * N, T, T], True = blocked
        for block in self.blocks:
            x = block(x, mask)
        return self.final_norm(x)


def case(heads, norm, seed):
    torch.manual_seed(seed)
    model = SASRec(heads, norm)
    with torch.no_grad():
        for name, p in model.named_parameters():   # non-trivial norms and biases
            if "norm" in name or "bias" in name:
                p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("norm.weight") else 0.0))
        model.position_embedding.weight[0].zero_()
    model = model.double()   # float32 values, float64 arithmetic
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.zeros(B, T, dtype=torch.long)
    targets = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(LENGTHS):
        seq = torch.randint(1, V, (n + 1,), generator=g)
        ids[b, :n] = seq[:n]
        targets[b, :n] = seq[1:]
    targets[0, 0] = 0    # a position without a target
    h = model(ids)
    logits = h @ model.item_embedding.weight.T
    valid = targets != 0
    loss = torch.nn.functional.cross_entropy(logits[valid], targets[valid])
    loss.backward()
    last = torch.tensor([n - 1 for n in LENGTHS])
    next_logits = logits[torch.arange(B), last]
    payload = dict(
        norm=norm, heads=heads, blocks=BLOCKS, batch=B, steps=T, width=D, items=ITEMS, max_length=M,
        inputs=ids.reshape(-1).tolist(), targets=targets.reshape(-1).tolist(), lengths=LENGTHS,
        parameters={n: dict(shape=list(p.shape), data=flat(p)) for n, p in model.named_parameters()},
        outputs=flat(h), next_logits=flat(next_logits), loss=loss.item(),
        grads={n: flat(p.grad) for n, p in model.named_parameters()},
    )
    with open(os.path.join(HERE, f"sasrec-{norm}-{heads}.json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for i, (heads, norm) in enumerate([(1, "pre"), (2, "pre"), (1, "post"), (2, "post")]):
        case(heads, norm, 10 + i)
