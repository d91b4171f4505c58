"""Full-ranking evaluation alone, seqrec against PyTorch, in CPU time, on the same cases.

For each cell and hidden size, in turn and in the same run:
  1. `seqrec-bench evaluation CONFIG` scores the experiment's validation cases with a freshly
     initialised model (full ranking, exclude_seen, the config's metrics), best of N passes;
  2. bench/e2e_torch.py --eval-only N scores the same cases (exported once per config by
     `seqrec-bench export-split`) with the same model in PyTorch, best of N passes.
CPU time of the scoring thread (seqrec) and of the process (PyTorch, 1 thread) is what a pass
costs whatever else the machine runs; wall time on a shared machine is not. Both sides use 1
thread. The weights' values do not change the work, so no training is needed.

    python3 bench/eval_compare.py --python /work/torchvenv/bin/python \\
        [--cells lstm,gru,rnn,sasrec] [--hidden 50,128] [--iterations 5]
        [--config experiments/lstm50.yaml] [--sasrec-config experiments/sasrec.yaml]

Prints a markdown table (and the BLAS line and CPU model).
"""
import argparse
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "sasrec": "SASRec"}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="experiments/lstm50.yaml")
    parser.add_argument("--sasrec-config", default="experiments/sasrec.yaml")
    parser.add_argument("--cells", default="lstm,gru,rnn,sasrec")
    parser.add_argument("--hidden", default="50,128")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--python", default=sys.executable, help="the Python with torch for e2e_torch.py")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build/release/seqrec-bench"))
    parser.add_argument("--output", default=os.path.join(ROOT, ".build/eval-compare"))
    args = parser.parse_args()
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    exports = {}
    rows = []
    blas = None
    for cell in args.cells.split(","):
        config = args.sasrec_config if cell == "sasrec" else args.config
        if config not in exports:
            directory = os.path.join(args.output, os.path.splitext(os.path.basename(config))[0])
            subprocess.run([args.bench, "export-split", config, "--output", directory, "--epochs", "1"],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            exports[config] = directory
        for hidden in args.hidden.split(","):
            ours = subprocess.run([args.bench, "evaluation", config, "--cells", cell, "--hidden", hidden,
                                   "--iterations", str(args.iterations), "--json"],
                                  check=True, cwd=ROOT, env=environment, capture_output=True, text=True).stdout
            result = [json.loads(line) for line in ours.splitlines() if line.startswith("{")]
            blas = next((line["blas"] for line in result if "blas" in line), blas)
            seqrec = next(line for line in result if line.get("cell") == cell)
            theirs = subprocess.run([args.python, os.path.join(ROOT, "bench", "e2e_torch.py"), "--data", exports[config],
                                     "--cell", cell, "--hidden", hidden, "--threads", "1",
                                     "--eval-only", str(args.iterations)],
                                    check=True, cwd=ROOT, env=environment, capture_output=True, text=True).stdout
            torch_result = json.loads(theirs.strip().splitlines()[-1])
            torch_seconds = min(record["validation_cpu_seconds"] for record in torch_result["history"])
            rows.append((cell, hidden, seqrec, torch_seconds, torch_result["torch"]))
            print(f"{cell}-{hidden}: seqrec {seqrec['pass_ms']:.1f} ms, PyTorch {1000 * torch_seconds:.1f} ms",
                  file=sys.stderr, flush=True)
    lines = [f"Full-ranking evaluation of {rows[0][2]['cases']} users, CPU ms per pass, best of {args.iterations}, 1 thread",
             "", f"machine: {platform.machine()}, {cpu_model()}", f"BLAS: {blas}", f"PyTorch {rows[0][4]}", "",
             "| model | seqrec encoder ms | seqrec scores ms | seqrec metrics ms | seqrec pass ms | PyTorch pass ms | speed-up |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for cell, hidden, seqrec, torch_seconds, _ in rows:
        lines.append(f"| {NAMES[cell]}-{hidden} | {seqrec['encoder_ms']:.1f} | {seqrec['scores_ms']:.1f} "
                     f"| {seqrec['metrics_ms']:.1f} | {seqrec['pass_ms']:.1f} | {1000 * torch_seconds:.1f} "
                     f"| {1000 * torch_seconds / seqrec['pass_ms']:.2f}x |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
