#!/usr/bin/env python3
"""The scale check of `make bench-scale`: epoch time at a large catalogue against a small one.

Usage: scripts/bench_scale.py RUNNER LARGE.yaml SMALL.yaml [EPOCHS]

Each config is run twice, for 1 and for 1 + EPOCHS (default 3) epochs, with validation only
after the last epoch. The CPU time (user + system) of the runner process is measured for both
runs and their difference divided by EPOCHS is the CPU time of one training epoch: data
generation, initialisation, evaluation and first-epoch warm-up cancel out, and CPU time is not
inflated by other processes on a shared machine the way wall time is. Also printed: the wall
time of each epoch (from the longer run's report.json) and of one full-ranking pass (the
report's evaluation time over its 3 passes: last-epoch validation, final validation, test).
Exits 1 when the ratio exceeds 1.5.
"""
import json
import os
import resource
import subprocess
import sys

OUTPUT = os.path.join("results", "bench-scale")


def run(runner, config, epochs):
    name = os.path.splitext(os.path.basename(config))[0]
    output = os.path.join(OUTPUT, f"{name}-{epochs}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([runner, config, "--quiet", "--set", f"training.epochs={epochs}",
                    "--set", "training.eval_every=1000", "--set", f"output.dir={output}"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(output, "report.json")) as f:
        return cpu, json.load(f)


def measure(runner, config, epochs):
    short_cpu, _ = run(runner, config, 1)
    long_cpu, report = run(runner, config, 1 + epochs)
    return {
        "name": report["name"],
        "items": report["dataset"]["items"],
        "epoch_cpu": (long_cpu - short_cpu) / epochs,
        "epoch_wall": [epoch["seconds"] for epoch in report["history"]],
        "pass_wall": report["timing"]["evaluation_seconds"] / 3,
        "blas": report["provenance"].get("blas"),
    }


def main():
    runner, large_config, small_config = sys.argv[1:4]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    large, small = measure(runner, large_config, epochs), measure(runner, small_config, epochs)
    for result in (large, small):
        walls = ", ".join(f"{s:.2f}" for s in result["epoch_wall"])
        print(f"{result['name']:>12}: {result['items']:>7,} items  epoch {result['epoch_cpu']:.2f} s CPU "
              f"(wall per epoch: {walls} s)  full-ranking pass {result['pass_wall']:.2f} s wall")
    blas = large["blas"]
    if blas:
        kernels = f", {blas['core']} kernels" if blas.get("core") else ""
        print(f"BLAS: {blas['name']} {blas.get('version', '')}{kernels}, chosen by {blas['chosen_by']}")
    ratio = large["epoch_cpu"] / small["epoch_cpu"]
    verdict = "within" if ratio <= 1.5 else "OVER"
    print(f"epoch time ratio {large['items']:,} / {small['items']:,} items: {ratio:.2f}x ({verdict} the 1.5x target)")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
