"""`make bench-e2e`: seqrec's whole training epoch and validation pass against PyTorch.

For each repetition, thread count, cell and hidden size, in turn and in the same run:
  1. the release `runner` trains the experiment (default experiments/lstm50.yaml with the cell,
     size, learning rate 1e-3, E epochs, no early stopping, `training.threads`), and its
     report.json gives the seconds of each training epoch, the evaluation time and the
     validation NDCG@10 after epoch E;
  2. bench/e2e_torch.py trains the same model in PyTorch on the batches seqrec's trainer used
     (exported by `seqrec-bench export-split` for the same seed) and scores the same
     validation cases the same way.
Each child's peak resident memory comes from wait4's rusage. Repetition r uses seed
SEED + r on both sides (the batches, the initialization and the dropout change with it), so
the NDCG@10 columns average over seeds. This machine's single-core sgemm rate is measured in
the same run (`seqrec-bench sgemm-rate`, before and after; the better of the two).

Prints a markdown table (also written to OUT/result.md) and writes every raw number to
OUT/raw.json. Times are wall-clock seconds, medians over all epochs of all repetitions.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "sasrec": "SASRec", "bert4rec": "BERT4Rec"}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="experiments/lstm50.yaml")
    parser.add_argument("--sasrec-config", default="experiments/sasrec.yaml", help="the experiment of cell sasrec")
    parser.add_argument("--bert4rec-config", default="experiments/bert4rec-recbole.yaml", help="the experiment of cell bert4rec")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="any of lstm, gru, rnn, sasrec, bert4rec")
    parser.add_argument("--hidden", default="50,128")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="fixed epoch budget of every run")
    parser.add_argument("--learning-rate", default="0.001")
    parser.add_argument("--seed", type=int, default=42, help="repetition r uses seed SEED + r")
    parser.add_argument("--python", default=sys.executable, help="the Python with torch for e2e_torch.py")
    parser.add_argument("--runner", default=os.path.join(ROOT, ".build/release/runner"))
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build/release/seqrec-bench"))
    parser.add_argument("--output", default=os.path.join(ROOT, ".build/bench-e2e"))
    parser.add_argument("--skip-torch", action="store_true", help="time seqrec only")
    parser.add_argument("--from-raw", metavar="RAW_JSON", help="only print the table of an earlier (even partial) run")
    return parser.parse_args()


def run_child(command, log_path, env=None):
    """Runs a child to completion; returns (stdout text, wall seconds, peak RSS MB, CPU seconds)."""
    with open(log_path + ".out", "w") as out, open(log_path + ".err", "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        with open(log_path + ".err") as err:
            tail = err.read()[-2000:]
        raise SystemExit(f"e2e.py: {' '.join(command)} exited with {process.returncode}:\n{tail}")
    with open(log_path + ".out") as out:
        text = out.read()
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1048576
    return text, wall, peak_mb, usage.ru_utime + usage.ru_stime


def sgemm_rates(args, hidden):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    text, *_ = run_child([args.bench, "sgemm-rate", "--hidden", ",".join(map(str, hidden))],
                         os.path.join(args.output, "logs", "sgemm"), env=env)
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def add_cpu_estimate(run):
    """The machine is shared: a child may get less than its threads' worth of the cores. The
    report has wall times per epoch only, so each epoch's CPU time is estimated as its wall time
    x the child's CPU share over its whole life (CPU seconds / wall seconds); at 1 thread this
    removes most of the waiting for other processes. The same estimate serves both sides (PyTorch
    also reports its exact per-epoch process time, kept in raw.json to check the estimate)."""
    share = run["cpu"] / run["wall"]
    run["cpu_share"] = share
    run["epoch_cpu_estimate"] = [seconds * share for seconds in run["epoch_seconds"]]


def median(values):
    return statistics.median(values) if values else float("nan")


def mean(values):
    return statistics.fmean(values) if values else float("nan")


def main():
    args = parse_arguments()
    raw = None
    if args.from_raw:
        with open(args.from_raw) as handle:
            raw = json.load(handle)
        args = argparse.Namespace(**{**raw["arguments"], "from_raw": args.from_raw})
    cells = args.cells.split(",")
    sizes = [int(h) for h in args.hidden.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    os.makedirs(os.path.join(args.output, "logs"), exist_ok=True)
    if raw is not None:
        exports = {key: (None, header) for key, header in raw.get("exports", {}).items()}
        print(summarize(args, cells, sizes, thread_counts, raw["runs"], raw["sgemm"], exports))
        return
    common = ["--set", f"training.optimizer.learning_rate={args.learning_rate}"]
    rates = sgemm_rates(args, sizes)

    # One export per config family and seed: the Trainer's batches of epochs 1...E and the
    # validation cases (the attention families' windows have no warm-up, so their batches differ;
    # BERT4Rec's cloze masks are drawn by each side, see e2e_torch.py).
    exports = {}
    for repetition in range(args.repetitions):
        seed = args.seed + repetition
        for family in sorted({family_of(cell) for cell in cells}):
            directory = os.path.join(args.output, f"split-{family}-seed{seed}")
            run_child([args.bench, "export-split", config_of(args, family), "--output", directory, "--epochs",
                       str(args.epochs), "--set", f"seed={seed}"] + common,
                      os.path.join(args.output, "logs", f"export-{family}-{seed}"))
            with open(os.path.join(directory, "header.json")) as handle:
                exports[export_key(family, seed)] = (directory, json.load(handle))

    # OpenMP's default spin-waiting barriers make PyTorch about 10x slower at 2 threads when
    # other processes share the cores (75 s against 6.8 s per LSTM-50 epoch here); passive
    # waiting unless the caller chose a policy. It changes nothing at 1 thread.
    torch_environment = dict(os.environ)
    torch_environment.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    runs = []

    def save_raw():  # after every child, so that an interrupted run keeps what it measured
        with open(os.path.join(args.output, "raw.json"), "w") as handle:
            json.dump({"runs": runs, "sgemm": rates, "arguments": vars(args),
                       "exports": {seed: header for seed, (_, header) in exports.items()}}, handle, indent=1)

    for repetition in range(args.repetitions):
        seed = args.seed + repetition
        for threads in thread_counts:
            for cell in cells:
                directory, header = exports[export_key(family_of(cell), seed)]
                for hidden in sizes:
                    name = f"t{threads}-{cell}{hidden}-s{seed}"
                    output_dir = os.path.join(args.output, "runs", name)
                    command = [args.runner, config_of(args, family_of(cell)), "--quiet", "--set", f"seed={seed}",
                               "--set", f"model.cell={cell}", "--set", f"model.hidden_size={hidden}",
                               "--set", f"training.epochs={args.epochs}", "--set", "training.early_stopping=null",
                               "--set", f"training.threads={threads}", "--set", f"output.dir={output_dir}"] + common
                    _, wall, peak, cpu = run_child(command, os.path.join(args.output, "logs", name))
                    with open(os.path.join(output_dir, "report.json")) as handle:
                        report = json.load(handle)
                    history = report["history"]
                    # evaluation_seconds covers E per-epoch validation passes plus the final
                    # validation and test passes: E + 2 full rankings of all users.
                    passes = len(history) + 2
                    runs.append({
                        "side": "seqrec", "threads": threads, "cell": cell, "hidden": hidden, "seed": seed,
                        "epoch_seconds": [record["seconds"] for record in history],
                        "eval_seconds": report["timing"]["evaluation_seconds"] / passes,
                        "ndcg10": history[-1]["validation"]["ndcg@10"],
                        "losses": [record["train_loss"] for record in history],
                        "targets": [round(record["seconds"] * record["targets_per_second"]) for record in history],
                        "peak_mb": peak, "wall": wall, "cpu": cpu,
                    })
                    add_cpu_estimate(runs[-1])
                    save_raw()
                    print(f"seqrec  {name}: epoch {median(runs[-1]['epoch_seconds']):.2f}s  "
                          f"ndcg@10 {runs[-1]['ndcg10']:.4f}  peak {peak:.0f} MB", file=sys.stderr, flush=True)
                    if args.skip_torch:
                        continue
                    command = [args.python, os.path.join(ROOT, "bench", "e2e_torch.py"), "--data", directory,
                               "--cell", cell, "--hidden", str(hidden), "--epochs", str(args.epochs),
                               "--threads", str(threads), "--seed", str(seed)]
                    text, wall, peak, cpu = run_child(command, os.path.join(args.output, "logs", "torch-" + name),
                                                      env=torch_environment)
                    result = json.loads(text.strip().splitlines()[-1])
                    history = result["history"]
                    runs.append({
                        "side": "torch", "threads": threads, "cell": cell, "hidden": hidden, "seed": seed,
                        "epoch_seconds": [record["seconds"] for record in history],
                        "eval_seconds": median([record["validation_seconds"] for record in history]),
                        "ndcg10": history[-1]["validation"]["ndcg@10"],
                        "losses": [record["train_loss"] for record in history],
                        "peak_mb": peak, "wall": wall, "cpu": cpu, "torch": result["torch"],
                        "epoch_cpu_seconds": [record["cpu_seconds"] for record in history],
                        "targets": [record.get("targets") for record in history],
                        "cloze_items": [record.get("cloze_items") for record in history],
                    })
                    add_cpu_estimate(runs[-1])
                    save_raw()
                    print(f"pytorch {name}: epoch {median(runs[-1]['epoch_seconds']):.2f}s  "
                          f"ndcg@10 {runs[-1]['ndcg10']:.4f}  peak {peak:.0f} MB", file=sys.stderr, flush=True)

    rates += sgemm_rates(args, sizes)
    save_raw()
    report = summarize(args, cells, sizes, thread_counts, runs, rates, exports)
    print(report)
    with open(os.path.join(args.output, "result.md"), "w") as handle:
        handle.write(report)


def summarize(args, cells, sizes, thread_counts, runs, rates, exports):
    def select(side, threads, cell, hidden):
        return [run for run in runs if (run["side"], run["threads"], run["cell"], run["hidden"]) == (side, threads, cell, hidden)]

    def epoch_median(side, threads, cell, hidden, key="epoch_seconds"):
        return median([s for run in select(side, threads, cell, hidden) for s in run[key]])

    def cpu_median(side, threads, cell, hidden):
        return epoch_median(side, threads, cell, hidden, key="epoch_cpu_estimate")

    peak_rate = max(rate["gflops"] for rate in rates if rate.get("shape") == "square")
    blas = next((rate["blas"] for rate in rates if "blas" in rate), None)
    seqrec_kernels = next((rate["kernels"] for rate in rates if "kernels" in rate), None)

    def flops(cell, hidden):
        # BERT4Rec's targets are its masked positions, counted by seqrec's runs.
        masked = [t for run in select("seqrec", thread_counts[0], cell, hidden) for t in run.get("targets", [])]
        return epoch_flops(cell, hidden, [header for key, (_, header) in exports.items()
                                          if key.split("-")[0] == family_of(cell)], mean(masked))

    has_torch = any(run["side"] == "torch" for run in runs)

    def fmt(value, pattern):
        return "-" if value != value else pattern.format(value)  # NaN -> "-"

    lines = []
    configs = ", ".join(sorted({config_of(args, family_of(cell)) for cell in cells}))
    lines.append(f"seqrec vs PyTorch, whole training epoch and full validation pass ({configs}, "
                 f"lr {args.learning_rate}, {args.epochs} epochs, {args.repetitions} repetition(s), seeds "
                 f"{args.seed}..{args.seed + args.repetitions - 1})")
    lines.append("")
    lines.append(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_model()}; "
                 f"single-core sgemm peak {peak_rate:.1f} GFLOP/s (1024^3, measured in this run)")
    if blas:
        kernels = f"; {blas['core']} kernels" if blas.get("core") else ""
        lines.append(f"BLAS: {blas.get('config') or blas['name']}{kernels}, chosen by {blas['chosen_by']}")
    if seqrec_kernels:
        lines.append(f"seqrec kernels: {seqrec_kernels['path']}, {seqrec_kernels['instructions']}, "
                     f"{seqrec_kernels['lanes']} lanes, chosen by {seqrec_kernels['chosen_by']}")
    torch_version = next((run["torch"] for run in runs if run["side"] == "torch"), None)
    if torch_version:
        lines.append(f"PyTorch {torch_version}")
    lines.append("")
    for threads in thread_counts:
        lines.append(f"**{threads} thread{'s' if threads > 1 else ''}**")
        lines.append("")
        cpu_columns = threads == 1
        lines.append("| model | seqrec s/epoch | PyTorch s/epoch | epoch speed-up | "
                     + ("speed-up, CPU est. | " if cpu_columns else "")
                     + "seqrec s/eval | PyTorch s/eval | eval speed-up | seqrec peak MB | PyTorch peak MB "
                     "| val NDCG@10 seqrec | val NDCG@10 PyTorch | seqrec GFLOP/s (% of sgemm peak) |"
                     + (" % of peak, CPU est. |" if cpu_columns else ""))
        lines.append("| --- |" + " ---: |" * (13 if cpu_columns else 11))
        for cell in cells:
            for hidden in sizes:
                ours, theirs = select("seqrec", threads, cell, hidden), select("torch", threads, cell, hidden)
                epoch_ours, epoch_theirs = epoch_median("seqrec", threads, cell, hidden), epoch_median("torch", threads, cell, hidden)
                eval_ours = median([run["eval_seconds"] for run in ours])
                eval_theirs = median([run["eval_seconds"] for run in theirs])
                rate = flops(cell, hidden) / epoch_ours / 1e9
                cpu_ours, cpu_theirs = cpu_median("seqrec", threads, cell, hidden), cpu_median("torch", threads, cell, hidden)
                lines.append(
                    f"| {NAMES[cell]}-{hidden} | {fmt(epoch_ours, '{:.2f}')} | {fmt(epoch_theirs, '{:.2f}')} "
                    f"| {fmt(epoch_theirs / epoch_ours, '{:.2f}x')} | "
                    + (f"{fmt(cpu_theirs / cpu_ours, '{:.2f}x')} | " if cpu_columns else "")
                    + f"{fmt(eval_ours, '{:.3f}')} | {fmt(eval_theirs, '{:.3f}')} "
                    f"| {fmt(eval_theirs / eval_ours, '{:.2f}x')} | {fmt(median([r['peak_mb'] for r in ours]), '{:.0f}')} "
                    f"| {fmt(median([r['peak_mb'] for r in theirs]), '{:.0f}')} | {fmt(mean([r['ndcg10'] for r in ours]), '{:.4f}')} "
                    f"| {fmt(mean([r['ndcg10'] for r in theirs]), '{:.4f}')} | {rate:.1f} ({100 * rate / peak_rate:.0f}%) |"
                    + (f" {100 * flops(cell, hidden) / cpu_ours / 1e9 / peak_rate:.0f}% |" if cpu_columns else ""))
        lines.append("")
    if len(thread_counts) > 1:
        one, more = thread_counts[0], thread_counts[-1]
        lines.append(f"**{more} threads against {one}** (epoch time at {one} / at {more})")
        lines.append("")
        lines.append(f"| model | seqrec {one}t s | seqrec {more}t s | seqrec speed-up | PyTorch {one}t s | PyTorch {more}t s | PyTorch speed-up |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for cell in cells:
            for hidden in sizes:
                values = [epoch_median(side, t, cell, hidden) for side in ("seqrec", "torch") for t in (one, more)]
                lines.append(f"| {NAMES[cell]}-{hidden} | {fmt(values[0], '{:.2f}')} | {fmt(values[1], '{:.2f}')} "
                             f"| {fmt(values[0] / values[1], '{:.2f}x')} | {fmt(values[2], '{:.2f}')} "
                             f"| {fmt(values[3], '{:.2f}')} | {fmt(values[2] / values[3], '{:.2f}x')} |")
        lines.append("")
    lines.append("Epoch and eval times: wall seconds, medians over every epoch of every repetition; speed-up = "
                 "PyTorch time / seqrec time. seqrec's s/eval is its report's evaluation time divided by its "
                 "E + 2 full-ranking passes (a validation pass per epoch, the final validation and test); "
                 "PyTorch's is the median of its per-epoch validation passes. Peak MB: the child process's "
                 "maximum resident set (wait4), median over repetitions. Val NDCG@10: after the last epoch, "
                 "mean over the seeds. GFLOP/s: matrix-product FLOPs of forward + backward per epoch, "
                 "counted as 3 x 2mnk: the recurrent layer over every padded position (gates x H x (E + H) each), "
                 "or each SASRec block's projections (4 D x D), feed-forward (2 D x D) and attention (2 T x D) over "
                 "every padded position (BERT4Rec: feed-forward 8 D x D, plus its output transform D x D, over "
                 "every padded cloze position), and the output layer over the targets (H x V each; BERT4Rec's are "
                 "its masked positions), "
                 "divided by seqrec's median epoch time; it leaves out Adam, the softmax and the element-wise work. "
                 "CPU est. (1 thread): each epoch's wall time x its process's CPU share over the whole run "
                 "(CPU seconds / wall seconds), which discounts the time a process waited for the shared cores; "
                 "the sgemm peak itself is measured in thread CPU time. PyTorch runs with "
                 f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'PASSIVE')} (its default spinning "
                 "barriers were 10x slower at 2 threads on this shared machine).")
    for cell in [cell for cell in cells if cell == "bert4rec"]:
        for threads in thread_counts:
            for hidden in sizes:
                ours = [t for run in select("seqrec", threads, cell, hidden) for t in run.get("targets", [])]
                theirs = [t for run in select("torch", threads, cell, hidden) for t in run.get("targets", []) if t]
                items = [n for run in select("torch", threads, cell, hidden) for n in run.get("cloze_items", []) if n]
                probability = next((header["model"].get("mask_probability") for key, (_, header) in exports.items()
                                    if key.split("-")[0] == "bert4rec"), None)
                expected = (f"; expected {probability} x {median(items):.0f} cloze items = {probability * median(items):.0f}"
                            if items and probability else "")
                lines.append("")
                lines.append(f"{NAMES[cell]}-{hidden}, {threads} thread(s): masked targets per epoch (each side draws its "
                             f"own cloze masks), seqrec {fmt(mean(ours), '{:.0f}')} (min {min(ours, default=0)}, "
                             f"max {max(ours, default=0)}), PyTorch {fmt(mean(theirs), '{:.0f}')}{expected}.")
    if not has_torch:
        lines.append("")
        lines.append("PyTorch was skipped (--skip-torch).")
    lines.append("")
    lines.append(targets_check(cells, sizes, thread_counts, select, epoch_median, cpu_median, peak_rate, flops))
    return "\n".join(lines) + "\n"


def targets_check(cells, sizes, thread_counts, select, epoch_median, cpu_median, peak_rate, flops):
    """The issue's targets, each with the measured value (reported, not asserted)."""
    lines = ["Targets (measured, not asserted):", ""]

    def line(ok, text):
        lines.append(f"- [{'x' if ok else ' '}] {text}")

    for cell in cells:
        for hidden in sizes:
            name = f"{NAMES[cell]}-{hidden}"
            if 1 in thread_counts:
                ours, theirs = epoch_median("seqrec", 1, cell, hidden), epoch_median("torch", 1, cell, hidden)
                goal = 2.0 if cell in ("sasrec", "bert4rec") or hidden > 50 else 2.5
                if theirs == theirs:
                    cpu_ratio = cpu_median("torch", 1, cell, hidden) / cpu_median("seqrec", 1, cell, hidden)
                    line(theirs / ours >= goal, f"{name}, 1 thread: epoch {theirs / ours:.2f}x faster than PyTorch in wall time, "
                         f"{cpu_ratio:.2f}x in estimated CPU time (goal >= {goal}x)")
                    ndcg_ours = mean([r["ndcg10"] for r in select("seqrec", 1, cell, hidden)])
                    ndcg_theirs = mean([r["ndcg10"] for r in select("torch", 1, cell, hidden)])
                    line(ndcg_ours >= ndcg_theirs - 0.005,
                         f"{name}: val NDCG@10 {ndcg_ours:.4f} vs PyTorch {ndcg_theirs:.4f} (goal >= PyTorch - 0.005)")
                share = flops(cell, hidden) / ours / 1e9 / peak_rate
                cpu_share = flops(cell, hidden) / cpu_median("seqrec", 1, cell, hidden) / 1e9 / peak_rate
                line(share >= 0.5, f"{name}, 1 thread: {100 * share:.0f}% of the sgemm peak in wall time, "
                     f"{100 * cpu_share:.0f}% in estimated CPU time (goal >= 50%)")
            if 1 in thread_counts and 2 in thread_counts:
                speedup = epoch_median("seqrec", 1, cell, hidden) / epoch_median("seqrec", 2, cell, hidden)
                line(speedup >= 1.6, f"{name}: 2 threads {speedup:.2f}x faster than 1 (goal >= 1.6x)")
    lstm = select("seqrec", 1, "lstm", 50) if 1 in thread_counts else []
    if lstm:
        peak = median([r["peak_mb"] for r in lstm])
        line(peak < 150, f"LSTM-50 peak resident memory {peak:.0f} MB (goal < 150 MB)")
    evaluation = [run["eval_seconds"] for run in select("seqrec", 1, "lstm", 50)] if 1 in thread_counts else []
    if evaluation:
        line(median(evaluation) < 0.1, f"LSTM-50 full-ranking evaluation of all users {median(evaluation):.3f} s (goal < 0.1 s)")
    return "\n".join(lines)


def family_of(cell):
    return cell if cell in ("sasrec", "bert4rec") else "recurrent"


def config_of(args, family):
    if family == "bert4rec":
        return getattr(args, "bert4rec_config", "experiments/bert4rec-recbole.yaml")
    return args.sasrec_config if family == "sasrec" else args.config


def export_key(family, seed):
    return f"{family}-{seed}"


def epoch_flops(cell, hidden, headers, masked_targets=float("nan")):
    """Matrix-product FLOPs of one epoch's forward + backward (3 x 2mnk), mean over the exports
    (BERT4Rec: over its cloze rows, one step longer than the windows up to M, and its masked
    targets)."""
    positions = mean([epoch["positions"] for header in headers for epoch in header["epochs"]])
    targets = mean([epoch["targets"] for header in headers for epoch in header["epochs"]])
    classes = headers[0]["num_items"] + 1
    output = 6 * targets * hidden * classes
    if cell == "bert4rec":
        model, steps = headers[0]["model"], headers[0]["max_length"]
        cloze_positions = mean([sum(rows * min(batch_steps + 1, steps) for rows, batch_steps, _ in epoch["batches"])
                                for header in headers for epoch in header["epochs"]])
        per_position = model["blocks"] * (12 * hidden * hidden + 2 * steps * hidden) + hidden * hidden
        return 6 * cloze_positions * per_position + 6 * masked_targets * hidden * classes
    if cell == "sasrec":
        model, steps = headers[0]["model"], headers[0]["max_length"]
        return 6 * positions * model["blocks"] * (6 * hidden * hidden + 2 * steps * hidden) + output
    embedding = headers[0]["model"]["embedding_size"]
    return 6 * positions * GATES[cell] * hidden * (embedding + hidden) + output


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for row in handle:
                if row.startswith("model name"):
                    return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
