"""Golden fixtures for the recurrent stack (embedding + LSTM/GRU/RNN, 1 and 2 layers).

Run: /work/venv/bin/python Tests/Fixtures/make_golden_cells.py
Writes Tests/Fixtures/golden-cells/<cell>-<layers>.json, read by EncoderGoldenTests.swift.

PyTorch has no "carry the state through padded steps" mode, so the padded batch is run as
a step loop over nn.LSTMCell / nn.GRUCell / nn.RNNCell that share the nn.LSTM/GRU/RNN
weights, with h = where(mask, h_new, h) (and the same for c). The script first checks that
this loop reproduces nn.LSTM/GRU/RNN exactly on unpadded rows. The 2-layer fixtures also use
fixed inverted-dropout masks (p = 0.5) on the embedding output and between the layers.
"""
import json
import pathlib

import torch
from torch import nn

NUM_ITEMS, EMB, HID, B, T = 7, 4, 3, 3, 5
INPUTS = [[3, 1, 4, 1, 5],   # no padding
          [2, 7, 6, 0, 0],   # right padding (the data layer's layout)
          [0, 5, 0, 3, 0]]   # leading / middle / trailing padding: any mask must work
DROPOUT = 0.5
OUT = pathlib.Path(__file__).parent / "golden-cells"

RNN = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELL = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn": nn.RNNCell}


def step_cells(kind, rnn, layers):
    cells = []
    for layer in range(layers):
        input_size = EMB if layer == 0 else HID
        cell = CELL[kind](input_size, HID)
        # Share the very same Parameter objects, so gradients land in rnn's parameters.
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(cell, name, getattr(rnn, f"{name}_l{layer}"))
        cells.append(cell)
    return cells


def run_stack(kind, cells, x, mask, drop_masks):
    """x [B, T, E]; mask [B, T] bool; drop_masks[l] multiplies layer l's input. Returns
    outputs [B, T, H] and the top layer's final state [B, H]."""
    layer_input = x
    for layer, cell in enumerate(cells):
        if drop_masks:
            layer_input = layer_input * drop_masks[layer]
        h = torch.zeros(x.shape[0], HID)
        c = torch.zeros(x.shape[0], HID)
        outs = []
        for t in range(x.shape[1]):
            m = mask[:, t].unsqueeze(1)
            if kind == "lstm":
                h_new, c_new = cell(layer_input[:, t], (h, c))
                c = torch.where(m, c_new, c)
            else:
                h_new = cell(layer_input[:, t], h)
            h = torch.where(m, h_new, h)
            outs.append(h)
        layer_input = torch.stack(outs, dim=1)
    return layer_input, h


def check_step_loop_matches_module(kind, rnn, cells, emb):
    ids = torch.tensor([INPUTS[0], [1, 2, 3, 4, 5]])
    x = emb(ids)
    reference, _ = rnn(x)
    looped, _ = run_stack(kind, cells, x, ids != 0, [])
    assert torch.allclose(reference, looped, atol=1e-6), f"{kind}: step loop differs from nn module"


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make(kind, layers):
    torch.manual_seed(1000 + 10 * layers + list(RNN).index(kind))
    emb = nn.Embedding(NUM_ITEMS + 1, EMB, padding_idx=0)
    rnn = RNN[kind](EMB, HID, num_layers=layers, batch_first=True)
    cells = step_cells(kind, rnn, layers)
    check_step_loop_matches_module(kind, rnn, cells, emb)
    emb.zero_grad(); rnn.zero_grad()

    ids = torch.tensor(INPUTS)
    mask = ids != 0
    drop_masks = []
    if layers > 1:
        for layer in range(layers):
            width = EMB if layer == 0 else HID
            keep = (torch.rand(B, T, width) >= DROPOUT).float()
            drop_masks.append(keep / (1 - DROPOUT))
    upstream = torch.randn(B, T, HID)

    outputs, last = run_stack(kind, cells, emb(ids), mask, drop_masks)
    loss = (outputs * upstream).sum()
    loss.backward()

    params = {"embedding.weight": emb.weight}
    params.update({f"rnn.{name}": p for name, p in rnn.named_parameters()})
    fixture = {
        "cell": kind, "layers": layers, "numItems": NUM_ITEMS, "embeddingSize": EMB,
        "hiddenSize": HID, "batch": B, "steps": T, "dropout": DROPOUT if layers > 1 else 0.0,
        "inputs": [i for row in INPUTS for i in row],
        "dropoutMasks": [flat(m) for m in drop_masks],
        "upstream": flat(upstream),
        "outputs": flat(outputs),
        "lastHidden": flat(last),
        "loss": loss.item(),
        "parameters": {name: flat(p) for name, p in params.items()},
        "gradients": {name: flat(p.grad) for name, p in params.items()},
    }
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{kind}-{layers}.json"
    path.write_text(json.dumps(fixture) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    for kind in RNN:
        for layers in (1, 2):
            make(kind, layers)
