#!/usr/bin/env python3
"""Writes the fixture reports for the compare tests (deterministic; standard library only).

Layout (under this directory):
  cells/<cell><hidden>-s<seed>/report.json + per_user.tsv   lstm50, gru50, rnn50, gru100 x seeds 1, 2
                                                           (rnn50-s2 has no sidecar)
  failed/lstm50-s3 (diverged), failed/rnn50-s3 (failed)    not ok: listed below the table
  sampled/lstm50-s1                                        same model, sampled candidates: another protocol

Run: python3 Tests/Fixtures/compare/make_fixtures.py, then python3 Tests/Fixtures/make_significance.py.
"""
import json
import math
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = 80
QUALITY = {"lstm": 0.08, "gru": 0.075, "rnn": 0.045}  # chance per rank step that the target is hit
EPOCH_SECONDS = {("lstm", 50): 4.2, ("gru", 50): 3.6, ("rnn", 50): 2.1, ("gru", 100): 6.3}
PARAMETERS = {("lstm", 50): 131_282, ("gru", 50): 120_882, ("rnn", 50): 100_082, ("gru", 100): 160_882}


def f32(value):
    """The float32 nearest to value, as its shortest text (what the Swift writer emits)."""
    rounded = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 12):
        text = f"{rounded:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == rounded:
            return text if ("." in text or "e" in text) else text + ".0"
    return repr(rounded)


def config(cell, hidden, seed, name, candidates):
    return {
        "dataset": {"duplicates": "keep", "minItemInteractions": 1, "minUserInteractions": 5,
                    "name": "movielens-100k"},
        "evaluation": {"candidates": candidates, "excludeSeen": True,
                       "metrics": [{"k": 10, "kind": "hr"}, {"k": 10, "kind": "ndcg"}, {"k": 10, "kind": "mrr"}]},
        "model": {"cell": cell, "dropout": 0.2, "embeddingSize": 64, "hiddenSize": hidden, "layers": 1},
        "name": name,
        "output": {"dir": f"results/{name}"},
        "seed": seed,
        "split": {"maxLength": 50, "method": "leave-one-out", "ratios": [0.8, 0.1, 0.1], "temporalCuts": [0.8, 0.9]},
        "task": "next-item",
        "training": {"batchSize": 256, "epochs": 30, "evalEvery": 1, "loss": "cross-entropy",
                     "optimizer": {"learningRate": 0.001, "name": "adam"}},
    }


def make_run(directory, cell, hidden, seed, status="ok", sidecar=True, sampled=False, name="cells"):
    rng = random.Random(f"{cell}-{hidden}-{seed}-{sampled}")
    quality = QUALITY[cell] + (0.01 if hidden == 100 else 0) + (0.25 if sampled else 0)
    # Per-user ndcg@10 from a rank: geometric in the model's quality, NaN for three users.
    ndcg, hits, reciprocal = [], [], []
    for user in range(USERS):
        if user in (7, 41, 66):
            ndcg.append(float("nan"))
            continue
        rank = 1
        while rng.random() > quality and rank < 60:
            rank += 1
        ndcg.append(1 / math.log2(rank + 1) if rank <= 10 else 0.0)
        hits.append(1.0 if rank <= 10 else 0.0)
        reciprocal.append(1 / rank if rank <= 10 else 0.0)
    texts = [("NaN" if math.isnan(v) else f32(v)) for v in ndcg]
    finite = [float(t) for t in texts if t != "NaN"]
    epochs = {"ok": rng.randint(4, 6), "diverged": 3, "failed": 2}[status]
    seconds = EPOCH_SECONDS[(cell, hidden)]
    history, best, best_value = [], 1, -1.0
    for epoch in range(1, epochs + 1):
        loss = 7.2 - 0.35 * epoch * (quality / 0.08) + rng.uniform(-0.05, 0.05)
        if status == "diverged" and epoch == epochs:
            loss = "NaN"
        value = round(quality * 3.4 * (0.8 + 0.1 * math.log(epoch)) + rng.uniform(-0.012, 0.012), 6)
        record = {"epoch": epoch, "learning_rate": 0.001, "seconds": round(seconds + rng.uniform(-0.2, 0.2), 3),
                  "targets_per_second": 20000, "train_loss": loss if isinstance(loss, str) else round(loss, 6),
                  "validation": {"hr@10": round(value * 1.9, 6), "ndcg@10": value}}
        history.append(record)
        if value > best_value:
            best, best_value = epoch, value
    candidates = {"sampled": {"count": 100, "strategy": "uniform"}} if sampled else {"all": {}}
    candidates_text = "sampled-100-uniform" if sampled else "all"
    run_name = f"{name}-{cell}{hidden}-s{seed}"
    report = {
        "schema_version": 1,
        "run_id": f"{run_name}-20261129T0{seed}0000Z-0000000{seed}",
        "name": name,
        "config": config(cell, hidden, seed, name, candidates),
        "config_hash": "0" * 64,
        "provenance": {"cores": 2, "os": "Debian GNU/Linux 12 (bookworm)", "swift_version": "6.3",
                       "swift_version_source": "compile-time", "threads": 2},
        "started_at": f"2026-11-29T0{seed}:00:00.000Z",
        "status": status,
        "message": {"ok": "early stop", "diverged": "loss became NaN in epoch 3",
                    "failed": "cannot read data/ml-100k/u.data"}[status],
        "history": history,
        "dataset": {"source": "movielens-100k", "sha256": "0f" * 32, "users": 943, "items": 1682,
                    "interactions": 100000},
        "split": {"method": "leave-one-out", "max_length": 50, "test_cases": USERS, "validation_cases": USERS},
    }
    if status == "ok":
        report["finished_at"] = f"2026-11-29T0{seed}:10:00.000Z"
        report["best_epoch"] = best
        test = {"candidates": candidates_text, "sampled": sampled, "cases": len(finite),
                "metrics": {"ndcg@10": round(sum(finite) / len(finite), 6),
                            "hr@10": round(sum(hits) / len(hits), 6),
                            "mrr@10": round(sum(reciprocal) / len(reciprocal), 6)}}
        if sidecar:
            test["per_user_file"] = "per_user.tsv"
            test["per_user_metric"] = "ndcg@10"
        report["test"] = test
        report["validation"] = {"candidates": candidates_text, "sampled": sampled, "cases": USERS,
                                "metrics": history[best - 1]["validation"]}
        report["timing"] = {"total_seconds": round(sum(r["seconds"] for r in history) + 1.5, 3)}
        report["parameter_count"] = PARAMETERS[(cell, hidden)]
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "report.json"), "w") as file:
        json.dump(report, file, indent=2, sort_keys=True)
        file.write("\n")
    if status == "ok" and sidecar:
        with open(os.path.join(directory, "per_user.tsv"), "w") as file:
            file.write("user\tndcg@10\n")
            for user, text in enumerate(texts):
                file.write(f"{user}\t{text}\n")


def main():
    for folder in ("cells", "failed", "sampled"):
        shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)
    for cell, hidden in (("lstm", 50), ("gru", 50), ("rnn", 50), ("gru", 100)):
        for seed in (1, 2):
            make_run(os.path.join(HERE, "cells", f"{cell}{hidden}-s{seed}"), cell, hidden, seed,
                     sidecar=not (cell == "rnn" and seed == 2))
    make_run(os.path.join(HERE, "failed", "lstm50-s3"), "lstm", 50, 3, status="diverged")
    make_run(os.path.join(HERE, "failed", "rnn50-s3"), "rnn", 50, 3, status="failed")
    make_run(os.path.join(HERE, "sampled", "lstm50-s1"), "lstm", 50, 1, sampled=True, name="sampled")


if __name__ == "__main__":
    main()
