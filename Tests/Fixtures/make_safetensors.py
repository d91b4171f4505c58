"""Writes the safetensors fixtures (Tests/Fixtures/safetensors/) with the reference Python library.

Run from anywhere with a venv holding safetensors, numpy and torch (CPU is enough):
    python3 -m venv /work/venv-st && /work/venv-st/bin/pip install safetensors numpy torch
    /work/venv-st/bin/python Tests/Fixtures/make_safetensors.py

1. Files written by safetensors.numpy / safetensors.torch, described in expected.json: per file
   the metadata, and per tensor its dtype, shape, raw little-endian bytes (hex) and its values
   (F32 as numbers, I64 as strings so they stay exact). `byte_identical` marks the files whose
   header the Swift writer must reproduce byte for byte: those with at most one metadata entry.
   With two or more, the library writes the metadata keys in Rust HashMap order, which changes
   from run to run, so regenerating rewrites those headers with the same content reordered.
2. corrupt/*.safetensors: hand-made damaged files. corrupt.json records, for each, what the
   Python library says when loading it (null where it accepts the file); the exact messages of
   the Swift reader are in Tests/SeqRecTests/SafeTensorsTests.swift.
3. model-<cell>.safetensors + model-<cell>.json for lstm (2 layers), gru and rnn (tanh, 1 layer):
   nn.Embedding(V, E, padding_idx=0) -> nn.LSTM/GRU/RNN(E, H, batch_first) -> nn.Linear(H, V),
   saved as its state_dict with safetensors.torch.save_file (keys embedding.weight,
   rnn.weight_ih_l0, ..., output.weight, output.bias). The JSON holds right-padded inputs [B, T]
   (pad 0 at the end), their lengths, and the logits [B, V] after each row's last valid input.
   The script checks that load_file + load_state_dict into fresh modules gives the same logits.
"""
import json
import os
import struct

import numpy as np
import safetensors
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import load_file
from safetensors.torch import save_file as save_torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
CORRUPT = os.path.join(HERE, "corrupt")
B, T, E, H, ITEMS = 3, 5, 4, 3, 7
V = ITEMS + 1
LENGTHS = [5, 3, 2]


def raw_header(path):
    with open(path, "rb") as f:
        return f.read(struct.unpack("<Q", f.read(8))[0])


def describe(path, metadata):
    """What a reader must find in `path`, taken from the arrays as the library loads them back."""
    from safetensors import safe_open
    header = json.loads(raw_header(path))
    tensors = {}
    with safe_open(path, framework="pt") as f:
        for name in f.keys():
            t = f.get_tensor(name)
            entry = dict(dtype=header[name]["dtype"], shape=list(t.shape),
                         hex=t.reshape(-1).view(torch.uint8).numpy().tobytes().hex())
            if t.dtype == torch.float32:
                entry["values"] = [float(x) for x in t.reshape(-1).tolist()]
            elif t.dtype == torch.int64:
                entry["values"] = [str(x) for x in t.reshape(-1).tolist()]
            tensors[name] = entry
        assert (f.metadata() or {}) == metadata, (f.metadata(), metadata)
    return dict(metadata=metadata, tensors=tensors, byte_identical=len(metadata) <= 1)


def library_files():
    """Small files covering shapes, dtypes, names, metadata escapes and header padding."""
    rng = np.random.default_rng(5)
    files = {}

    mixed = {
        "embedding.weight": rng.standard_normal((3, 2)).astype(np.float32),
        "vector": np.array([1.5, -0.0, 1e-45, 3.4028235e38, -2.25], dtype=np.float32),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "item_ids": np.array([0, -1, 2**53 + 1, -(2**63)], dtype=np.int64),
    }
    metadata = {"format": "np", "note": "héllo — ✓ 日本語", "config": '{"cell": "lstm", "sizes": [4, 3], "q": "a\\"b"}',
                "empty": "", "lines": "tab\there\nnewline"}
    save_numpy(mixed, os.path.join(HERE, "numpy-mixed.safetensors"), metadata=metadata)
    files["numpy-mixed.safetensors"] = metadata

    # Names in a byte order that is neither dtype, insertion nor Swift String order, escapes
    # in names and in the single metadata entry: the header must come out byte for byte.
    ordered = {
        "b": torch.arange(3, dtype=torch.float32),
        "B": torch.tensor([7, 8], dtype=torch.int64),
        "日本": torch.tensor([[1.0, 2.0]], dtype=torch.float32),
        # Byte order puts "e\u0301" before "f"; Swift's String < (NFC, so U+00E9) puts it after.
        "e\u0301": torch.tensor([3.0], dtype=torch.float32),
        "f": torch.tensor([4.0], dtype=torch.float32),
        'quote"back\\slash\ttab\x01': torch.tensor([-1.0], dtype=torch.float32),
        "half": torch.tensor([1.0, -2.0], dtype=torch.float16),
        "brain": torch.tensor([0.5], dtype=torch.bfloat16),
        "ints": torch.tensor([1, -2, 3], dtype=torch.int32),
        "wide": torch.tensor([0.1], dtype=torch.float64),
        "flags": torch.tensor([True, False, True]),
    }
    metadata = {"note": 'ünïcode "quoted" \\ back\n\r\b\f\u0000\u001f\u007f</'}
    save_torch(ordered, os.path.join(HERE, "torch-ordered.safetensors"), metadata=metadata)
    files["torch-ordered.safetensors"] = metadata

    save_torch({"w": torch.ones(2, 2)}, os.path.join(HERE, "torch-no-metadata.safetensors"))
    files["torch-no-metadata.safetensors"] = {}

    save_numpy({}, os.path.join(HERE, "numpy-empty.safetensors"))
    files["numpy-empty.safetensors"] = {}

    # A header whose JSON is already a multiple of 8 bytes long, so no padding is added.
    for length in range(1, 9):
        name = "n" * length
        path = os.path.join(HERE, "torch-unpadded.safetensors")
        save_torch({name: torch.zeros(1)}, path)
        if not raw_header(path).endswith(b" "):
            break
    else:
        raise SystemExit("no unpadded header found")
    files["torch-unpadded.safetensors"] = {}

    return {name: describe(os.path.join(HERE, name), metadata) for name, metadata in files.items()}


def framed(header, data=b"", declared=None):
    header = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(header) if declared is None else declared) + header + data


def corrupt_files():
    """Damaged files, each breaking one rule; returns what the Python library says about each."""
    f32 = lambda n: struct.pack(f"<{n}f", *range(n))
    one = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    two = lambda a, b: '{"a":{"dtype":"F32","shape":[2],"data_offsets":[%d,%d]},"b":{"dtype":"F32","shape":[2],"data_offsets":[%d,%d]}}' % (*a, *b)
    cases = {
        "too-short": b"\x10\x00\x00\x00\x00",
        "header-too-large": framed("{}", declared=100_000_001),
        "header-past-end": framed(one, f32(2), declared=1000),
        "header-not-utf8": framed(b'{"\xff":{}}'),
        "not-an-object": framed("[1, 2]"),
        "bad-json": framed('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}', f32(2)),
        "unknown-dtype": framed(one.replace("F32", "F31"), f32(2)),
        "size-mismatch": framed(one.replace("[2]", "[3]"), f32(2)),
        "offsets-out-of-range": framed(one.replace("[0,8]", "[0,8]"), f32(1)),
        "overlapping-offsets": framed(two((0, 8), (4, 12)), f32(3)),
        "hole-in-buffer": framed(two((0, 8), (12, 20)), f32(5)),
        "trailing-bytes": framed(one, f32(3)),
        "reversed-offsets": framed(one.replace("[0,8]", "[8,0]"), f32(2)),
        "shape-overflow": framed(one.replace("[2]", "[4294967296,4294967296]"), f32(2)),
        "duplicate-tensor": framed(two((0, 8), (8, 16)).replace('"b"', '"a"'), f32(4)),
        "metadata-not-string": framed('{"__metadata__":{"epoch":3},' + one[1:], f32(2)),
        "missing-field": framed('{"a":{"dtype":"F32","data_offsets":[0,8]}}', f32(2)),
        "negative-offset": framed(one.replace("[0,8]", "[-8,0]"), f32(2)),
        # Distinct names to Python, one name to Swift (canonical equivalence): the Swift reader refuses.
        "equivalent-names": framed(two((0, 8), (8, 16)).replace('"a"', '"\u00e9"').replace('"b"', '"e\u0301"'), f32(4)),
    }
    from safetensors.numpy import load
    said = {}
    for name, content in cases.items():
        with open(os.path.join(CORRUPT, name + ".safetensors"), "wb") as f:
            f.write(content)
        try:
            load(content)
            said[name] = None
        except Exception as error:  # the library raises SafetensorError or others
            said[name] = f"{type(error).__name__}: {error}"
    return said


class Model(torch.nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E, padding_idx=0)
        recurrent = dict(lstm=torch.nn.LSTM, gru=torch.nn.GRU, rnn=torch.nn.RNN)[cell]
        extra = dict(nonlinearity="tanh") if cell == "rnn" else {}
        self.rnn = recurrent(E, H, num_layers=layers, batch_first=True, **extra)
        self.output = torch.nn.Linear(H, V)

    def next_logits(self, inputs, lengths):
        outputs, _ = self.rnn(self.embedding(inputs))  # [B, T, H]
        last = outputs[torch.arange(len(lengths)), torch.tensor(lengths) - 1]  # [B, H]
        return self.output(last)  # [B, V]


def model_fixture(cell, layers, seed):
    torch.manual_seed(seed)
    model = Model(cell, layers).eval()
    g = torch.Generator().manual_seed(seed + 1)
    inputs = torch.zeros(B, T, dtype=torch.long)
    for b, length in enumerate(LENGTHS):
        inputs[b, :length] = torch.randint(1, V, (length,), generator=g)
    with torch.no_grad():
        logits = model.next_logits(inputs, LENGTHS)
    name = f"model-{cell}"
    path = os.path.join(HERE, name + ".safetensors")
    metadata = dict(cell=cell, layers=str(layers), embedding_size=str(E), hidden_size=str(H), items=str(ITEMS))
    save_torch(model.state_dict(), path, metadata=metadata)

    reloaded = Model(cell, layers).eval()
    reloaded.load_state_dict(load_file(path))
    with torch.no_grad():
        assert torch.equal(reloaded.next_logits(inputs, LENGTHS), logits)
    payload = dict(cell=cell, layers=layers, batch=B, steps=T, embedding=E, hidden=H, items=ITEMS,
                   metadata=metadata, parameters={k: list(v.shape) for k, v in model.state_dict().items()},
                   inputs=inputs.reshape(-1).tolist(), lengths=LENGTHS,
                   next_logits=[float(x) for x in logits.reshape(-1).tolist()])
    write_json(name + ".json", payload)


def write_json(name, payload):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(CORRUPT, exist_ok=True)
    torch.set_num_threads(1)
    write_json("expected.json", dict(library_version=safetensors.__version__, files=library_files()))
    write_json("corrupt.json", corrupt_files())
    for index, (cell, layers) in enumerate([("lstm", 2), ("gru", 1), ("rnn", 1)]):
        model_fixture(cell, layers, seed=200 + index)
    print("wrote", sorted(os.listdir(HERE)), sorted(os.listdir(CORRUPT)))
