#!/usr/bin/env python3
"""Reads seqrec's TensorBoard event files with TensorBoard's own reader and checks them.

usage: check_tensorboard.py RUNNER WORKDIR

Trains the tiny end-to-end experiment for 3 epochs, kills nothing; then a second run of the
same config is stopped after epoch 2 of 4 (SIGINT) and resumed, so that the resumed file's
session-start marker is exercised. For each run directory, TensorBoard's EventAccumulator
(tensorboard.backend.event_processing, with purge_orphaned_data as TensorBoard uses it) must
read every record (CRC checked), find one train/loss and one validation/<metric> point per
epoch equal to report.json's history (float32), the test metrics equal to the report's, and
the HParams session start (settings) and end (status SUCCESS). Exits 1 naming the mismatch.
Needs the `tensorboard` package (pip); the Swift test suite does not.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "Tests/Fixtures/e2e/tiny.yaml")


def fail(message):
    print(f"check_tensorboard: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)


def check_run(directory):
    report = json.load(open(os.path.join(directory, "report.json")))
    events = [name for name in os.listdir(directory) if "tfevents" in name]
    if not events:
        fail(f"{directory}: no event file")
    recorded = set(report.get("files", {}))
    if not set(events) <= recorded:
        fail(f"{directory}: event files {sorted(set(events) - recorded)} not in the report's files")
    accumulator = event_accumulator.EventAccumulator(directory, size_guidance={"scalars": 0, "tensors": 0},
                                                     purge_orphaned_data=True)
    accumulator.Reload()
    tags = accumulator.Tags()
    history = report["history"]
    loss = accumulator.Scalars("train/loss")
    if [point.step for point in loss] != [epoch["epoch"] for epoch in history]:
        fail(f"{directory}: train/loss steps {[p.step for p in loss]}, history epochs {[e['epoch'] for e in history]}")
    for point, epoch in zip(loss, history):
        if not close(point.value, epoch["train_loss"]):
            fail(f"{directory}: train/loss at {point.step} is {point.value}, report {epoch['train_loss']}")
    for metric in history[-1].get("validation", {}):
        points = {p.step: p.value for p in accumulator.Scalars(f"validation/{metric}")}
        for epoch in history:
            value = epoch.get("validation", {}).get(metric)
            if value is not None and not close(points.get(epoch["epoch"], float("nan")), value):
                fail(f"{directory}: validation/{metric} at {epoch['epoch']}: {points.get(epoch['epoch'])}, report {value}")
    for metric, value in report["test"]["metrics"].items():
        points = accumulator.Scalars(f"test/{metric}")
        if len(points) != 1 or not close(points[0].value, value):
            fail(f"{directory}: test/{metric} {[p.value for p in points]}, report {value}")
    plugin = accumulator.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"]).session_start_info
    end = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_end_info"]).session_end_info
    config = report["config"]
    expected = {"model.cell": config["model"]["cell"], "training.optimizer.learning_rate": config["training"]["optimizer"]["learning_rate"],
                "seed": config["seed"]}
    for name, value in expected.items():
        found = start.hparams[name]
        got = found.string_value if isinstance(value, str) else found.number_value
        if got != value:
            fail(f"{directory}: hparam {name} = {got!r}, config {value!r}")
    if start.group_name != report["name"]:
        fail(f"{directory}: group {start.group_name!r}, run {report['name']!r}")
    if end.status != 1:
        fail(f"{directory}: session end status {end.status}, expected 1 (success)")
    print(f"check_tensorboard: {os.path.basename(directory)}: {len(events)} event file(s), {len(loss)} epochs, "
          f"{len(tags['scalars'])} scalar tags, {len(start.hparams)} hparams: ok", flush=True)


def main():
    runner, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    whole = os.path.join(work, "whole")
    subprocess.run([runner, CONFIG, "--quiet", "--set", f"output.dir={whole}", "--set", "training.epochs=3"], check=True)
    check_run(whole)
    # Interrupted after its second epoch (the run stops at the end of the batch), then resumed.
    resumed = os.path.join(work, "resumed")
    flags = ["--set", f"output.dir={resumed}", "--set", "training.epochs=6"]
    child = subprocess.Popen([runner, CONFIG, "--epoch-lines"] + flags, stderr=subprocess.PIPE, text=True)
    for line in child.stderr:
        if ": epoch   2 " in line:
            child.send_signal(signal.SIGINT)
            break
    child.communicate()
    state = json.load(open(os.path.join(resumed, "report.json")))["status"]
    if state != "interrupted":
        fail(f"the interrupted run's report says {state}")
    subprocess.run([runner, CONFIG, "--quiet"] + flags, check=True)
    files = [name for name in os.listdir(resumed) if "tfevents" in name]
    if len(files) != 2:
        fail(f"{resumed}: {len(files)} event files, expected 2 (the first process's and the resumed one's)")
    check_run(resumed)


if __name__ == "__main__":
    main()
