# seqrec — common tasks. `make help` lists them.
SWIFT ?= swift
CONFIG ?= experiments/lstm50.yaml
GRID ?= experiments/cells.yaml
# make sweep: the release runner, where the generated rules go, and extra plan flags
# (e.g. SWEEP_FLAGS="--set training.epochs=5" or "--force").
RUNNER_BIN ?= .build/release/runner
SWEEP_MK ?= .build/sweep.mk
SWEEP_FLAGS ?=
# make sweep-slurm: `runner plan --format slurm` flags (e.g. SLURM_FLAGS="--time 2:00:00 --max-parallel 8").
SLURM_FLAGS ?=

.PHONY: help build test run data sweep sweep-slurm slurm-check crash-check tensorboard-check compare bench bench-e2e bench-eval bench-scale fuzz fuzz-build clean

help:
	@echo "make build      build the runner (release)"
	@echo "make test       run the test suite (the README's test command)"
	@echo "make run        train the main job: $(CONFIG)"
	@echo "make data       fetch and verify MovieLens-100K into the data cache"
	@echo "make sweep      run the pending points of GRID=$(GRID) (make -j2 sweep: two at a time)"
	@echo "make sweep-slurm  write GRID's pending points as a SLURM job array; prints the sbatch command"
	@echo "make slurm-check  run a grid as a job array on a one-node SLURM cluster started here (root)"
	@echo "make crash-check  kill -9 runs, sweeps and compares at random moments; check files, plan and resume"
	@echo "make tensorboard-check  TensorBoard's own reader reads a run's event files (pip tensorboard)"
	@echo "make compare    build comparison tables and the HTML report"
	@echo "make bench      micro-benchmark one training step vs PyTorch"
	@echo "make bench-e2e  whole epochs and evaluation vs PyTorch, 1 and 2 threads (BENCH_E2E_FLAGS=...)"
	@echo "make bench-eval   full-ranking evaluation alone vs PyTorch, CPU time (BENCH_EVAL_FLAGS=...)"
	@echo "make bench-scale  epoch time at 100,000 items vs 1,682 (sampled softmax, sparse gradients)"
	@echo "make fuzz       fuzz every parser for FUZZ_SECONDS each (default $(FUZZ_SECONDS)) with libFuzzer"
	@echo "make clean      remove build output"

build:
	$(SWIFT) build -c release --product runner

test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

run:
	$(SWIFT) run -c release runner $(CONFIG)

data:
	$(SWIFT) run -c release runner data movielens-100k

# One make rule per grid point (target: its report.json), written by `runner plan`; pending
# points depend on FORCE, done ones on nothing. `make -j2 sweep` runs two points at a time.
sweep:
	$(SWIFT) build -c release --product runner
	$(RUNNER_BIN) plan $(GRID) --format make --runner $(RUNNER_BIN) $(SWEEP_FLAGS) > $(SWEEP_MK).tmp
	mv $(SWEEP_MK).tmp $(SWEEP_MK)
	$(MAKE) -f $(SWEEP_MK) all

# The pending points as a SLURM job array (docs/sweeps.md): writes <grid dir>/slurm/sweep.sbatch
# and prints the sbatch command, e.g. make sweep-slurm GRID=... SWEEP_FLAGS="--set training.threads=4".
sweep-slurm:
	$(SWIFT) build -c release --product runner
	$(RUNNER_BIN) plan $(GRID) --format slurm --runner $(abspath $(RUNNER_BIN)) $(SWEEP_FLAGS) $(SLURM_FLAGS)

# Starts a one-node SLURM cluster in a temporary directory and runs a grid on it as a job
# array, one task interrupted and requeued (scripts/slurm-check.sh; installs slurm-wlm, munge).
slurm-check:
	$(SWIFT) build --product runner
	scripts/slurm-check.sh

# kill -9 runs, sweeps and compares at random moments and in the middle of their writes, then
# check the files left, `runner plan`, the resume and the leftovers (scripts/crash-check.sh).
crash-check:
	$(SWIFT) build --product runner
	scripts/crash-check.sh

# TensorBoard's own reader (pip, in a git-ignored virtualenv) reads the event files of a run
# and of an interrupted-then-resumed run (scripts/check_tensorboard.py).
TB_VENV ?= .build/tensorboard-venv
tensorboard-check:
	$(SWIFT) build --product runner
	test -x $(TB_VENV)/bin/python || (python3 -m venv $(TB_VENV) && $(TB_VENV)/bin/pip install -q tensorboard)
	$(TB_VENV)/bin/python scripts/check_tensorboard.py .build/debug/runner .build/tensorboard-check

compare:
	$(SWIFT) run -c release runner compare results --output results
	scripts/check_html.sh results/report.html results/report.png

# PyTorch for the reference side of the benchmark, in a git-ignored virtualenv (PyPI).
BENCH_VENV ?= bench/.venv
$(BENCH_VENV)/bin/python: bench/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -r bench/requirements.txt
	touch $@

bench: $(BENCH_VENV)/bin/python
	OPENBLAS_NUM_THREADS=1 $(SWIFT) run -c release seqrec-bench --python $(BENCH_VENV)/bin/python

# Epoch CPU time of experiments/scale-100k.yaml against its 1,682-item twin, and the ratio.
bench-scale:
	$(SWIFT) build -c release --product runner
	OPENBLAS_NUM_THREADS=1 python3 scripts/bench_scale.py $(RUNNER_BIN) experiments/scale-100k.yaml experiments/scale-1682.yaml

# End-to-end epoch benchmark against PyTorch (bench/e2e.py; docs/performance.md). The PyTorch
# side runs in BENCH_PYTHON (default: the venv above, made on first use); pass an existing
# interpreter with torch and numpy to skip the venv, and BENCH_E2E_FLAGS for a subset, e.g.
#   make bench-e2e BENCH_E2E_FLAGS="--cells lstm --hidden 50 --threads 1 --repetitions 1"
BENCH_PYTHON ?= $(BENCH_VENV)/bin/python
BENCH_E2E_FLAGS ?=
bench-e2e: $(filter $(BENCH_VENV)/bin/python,$(BENCH_PYTHON))
	$(SWIFT) build -c release --product runner
	$(SWIFT) build -c release --product seqrec-bench
	python3 bench/e2e.py --python $(BENCH_PYTHON) $(BENCH_E2E_FLAGS)

# Evaluation alone against PyTorch, in CPU time (bench/eval_compare.py; docs/performance.md):
#   make bench-eval BENCH_EVAL_FLAGS="--cells lstm --hidden 128 --iterations 3"
BENCH_EVAL_FLAGS ?=
bench-eval: $(filter $(BENCH_VENV)/bin/python,$(BENCH_PYTHON))
	$(SWIFT) build -c release --product seqrec-bench
	python3 bench/eval_compare.py --python $(BENCH_PYTHON) $(BENCH_EVAL_FLAGS)

# libFuzzer targets (Fuzz/, docs/development.md#fuzzing): one driver built with the fuzzer and
# address sanitizers into its own scratch path, then each target for FUZZ_SECONDS. lld links
# it (gold fails on the sanitizer runtime). `make fuzz FUZZ_TARGETS=config FUZZ_SECONDS=600`.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= config csv tsv movielens movielens-dat recbole sasrec report safetensors
fuzz-build:
	$(SWIFT) build -c release --scratch-path .build-fuzz --product fuzz-seqrec \
	  -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build
