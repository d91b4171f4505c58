#!/usr/bin/env python3
"""CI gate: on the synthetic long-range set, LSTM, GRU, SASRec and BERT4Rec must beat the tanh RNN.

Reads every report.json under the given directories, averages test hr@1 per model over seeds,
and fails unless each of LSTM, GRU, SASRec and BERT4Rec reaches GATED_FLOOR and beats the RNN
by MARGIN.
The numbers are the ones the long-range tests assert (Tests/SeqRecTests/LongRangeTests.swift).
"""
import json
import pathlib
import statistics
import sys

GATED_FLOOR = 0.8
MARGIN = 0.5
METRIC = "hr@1"

roots = [pathlib.Path(arg) for arg in sys.argv[1:]] or [pathlib.Path("results/ci/synthetic")]
values = {}
for path in sorted(p for root in roots for p in root.rglob("report.json")):
    report = json.loads(path.read_text())
    if report.get("status") != "ok":
        sys.exit(f"ci_margin: {path}: status {report.get('status')}: {report.get('message')}")
    cell = report["config"]["model"]["cell"]
    values.setdefault(cell, []).append(report["test"]["metrics"][METRIC])

means = {cell: statistics.mean(v) for cell, v in values.items()}
print(f"ci_margin: test {METRIC} by model: " + ", ".join(f"{c} {m:.3f} (n={len(values[c])})" for c, m in sorted(means.items())))
REMEMBERING = ("lstm", "gru", "sasrec", "bert4rec")
missing = {*REMEMBERING, "rnn"} - means.keys()
if missing:
    sys.exit(f"ci_margin: no reports for {sorted(missing)} under {' '.join(map(str, roots))}")
failures = []
for cell in REMEMBERING:
    if means[cell] < GATED_FLOOR:
        failures.append(f"{cell} {METRIC} {means[cell]:.3f} < {GATED_FLOOR}")
    if means[cell] - means["rnn"] < MARGIN:
        failures.append(f"{cell} beats rnn by {means[cell] - means['rnn']:.3f} < {MARGIN}")
if failures:
    sys.exit("ci_margin: FAILED: " + "; ".join(failures))
print("ci_margin: ok: LSTM, GRU, SASRec and BERT4Rec beat the RNN by the required margin")
