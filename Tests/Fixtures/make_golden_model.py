"""Writes the PyTorch golden fixtures of the heads/optimizer work (Tests/Fixtures/golden-model/).

Run from anywhere with the project's venv:  /work/venv/bin/python Tests/Fixtures/make_golden_model.py

1. optimizers.json: one small parameter [2, 5] (10 values: one 8-lane SIMD block plus a
   tail), three fixed gradients, and the parameter after each of 3 steps of every
   torch.optim optimizer seqrec implements, with weight decay.
2. <cell>-<layers>.json for cell in lstm/gru/rnn and 1/2 layers: nn.Embedding(padding_idx=0)
   -> nn.LSTM/GRU/RNN(batch_first, dropout 0) -> nn.Linear(H, V) -> CrossEntropyLoss (mean)
   on a right-padded batch where only valid positions carry targets. Written: the initial
   weights, inputs, targets, top-layer outputs [B, T, H] (compare at valid positions only),
   next-item logits after each row's last valid input [B, V], the loss, every gradient,
   and the parameters after 3 Adam steps and after 3 SGD-with-momentum steps (each step:
   zero grads, forward on the same batch, backward, step).
"""
import json
import os

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-model")
B, T, E, H, ITEMS = 3, 5, 4, 3, 7
V = ITEMS + 1
LENGTHS = [5, 3, 2]
ADAM = dict(lr=0.01)
SGD = dict(lr=0.1, momentum=0.9)


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def write(name, payload):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")


def optimizer_fixture():
    g = torch.Generator().manual_seed(7)
    initial = torch.randn(2, 5, generator=g)
    grads = [torch.randn(2, 5, generator=g) for _ in range(3)]
    cases = [
        ("sgd", dict(lr=0.1, weight_decay=0.01)),
        ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
        ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
        ("adamw", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
        ("adagrad", dict(lr=0.1, eps=1e-10, weight_decay=0.01)),
        ("rmsprop", dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.01)),
        ("rmsprop", dict(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.9, weight_decay=0.01)),
    ]
    classes = dict(sgd=torch.optim.SGD, adam=torch.optim.Adam, adamw=torch.optim.AdamW,
                   adagrad=torch.optim.Adagrad, rmsprop=torch.optim.RMSprop)
    out = []
    for kind, options in cases:
        p = torch.nn.Parameter(initial.clone())
        opt = classes[kind]([p], **options)
        after = []
        for grad in grads:
            p.grad = grad.clone()
            opt.step()
            after.append(flat(p))
        settings = dict(options)
        if "betas" in settings:
            settings["beta1"], settings["beta2"] = settings.pop("betas")
        out.append(dict(kind=kind, settings=settings, after=after))
    write("optimizers.json", dict(shape=[2, 5], initial=flat(initial), grads=[flat(x) for x in grads], cases=out))


class Model(torch.nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E, padding_idx=0)
        rnn = dict(lstm=torch.nn.LSTM, gru=torch.nn.GRU, rnn=torch.nn.RNN)[cell]
        self.rnn = rnn(E, H, num_layers=layers, batch_first=True, dropout=0.0)
        self.output = torch.nn.Linear(H, V)

    def forward(self, inputs):
        outputs, _ = self.rnn(self.embedding(inputs))
        return outputs, self.output(outputs)


def batch(seed):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.zeros(B, T, dtype=torch.long)
    targets = torch.zeros(B, T, dtype=torch.long)
    for b, length in enumerate(LENGTHS):
        inputs[b, :length] = torch.randint(1, V, (length,), generator=g)
        targets[b, :length] = torch.randint(1, V, (length,), generator=g)
    return inputs, targets


def loss_of(model, inputs, targets):
    outputs, logits = model(inputs)
    valid = targets != 0
    return outputs, logits, torch.nn.functional.cross_entropy(logits[valid], targets[valid])


def trained(model, initial, inputs, targets, make_optimizer):
    model.load_state_dict(initial)
    opt = make_optimizer(model.parameters())
    losses = []
    for _ in range(3):
        opt.zero_grad()
        _, _, loss = loss_of(model, inputs, targets)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {name: flat(p) for name, p in model.named_parameters()}, losses


def model_fixture(cell, layers, seed):
    torch.manual_seed(seed)
    model = Model(cell, layers)
    inputs, targets = batch(seed + 1)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    outputs, logits, loss = loss_of(model, inputs, targets)
    loss.backward()
    last = torch.tensor(LENGTHS) - 1
    next_logits = logits[torch.arange(B), last]
    params = {name: dict(shape=list(p.shape), data=flat(p)) for name, p in model.named_parameters()}
    grads = {name: flat(p.grad) for name, p in model.named_parameters()}
    after_adam, adam_losses = trained(model, initial, inputs, targets, lambda ps: torch.optim.Adam(ps, **ADAM))
    after_sgd, sgd_losses = trained(model, initial, inputs, targets, lambda ps: torch.optim.SGD(ps, **SGD))
    write(f"{cell}-{layers}.json", dict(
        cell=cell, layers=layers, batch=B, steps=T, embedding=E, hidden=H, items=ITEMS,
        inputs=inputs.reshape(-1).tolist(), targets=targets.reshape(-1).tolist(), lengths=LENGTHS,
        parameters=params, outputs=flat(outputs), next_logits=flat(next_logits), loss=loss.item(), grads=grads,
        adam=dict(ADAM, parameters=after_adam, losses=adam_losses),
        sgd=dict(SGD, parameters=after_sgd, losses=sgd_losses)))


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    torch.set_num_threads(1)
    optimizer_fixture()
    for index, cell in enumerate(["lstm", "gru", "rnn"]):
        for layers in (1, 2):
            model_fixture(cell, layers, seed=100 + 10 * index + layers)
    print("wrote", sorted(os.listdir(HERE)))
