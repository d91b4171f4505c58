#!/usr/bin/env python3
"""Reference p-values for the compare tests, computed with scipy (committed as fixtures so the
Swift tests need no Python). Writes Tests/Fixtures/compare/expected/significance.json:

- "vectors": difference vectors (ties, zeros, tiny and large samples) with scipy's
  ttest_1samp (= ttest_rel on the pairs) and wilcoxon(d, zero_method="wilcox", correction=False,
  method="asymptotic") results, plus betainc values for the incomplete beta function;
- "pairs": for the fixture reports in Tests/Fixtures/compare/cells, every pair of
  configurations differing in one setting, pooled independently of the Swift code: per seed
  present in both with a per_user.tsv, pair users, skip NaN, difference = first - second of the
  float32 values widened to float64.

Run after Tests/Fixtures/compare/make_fixtures.py: python3 Tests/Fixtures/make_significance.py
"""
import glob
import json
import math
import os

import numpy as np
from scipy import special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "compare")


def tests(differences):
    d = np.asarray(differences, dtype=np.float64)
    out = {"n": int(d.size), "mean_difference": float(d.mean())}
    sd = float(d.std(ddof=1)) if d.size > 1 else float("nan")
    out["effect_size"] = float(d.mean() / sd) if sd > 0 else None
    t = stats.ttest_1samp(d, 0.0)
    # JSON has no infinity: written as the strings the Swift decoder maps back.
    out["t_statistic"] = (None if math.isnan(t.statistic) else float(t.statistic) if math.isfinite(t.statistic)
                          else ("Infinity" if t.statistic > 0 else "-Infinity"))
    out["t_p"] = None if math.isnan(t.pvalue) else float(t.pvalue)
    nonzero = d[d != 0]
    out["wilcoxon_n"] = int(nonzero.size)
    if nonzero.size > 0:
        w = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="asymptotic")
        out["wilcoxon_z"] = float(w.zstatistic)
        out["wilcoxon_p"] = float(w.pvalue)
    else:
        out["wilcoxon_z"] = None
        out["wilcoxon_p"] = None
    return out


def vectors():
    rng = np.random.default_rng(6)
    cases = {
        "small_no_ties": [0.5, -1.25, 2.0, 3.5, 0.75, 1.5, -0.25, 2.25],
        "ties_and_zeros": [0.0, 0.5, -0.5, 0.5, 1.0, 0.0, 1.0, 1.0, -1.0, 0.25, 0.5, 0.0, 2.0],
        "ndcg_like": list(np.round(rng.choice([0, 0.3154649, 0.3868528, 0.5, 0.6309298, 1.0], 300)
                                   - rng.choice([0, 0.3154649, 0.3868528, 0.5, 1.0], 300), 7)),
        "large_shift": list(rng.normal(0.02, 0.05, 2000)),
        "constant_positive": [0.25, 0.25, 0.25, 0.25],
        "two_values": [1.0, -3.0],
    }
    return [{"name": name, "differences": [float(x) for x in values], **tests(values)}
            for name, values in cases.items()]


def betainc_cases():
    points = [(0.3, 2.0, 3.0), (0.9, 0.5, 0.5), (0.001, 10.0, 0.5), (0.999, 1000.0, 0.5),
              (0.5, 50.0, 50.0), (0.2, 0.5, 7.5), (0.95, 1.5, 400.0)]
    return [{"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))} for x, a, b in points]


def read_per_user(path):
    users = {}
    with open(path) as file:
        next(file)
        for line in file:
            user, value = line.rstrip("\n").split("\t")
            users[int(user)] = float(np.float32(value))
    return users


def fixture_pairs():
    configs = {}  # (cell, hidden) -> {seed: per-user values or None}
    for report_path in sorted(glob.glob(os.path.join(COMPARE, "cells", "*", "report.json"))):
        report = json.load(open(report_path))
        if report["status"] != "ok":
            continue
        key = (report["config"]["model"]["cell"], report["config"]["model"]["hiddenSize"])
        sidecar = report.get("test", {}).get("per_user_file")
        path = os.path.join(os.path.dirname(report_path), sidecar) if sidecar else None
        values = read_per_user(path) if path and os.path.exists(path) else None
        configs.setdefault(key, {})[report["config"]["seed"]] = values
    keys = sorted(configs)
    pairs = []
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            if (first[0] != second[0]) + (first[1] != second[1]) != 1:
                continue
            differences, seeds = [], []
            for seed, a in sorted(configs[first].items()):
                b = configs[second].get(seed)
                if a is None or b is None:
                    continue
                seeds.append(seed)
                for user, value in a.items():
                    other = b.get(user)
                    if other is None or math.isnan(value) or math.isnan(other):
                        continue
                    differences.append(value - other)
            pairs.append({"first": {"cell": first[0], "hidden_size": first[1]},
                          "second": {"cell": second[0], "hidden_size": second[1]},
                          "seeds": seeds, **tests(differences)})
    return pairs


def main():
    os.makedirs(os.path.join(COMPARE, "expected"), exist_ok=True)
    result = {"scipy_version": __import__("scipy").__version__, "vectors": vectors(),
              "betainc": betainc_cases(), "pairs": fixture_pairs()}
    with open(os.path.join(COMPARE, "expected", "significance.json"), "w") as file:
        json.dump(result, file, indent=1, sort_keys=True, allow_nan=False)
        file.write("\n")


if __name__ == "__main__":
    main()
