"""PyTorch reference for `make bench-e2e`: seqrec's next-item model trained on seqrec's own
batches, timed per epoch, and scored on seqrec's validation cases the way seqrec scores them.

The data comes from `seqrec-bench export-split` (see Sources/bench/SplitExport.swift): every
training batch of every epoch in the order seqrec's Trainer sees it, and the validation cases.
The model is seqrec's, module for module:

    nn.Embedding(V, E, padding_idx=0) -> nn.Dropout(p) -> nn.LSTM/GRU/RNN(E, H, batch_first,
    dropout p between layers) -> output dropout -> nn.Linear(H, V) on the positions that have a target ->
    cross-entropy (mean over the batch's targets) -> clip_grad_norm_ -> Adam

with V = items + 1 (id 0 is padding, never a target). With --cell sasrec the model is seqrec's
SASRec (the architecture of pmixer/SASRec.pytorch, as Tests/Fixtures/make_golden_sasrec.py
builds it): sqrt(D) x item embedding + position embedding -> dropout -> blocks of causal
nn.MultiheadAttention (attention dropout) and a ReLU feed-forward (dropout after each linear)
with pre- or post-layer-norm -> final layer norm -> scores against the tied item embedding;
xavier_normal_ weights as the port. With --cell bert4rec it is seqrec's BERT4Rec (the
architecture of Tests/Fixtures/make_golden_bert4rec.py, RecBole's bert4rec.py): LN(item
embedding + learned position embedding) -> dropout -> post-LN bidirectional blocks of
nn.MultiheadAttention (attention dropout; only padded keys masked) and a GELU feed-forward D ->
4D -> D (dropout after the GELU and after the second linear) -> LN(gelu(Linear(D, D))) -> scores
against the first V rows of the item table (row V + 1 is the mask token) plus a per-item bias;
RecBole's N(0, 0.02) init. It trains on the cloze task over the exported windows: each window's
items and its last target (the last min(T + 1, M) of them) form a row, each item is replaced by
the mask token with the export's mask probability, drawn here with torch's generator (seqrec
draws its masks from its dropout stream, so the masked positions differ but their number per
epoch matches in expectation; both counts are printed), and the loss is the cross-entropy at
the masked positions. Rows are left-aligned, so the padding
at the end of a row never reaches a scored position. Validation: eval mode, the scores after
each case's last input (BERT4Rec: at a mask token appended after it, the history's first item
dropped when the row would exceed M), full ranking over items 1..N, the seen items removed (exclude_seen),
pessimistic ties (rank = 1 + the competitors scoring >= the target), NDCG@10 and HR@10.

Prints one JSON object: per epoch the training seconds (wall and process CPU), the validation
seconds (wall),
the mean loss and the validation metrics; and the process's peak resident memory. With
--eval-only N: no training, N validation passes of the initialised model (their wall and CPU
seconds and metrics), what bench/eval_compare.py times.
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="directory written by seqrec-bench export-split")
parser.add_argument("--cell", choices=("lstm", "gru", "rnn", "sasrec", "bert4rec"), default="lstm")
parser.add_argument("--hidden", type=int, default=50)
parser.add_argument("--epochs", type=int, default=None, help="default: every exported epoch")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=0, help="torch seed (initialization and dropout)")
parser.add_argument("--eval-only", type=int, default=0, metavar="N",
                    help="no training: time N validation passes of the freshly initialised model")
args = parser.parse_args()

# Thread counts must be fixed before torch (and its BLAS) load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(args.threads)

import math  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def read(name):
    return np.fromfile(os.path.join(args.data, name), dtype="<i4")


with open(os.path.join(args.data, "header.json")) as handle:
    header = json.load(handle)
classes = header["num_items"] + 1
model_settings, training_settings = header["model"], header["training"]
if training_settings["optimizer"] != "adam":
    raise SystemExit(f"e2e_torch.py: only adam is implemented, the export says {training_settings['optimizer']}")

# Training batches as long tensors, built before any timing (seqrec builds an epoch's batches
# before its epoch clock starts too).
epochs_available = header["epochs"]
epochs = args.epochs or len(epochs_available)
inputs_flat, targets_flat = read("train_inputs.i32"), read("train_targets.i32")
epoch_batches = []
offset = 0
for epoch in epochs_available:
    batches = []
    for rows, steps, _ in epoch["batches"]:
        size = rows * steps
        inputs = torch.from_numpy(inputs_flat[offset:offset + size].astype(np.int64)).view(rows, steps)
        targets = torch.from_numpy(targets_flat[offset:offset + size].astype(np.int64))
        batches.append((inputs, targets))
        offset += size
    epoch_batches.append(batches)

# Validation batches, each with its cases' last-input positions, targets and excluded items.
validation_inputs = read("val_inputs.i32")
lengths, val_targets = read("val_lengths.i32"), read("val_targets.i32")
excluded_offsets, excluded_items = read("val_excluded_offsets.i32"), read("val_excluded_items.i32")
validation_batches = []
offset = case = 0
for rows, steps in header["validation"]["batches"]:
    inputs = torch.from_numpy(validation_inputs[offset:offset + rows * steps].astype(np.int64)).view(rows, steps)
    last = torch.from_numpy(lengths[case:case + rows].astype(np.int64) - 1)
    targets = torch.from_numpy(val_targets[case:case + rows].astype(np.int64))
    excluded_rows = np.concatenate([np.full(excluded_offsets[c + 1] - excluded_offsets[c], c - case)
                                    for c in range(case, case + rows)]).astype(np.int64)
    excluded_columns = excluded_items[excluded_offsets[case]:excluded_offsets[case + rows]].astype(np.int64)
    validation_batches.append((inputs, last, targets, torch.from_numpy(excluded_rows), torch.from_numpy(excluded_columns)))
    offset += rows * steps
    case += rows


class Recommender(nn.Module):
    def __init__(self):
        super().__init__()
        dropout = model_settings["dropout"]
        layers = model_settings["layers"]
        self.embedding = nn.Embedding(classes, model_settings["embedding_size"], padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        module = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[args.cell]
        self.rnn = module(model_settings["embedding_size"], args.hidden, num_layers=layers, batch_first=True,
                          dropout=dropout if layers > 1 else 0.0)
        self.output_dropout = nn.Dropout(model_settings.get("output_dropout", 0.0))
        self.output = nn.Linear(args.hidden, classes)
        forget_bias = model_settings.get("forget_bias", 0.0)
        if args.cell == "lstm" and forget_bias:
            with torch.no_grad():
                for layer in range(layers):
                    getattr(self.rnn, f"bias_ih_l{layer}")[args.hidden:2 * args.hidden] += forget_bias

    def hidden(self, inputs):  # [B, T] -> [B, T, H]
        return self.output_dropout(self.rnn(self.dropout(self.embedding(inputs)))[0])


class FeedForward(nn.Module):
    def __init__(self, d, dropout):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(d, d), nn.Linear(d, d)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout2(self.linear2(torch.relu(self.dropout1(self.linear1(x)))))


class Block(nn.Module):
    def __init__(self, d, heads, norm, dropout):
        super().__init__()
        self.norm = norm
        self.attention_norm = nn.LayerNorm(d, eps=1e-8)
        self.attention = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.feed_forward_norm = nn.LayerNorm(d, eps=1e-8)
        self.feed_forward = FeedForward(d, dropout)

    def mha(self, x, mask):
        return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]

    def forward(self, x, mask):
        if self.norm == "pre":
            x = x + self.mha(self.attention_norm(x), mask)
            return x + self.feed_forward(self.feed_forward_norm(x))
        x = self.attention_norm(x + self.mha(x, mask))
        return self.feed_forward_norm(x + self.feed_forward(x))


class SASRec(nn.Module):
    def __init__(self):
        super().__init__()
        d, self.max_length = args.hidden, header["max_length"]
        self.heads = model_settings["heads"]
        dropout = model_settings["dropout"]
        self.item_embedding = nn.Embedding(classes, d)
        self.position_embedding = nn.Embedding(self.max_length + 1, d, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d, self.heads, model_settings["norm"], dropout)
                                     for _ in range(model_settings["blocks"])])
        self.final_norm = nn.LayerNorm(d, eps=1e-8)
        for name, parameter in self.named_parameters():  # the port's init
            if parameter.dim() >= 2:
                nn.init.xavier_normal_(parameter)
        with torch.no_grad():
            self.position_embedding.weight[0].zero_()
        self.output = lambda hidden: hidden @ self.item_embedding.weight.T  # tied

    def hidden(self, ids):  # [B, T] left-aligned -> [B, T, D]
        steps = ids.shape[1]
        is_item = ids != 0
        n = is_item.sum(dim=1, keepdim=True)
        t = torch.arange(steps).unsqueeze(0)
        positions = torch.where(is_item, self.max_length - n + t + 1, torch.zeros_like(ids))
        x = self.dropout(self.item_embedding(ids) * args.hidden ** 0.5 + self.position_embedding(positions))
        causal = t.T >= t
        allowed = causal.unsqueeze(0) & (is_item.unsqueeze(1) | torch.eye(steps, dtype=torch.bool).unsqueeze(0))
        mask = (~allowed).repeat_interleave(self.heads, dim=0)
        for block in self.blocks:
            x = block(x, mask)
        return self.final_norm(x)


class BERT4RecFeedForward(nn.Module):
    def __init__(self, d, dropout):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout2(self.linear2(self.dropout1(nn.functional.gelu(self.linear1(x)))))


class BERT4RecBlock(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d, eps=1e-8)
        self.attention = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.feed_forward_norm = nn.LayerNorm(d, eps=1e-8)
        self.feed_forward = BERT4RecFeedForward(d, dropout)

    def forward(self, x, mask):
        x = self.attention_norm(x + self.attention(x, x, x, attn_mask=mask, need_weights=False)[0])
        return self.feed_forward_norm(x + self.feed_forward(x))


class BERT4Rec(nn.Module):
    def __init__(self):
        super().__init__()
        d, self.max_length = args.hidden, header["max_length"]
        self.heads = model_settings["heads"]
        self.mask_id = classes  # numItems + 1
        self.item_embedding = nn.Embedding(classes + 1, d)
        self.position_embedding = nn.Embedding(self.max_length, d)
        self.embedding_norm = nn.LayerNorm(d, eps=1e-8)
        self.dropout = nn.Dropout(model_settings["dropout"])
        self.blocks = nn.ModuleList([BERT4RecBlock(d, self.heads, model_settings["dropout"])
                                     for _ in range(model_settings["blocks"])])
        self.output_transform = nn.Linear(d, d)
        self.output_norm = nn.LayerNorm(d, eps=1e-8)
        self.output_bias = nn.Parameter(torch.zeros(classes))
        with torch.no_grad():  # seqrec's (RecBole's) init
            for name, parameter in self.named_parameters():
                if parameter.dim() >= 2:
                    parameter.normal_(0.0, 0.02)
                elif name.endswith("bias"):
                    parameter.zero_()
            self.item_embedding.weight[0].zero_()

    def hidden(self, ids):  # [B, T] left-aligned, mask tokens allowed -> [B, T, D]
        steps = ids.shape[1]
        is_item = ids != 0
        x = self.embedding_norm(self.item_embedding(ids) + self.position_embedding.weight[:steps].unsqueeze(0))
        x = self.dropout(x)
        allowed = is_item.unsqueeze(1) | torch.eye(steps, dtype=torch.bool).unsqueeze(0)  # [B, T(query), T(key)]
        mask = (~allowed).repeat_interleave(self.heads, dim=0)
        for block in self.blocks:
            x = block(x, mask)
        return self.output_norm(nn.functional.gelu(self.output_transform(x)))

    def output(self, hidden):  # [R, D] -> [R, V]
        return hidden @ self.item_embedding.weight[:classes].T + self.output_bias


def cloze_rows(inputs, targets):
    """A batch of windows [B, T] and their targets [B * T] -> the unmasked cloze rows [B, T'],
    T' = min(T + 1, M): each window's items and its last target, the last T' of them,
    left-aligned (what seqrec's Cloze.masked masks)."""
    rows, steps = inputs.shape
    out_steps = min(steps + 1, header["max_length"])
    lengths = (inputs != 0).sum(dim=1)
    sequences = torch.cat([inputs, torch.zeros(rows, 1, dtype=inputs.dtype)], dim=1)
    last_targets = targets.view(rows, steps).gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
    last_targets = torch.where(lengths > 0, last_targets, torch.zeros_like(last_targets))
    sequences[torch.arange(rows), lengths] = last_targets
    counts = lengths + (last_targets != 0).long()
    start = (counts - out_steps).clamp(min=0)
    columns = start.unsqueeze(1) + torch.arange(out_steps).unsqueeze(0)
    kept = sequences.gather(1, columns.clamp(max=steps))
    return torch.where(columns < counts.unsqueeze(1), kept, torch.zeros_like(kept))


def cloze_query(inputs, last):
    """Validation rows [B, T] with their last-input positions -> each row's items followed by
    the mask token [B, T'] (a row of T' items drops its first) and the mask's positions."""
    rows, steps = inputs.shape
    out_steps = min(steps + 1, header["max_length"])
    counts = last + 1
    kept = counts.clamp(max=out_steps - 1)
    t = torch.arange(out_steps).unsqueeze(0)
    columns = (counts - kept).unsqueeze(1) + t
    query = inputs.gather(1, columns.clamp(max=steps - 1))
    query = torch.where(t < kept.unsqueeze(1), query, torch.zeros_like(query))
    query[torch.arange(rows), kept] = classes  # the mask token
    return query, kept


if args.cell == "bert4rec":
    # The unmasked rows are built with the batches, before any timing; the masks are drawn in
    # the epoch (seqrec draws them per batch too).
    epoch_batches = [[(cloze_rows(inputs, targets), None) for inputs, targets in batches] for batches in epoch_batches]
    validation_batches = [(*cloze_query(inputs, last), targets, rows_, columns)
                          for inputs, last, targets, rows_, columns in validation_batches]
    mask_probability = model_settings["mask_probability"]

model = {"sasrec": SASRec, "bert4rec": BERT4Rec}.get(args.cell, Recommender)()
optimizer = torch.optim.Adam(model.parameters(), lr=training_settings["learning_rate"],
                             weight_decay=training_settings["weight_decay"])
clip_norm = training_settings["clip_norm"]
loss_function = nn.CrossEntropyLoss()
discounts = torch.tensor([0.0] + [1.0 / math.log2(position + 1) for position in range(1, 11)])


cloze_items = 0  # BERT4Rec: the items of the epoch's cloze rows (each masked with probability p)


def train_epoch(batches):
    model.train()
    loss_sum = 0.0
    target_count = 0
    global cloze_items
    cloze_items = 0
    for inputs, targets in batches:
        if args.cell == "bert4rec":  # the cloze task: mask items with probability p
            is_item = inputs != 0
            cloze_items += int(is_item.sum())
            masked = is_item & (torch.rand(inputs.shape) < mask_probability)
            targets = torch.where(masked, inputs, torch.zeros_like(inputs)).reshape(-1)
            inputs = torch.where(masked, torch.full_like(inputs, model.mask_id), inputs)
        optimizer.zero_grad(set_to_none=True)
        hidden = model.hidden(inputs).reshape(-1, args.hidden)
        scored = targets != 0
        chosen = targets[scored]
        if chosen.numel() == 0:  # a cloze batch that drew no mask (practically never): no loss
            continue
        loss = loss_function(model.output(hidden[scored]), chosen)
        loss.backward()
        if clip_norm > 0:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        loss_sum += loss.item() * chosen.numel()
        target_count += chosen.numel()
    return loss_sum / max(target_count, 1), target_count


def validate():
    model.eval()
    ndcg = hits = 0.0
    cases = 0
    with torch.no_grad():
        for inputs, last, targets, excluded_rows, excluded_columns in validation_batches:
            rows = inputs.shape[0]
            hidden = model.hidden(inputs)[torch.arange(rows), last]  # [B, H] after the last input
            scores = model.output(hidden)  # [B, V]
            scores = torch.nan_to_num(scores, nan=-math.inf)
            scores[:, 0] = -math.inf
            scores[excluded_rows, excluded_columns] = -math.inf
            target_scores = scores[torch.arange(rows), targets]
            # Pessimistic ties: every competitor scoring >= the target ranks ahead of it (the
            # count includes the target itself, hence no + 1).
            ranks = (scores >= target_scores[:, None]).sum(dim=1)
            ranks = torch.where(torch.isinf(target_scores), torch.full_like(ranks, classes), ranks)
            top = ranks <= 10
            ndcg += discounts[ranks.clamp(max=10)][top].sum().item()
            hits += top.sum().item()
            cases += rows
    return {"ndcg@10": ndcg / cases, "hr@10": hits / cases}


history = []
for _ in range(args.eval_only):
    start, cpu_start = time.perf_counter(), time.process_time()
    metrics = validate()
    history.append({"validation_seconds": time.perf_counter() - start,
                    "validation_cpu_seconds": time.process_time() - cpu_start, "validation": metrics})
for epoch in range(0 if args.eval_only else epochs):
    batches = epoch_batches[epoch % len(epoch_batches)]
    start, cpu_start = time.perf_counter(), time.process_time()
    loss, target_count = train_epoch(batches)
    train_seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    start = time.perf_counter()
    metrics = validate()
    validation_seconds = time.perf_counter() - start
    history.append({"epoch": epoch + 1, "seconds": train_seconds, "cpu_seconds": cpu_seconds,
                    "validation_seconds": validation_seconds,
                    "train_loss": loss, "targets": target_count, "cloze_items": cloze_items, "validation": metrics})

print(json.dumps({
    "cell": args.cell, "hidden": args.hidden, "threads": torch.get_num_threads(), "seed": args.seed,
    "torch": torch.__version__, "history": history,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}), flush=True)
