#!/usr/bin/env bash
# Crash consistency: kill -9 runs, sweeps and comparisons at random moments, and at chosen
# points of their atomic writes, then check what they leave behind. For every trial:
#   - every result file that is there is complete and valid (`runner check-run`: report.json
#     decodes and validates against schema/report.schema.json; model/state safetensors parse
#     with every offset checked; ids.json and per_user.tsv read back; comparison files are
#     absent or byte for byte those of an uninterrupted compare);
#   - `runner plan` classifies each point as the files say (done / missing, resumable at
#     epoch k / missing), and k agrees with the epochs the run had printed when it was killed;
#   - no process of a killed sweep lives on (its points die with it);
#   - the rerun completes, continues after the saved epoch (`resumed_from_epoch` = k) and
#     ends with the same losses, best epoch and metrics as an uninterrupted run;
#   - no temporary file, lock or training state is left after the rerun;
#   - a rerun over a finished run, killed before its result is ok, leaves the finished run
#     byte for byte; killed while moving its result into place, it is finished by the next run.
# Prints a table (trial, kind, phase at the kill, outcome) and exits 1 if any check failed.
#
# Random kills use delays drawn over a run's measured lifetime; aimed kills stop the process
# with SEQREC_CRASH_HOOK=stop:PHASE:FILE[:N] (Sources/SeqRecCore/Support/CrashHook.swift) in the
# middle of a write or just before its rename, then kill it.
#
#   scripts/crash-check.sh                 # CRASH_SEED=<n> to replay a run's delays
#   RUNNER=.build/debug/runner CRASH_KEEP=1 scripts/crash-check.sh   # keep the work directory
set -uo pipefail
cd "$(dirname "$0")/.."

runner=${RUNNER:-.build/debug/runner}
seed=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed
schema=schema/report.schema.json
work=$(mktemp -d "${TMPDIR:-/tmp}/seqrec-crash.XXXXXX")
started=$(date +%s)
failures=0
table=()
launched=()   # pids this script started, killed on exit if still there

cleanup() {
  for pid in "${launched[@]}"; do kill -9 "$pid" 2>/dev/null; done
  if [ "${CRASH_KEEP:-0}" = 1 ]; then echo "crash-check: work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

[ -x "$runner" ] || { echo "crash-check: $runner not found; build it first (swift build --product runner)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "crash-check: python3 is needed" >&2; exit 2; }

# MARK: Experiments: 12 epochs of a small GRU (about 1 s), on synthetic data and on a
# MovieLens-format file (u.data) that takes a moment to parse.
epochs=12
common='split: {method: leave-one-out, max_length: 20}
model: {cell: gru, embedding_size: 16, hidden_size: 24, layers: 1, dropout: 0.2}
training:
  epochs: 12
  batch_size: 128
  threads: 1
  optimizer: {name: adam, learning_rate: 0.01}
  early_stopping: {metric: ndcg@10, patience: 12}
evaluation: {candidates: all, metrics: [hr@10, ndcg@10]}'
cat > "$work/synthetic.yaml" <<EOF
name: crash-synthetic
seed: 5
dataset:
  synthetic: {users: 400, items: 60, length: 30, lag: 5, noise: 0.3, keys: 4}
  min_user_interactions: 1
$common
EOF
python3 - "$work/u.data" <<'EOF'
import random, sys
rng = random.Random(3)
with open(sys.argv[1], "w") as out:
    for user in range(1, 401):
        base = rng.randrange(1, 150)
        for step in range(50):
            item = (base + step * 7 + rng.randrange(3)) % 300 + 1
            out.write(f"{user}\t{item}\t{rng.randrange(1, 6)}\t{880000000 + step * 60 + user}\n")
EOF
cat > "$work/movielens.yaml" <<EOF
name: crash-movielens
seed: 5
dataset: {path: u.data, format: movielens, min_user_interactions: 5}
$common
EOF
cat > "$work/grid.yaml" <<EOF
extends: synthetic.yaml
name: crash-grid
grid:
  seed: [1, 2]
EOF

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )))"; }
random_below() { echo $(( (RANDOM * 32768 + RANDOM) % $1 )); }

# `runner plan --all` label of the point writing DIR.
plan_label() {  # CONFIG DIR_OVERRIDE POINT_DIR
  "$runner" plan --all "$1" --set "output.dir=$2" --runner runner 2>/dev/null \
    | awk -F'\t' -v dir="$3" '$2 == dir { print $1 }'
}

# A field of `runner check-run` output: check_field FILE KIND KEY (e.g. state epoch).
check_field() {
  awk -F'\t' -v kind="$2" -v key="$3=" '$2 == kind && $3 == "ok" { for (i = 4; i <= NF; i++) if (index($i, key) == 1) print substr($i, length(key) + 1) }' "$1"
}

# Waits until PID is stopped by the crash hook (state T) or has ended; 0 if stopped.
wait_stopped() {
  local pid=$1 deadline=$(( $(now_ms) + 20000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    [ -r "/proc/$pid/stat" ] || return 1
    local state
    state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
    [ "$state" = T ] && return 0
    [ "$state" = Z ] && return 1
    sleep 0.01
  done
  return 1
}

# The phase a run's progress log (stderr, one line per epoch) shows it was in.
phase_from_log() {  # LOG EXITED_BEFORE_KILL
  local log=$1 done_epochs
  done_epochs=$(grep -c '^epoch ' "$log")
  if [ "$2" = 1 ]; then echo "after exit"
  elif grep -q '^ok: ' "$log"; then echo "after report"
  elif ! grep -q '^data: ' "$log"; then echo "data loading"
  elif [ "$done_epochs" -ge "$epochs" ]; then echo "final evaluation/report"
  else echo "training epoch $(( done_epochs + 1 ))"
  fi
}

# Whether two reports have the same losses, best epoch and metrics (the rerun vs the reference).
same_results() {  # REPORT REFERENCE
  python3 - "$1" "$2" <<'EOF'
import json, sys
def key(path):
    r = json.load(open(path))
    return ([h["train_loss"] for h in r["history"]], [h.get("validation") for h in r["history"]],
            r.get("best_epoch"), r["test"]["metrics"], r["validation"]["metrics"])
a, b = key(sys.argv[1]), key(sys.argv[2])
sys.exit(0 if a == b else 1)
EOF
}

# Dot files a write or a run left behind: temporary files and locks.
leftovers() { find "$1" -name '.*' -type f 2>/dev/null | sort; }

# Checks a point directory after a kill: sets `saved_epoch` (the training state's epoch, or
# empty) and `expected` (the plan label the files call for), appends to `problems`.
check_point() {  # DIR CONFIG OUTPUT_OVERRIDE PRINTED_EPOCHS HOOK_EPOCH
  local dir=$1 config=$2 output=$3 printed=$4 hook_epoch=$5
  local check="$dir.check" label state_epoch status
  : > "$check"
  if [ -d "$dir" ] && ! "$runner" check-run "$dir" --schema "$schema" > "$check" 2>&1; then
    problems+="corrupt file after kill ($(grep -v $'\tok\t' "$check" | tr '\n' ' ')); "
  fi
  state_epoch=$(check_field "$check" state epoch)
  status=$(check_field "$check" report status)
  if [ "$status" = ok ]; then expected=done
  elif [ -n "$state_epoch" ]; then expected="${status:-missing}, resumable at epoch $state_epoch"
  else expected=${status:-missing}
  fi
  label=$(plan_label "$config" "$output" "$dir")
  [ "$label" = "$expected" ] || problems+="plan says '$label', files say '$expected'; "
  # The saved epoch agrees with the progress printed before the kill (each epoch's line is
  # printed before its state is saved), or with the write the hook stopped.
  if [ -n "$hook_epoch" ]; then
    [ "${state_epoch:-0}" = "$hook_epoch" ] || problems+="state epoch ${state_epoch:-none}, expected $hook_epoch from the hook; "
  elif [ -n "$printed" ] && [ "$status" != ok ]; then
    local saved=${state_epoch:-0}
    { [ "$saved" -le "$printed" ] && [ "$saved" -ge $(( printed - 1 )) ]; } \
      || problems+="state epoch $saved after $printed printed epochs; "
  fi
  saved_epoch=$state_epoch
}

after_rerun() {  # DIR REFERENCE_REPORT RESUMED_EXPECTED WAS_DONE
  local dir=$1 reference=$2 resumed_expected=$3 was_done=$4 check="$1.final" resumed
  "$runner" check-run "$dir" --schema "$schema" > "$check" 2>&1 || problems+="corrupt file after rerun; "
  [ "$(check_field "$check" report status)" = ok ] || problems+="rerun did not end ok; "
  resumed=$(check_field "$check" report resumed_from_epoch)
  if [ "$was_done" = 0 ]; then
    [ "$resumed" = "${resumed_expected:--}" ] || problems+="resumed_from_epoch $resumed, expected ${resumed_expected:--}; "
  fi
  same_results "$dir/report.json" "$reference" || problems+="results differ from the uninterrupted run; "
  local left
  left=$(leftovers "$dir" | tr '\n' ' ')
  [ -z "$left" ] || problems+="left behind: $left; "
  # A run killed between its ok report and removing its state leaves a complete state of its
  # last epoch; the point is done and the state is harmless (the next run replaces it).
  if [ -e "$dir/state.safetensors" ] && ! { [ "$was_done" = 1 ] && [ "$(check_field "$check" state epoch)" = "$epochs" ]; }; then
    problems+="state.safetensors left after an ok run; "
  fi
}

record() {  # TRIAL KIND PHASE
  local outcome
  if [ -z "$problems" ]; then outcome=ok; else outcome="FAIL: $problems"; failures=$(( failures + 1 )); fi
  table+=("$(printf '%-3s %-19s %-62s %s' "$1" "$2" "$3" "$outcome")")
  printf 'crash-check: trial %-3s %-19s %-62s %s\n' "$1" "$2" "$3" "$outcome"
}

# MARK: References: every experiment once, uninterrupted.
t0=$(now_ms)
"$runner" run "$work/synthetic.yaml" --quiet --set "output.dir=$work/ref-synthetic" || { echo "crash-check: reference run failed" >&2; exit 1; }
synthetic_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms)
"$runner" run "$work/movielens.yaml" --quiet --set "output.dir=$work/ref-movielens" || { echo "crash-check: reference run failed" >&2; exit 1; }
movielens_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms)
"$runner" sweep "$work/grid.yaml" --jobs 2 --set "output.dir=$work/ref-grid" > /dev/null || { echo "crash-check: reference sweep failed" >&2; exit 1; }
sweep_ms=$(( $(now_ms) - t0 ))
"$runner" compare "$work/ref-grid" --output "$work/ref-compare" > /dev/null 2>&1 || { echo "crash-check: reference compare failed" >&2; exit 1; }
echo "crash-check: seed $seed; uninterrupted: synthetic run ${synthetic_ms} ms, MovieLens-format run ${movielens_ms} ms, 2-point sweep ${sweep_ms} ms"

# MARK: Run trials
trial=0
run_trial() {  # KIND CONFIG HOOK HOOK_EPOCH (random delay when HOOK is empty)
  local kind=$1 config=$2 hook=$3 hook_epoch=$4 name lifetime
  trial=$(( trial + 1 ))
  name=$(basename "$config" .yaml)
  lifetime=$synthetic_ms; [ "$name" = movielens ] && lifetime=$movielens_ms
  local dir="$work/t$trial" log="$work/t$trial.log" exited=0 phase pid
  problems=""
  if [ -n "$hook" ]; then
    SEQREC_CRASH_HOOK=$hook "$runner" run "$config" --set "output.dir=$dir" > "$log" 2>&1 &
    pid=$!; launched+=("$pid")
    wait_stopped "$pid" || { problems+="the hook $hook never stopped the run; "; exited=1; }
    phase=${hook#stop:}
  else
    "$runner" run "$config" --set "output.dir=$dir" > "$log" 2>&1 &
    pid=$!; launched+=("$pid")
    sleep_ms "$(random_below $(( lifetime * 11 / 10 )))"
    [ -r "/proc/$pid/stat" ] && [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ] || exited=1
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ -z "$hook" ] && phase=$(phase_from_log "$log" "$exited")
  local printed was_done=0
  printed=$(grep -c '^epoch ' "$log")
  check_point "$dir" "$config" "$dir" "$printed" "$hook_epoch"
  if [ "$expected" = done ]; then
    was_done=1
  else
    "$runner" run "$config" --quiet --set "output.dir=$dir" > "$log.rerun" 2>&1 || problems+="rerun failed ($(tail -1 "$log.rerun")); "
  fi
  after_rerun "$dir" "$work/ref-$name/report.json" "$saved_epoch" "$was_done"
  record "$trial" "run $name" "$phase -> $expected"
}

for i in 1 2 3 4 5 6; do run_trial random "$work/synthetic.yaml" "" ""; done
for i in 1 2 3 4 5; do run_trial random "$work/movielens.yaml" "" ""; done
run_trial aimed "$work/movielens.yaml" "stop:mid-write:ids.json" ""
run_trial aimed "$work/synthetic.yaml" "stop:mid-write:model.safetensors:2" ""
run_trial aimed "$work/synthetic.yaml" "stop:before-rename:state.safetensors:3" "2"
run_trial aimed "$work/synthetic.yaml" "stop:mid-write:state.safetensors:7" "6"
run_trial aimed "$work/synthetic.yaml" "stop:mid-write:per_user.tsv" "$epochs"
run_trial aimed "$work/synthetic.yaml" "stop:mid-write:report.json" "$epochs"
run_trial aimed "$work/movielens.yaml" "stop:before-rename:report.json" "$epochs"

# MARK: Attempts over a finished run (Report/RunResult.swift): the rerun of a finished config
# works in .attempt/ and moves its result into place only once it is ok. Killed before that
# commit, the finished run is byte for byte what it was; killed while its files are renamed
# into place, the plan counts the committed attempt and the next run finishes the move. Either
# way the plan says done, every file reads back, and the rerun ends with the same numbers.
result_sums() { (cd "$1" && sha256sum report.json model.safetensors per_user.tsv ids.json 2>&1); }
over_finished_trial() {  # HOOK
  local hook=$1 dir log pid label before
  trial=$(( trial + 1 ))
  dir="$work/t$trial"; log="$work/t$trial.log"
  problems=""
  "$runner" run "$work/synthetic.yaml" --quiet --set "output.dir=$dir" > "$log.first" 2>&1 || problems+="first run failed; "
  before=$(result_sums "$dir")
  SEQREC_CRASH_HOOK=$hook "$runner" run "$work/synthetic.yaml" --set "output.dir=$dir" > "$log" 2>&1 &
  pid=$!; launched+=("$pid")
  wait_stopped "$pid" || problems+="the hook $hook never stopped the run; "
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  "$runner" check-run "$dir" --schema "$schema" > "$dir.check" 2>&1 || problems+="corrupt file after kill ($(grep -v $'\tok\t' "$dir.check" | tr '\n' ' ')); "
  label=$(plan_label "$work/synthetic.yaml" "$dir" "$dir")
  [ "$label" = done ] || problems+="plan says '$label', expected done; "
  case $hook in
    stop:promote:*) [ -e "$dir/.attempt/report.json" ] || problems+="no committed attempt after a kill in its promotion; " ;;
    *) [ "$(result_sums "$dir")" = "$before" ] || problems+="the finished run changed before the attempt was ok; " ;;
  esac
  "$runner" run "$work/synthetic.yaml" --quiet --set "output.dir=$dir" > "$log.rerun" 2>&1 || problems+="rerun failed ($(tail -1 "$log.rerun")); "
  after_rerun "$dir" "$work/ref-synthetic/report.json" "" 1
  [ ! -e "$dir/.attempt" ] || problems+=".attempt left after the rerun; "
  record "$trial" "rerun over finished" "${hook#stop:} -> $label"
}

over_finished_trial "stop:mid-write:state.safetensors:3"
over_finished_trial "stop:before-rename:report.json"
over_finished_trial "stop:promote:model.safetensors"
over_finished_trial "stop:promote:report.json"

# MARK: Sweep trials: kill -9 the sweep (and, once, its children too) at a random moment.
points=("seed=1" "seed=2")
sweep_trial() {  # WHO (parent | all)
  local who=$1 output pid log children phase=""
  trial=$(( trial + 1 ))
  output="$work/s$trial"; log="$work/s$trial.log"
  problems=""
  "$runner" sweep "$work/grid.yaml" --jobs 2 --set "output.dir=$output" > "$log" 2>&1 &
  pid=$!; launched+=("$pid")
  sleep_ms "$(random_below $(( sweep_ms * 9 / 10 )))"
  children=$(pgrep -P "$pid" | tr '\n' ' ')
  kill -9 "$pid" 2>/dev/null
  if [ "$who" = all ]; then for child in $children; do kill -9 "$child" 2>/dev/null; done; fi
  wait "$pid" 2>/dev/null
  # The children die with the sweep: within a few seconds no lock is held.
  local deadline=$(( $(now_ms) + 5000 )) running
  while :; do
    running=$("$runner" plan --all "$work/grid.yaml" --set "output.dir=$output" --runner runner 2>/dev/null | grep -c '^running' || true)
    [ "$running" = 0 ] && break
    if [ "$(now_ms)" -gt "$deadline" ]; then problems+="points still running 5 s after the sweep was killed; "; break; fi
    sleep 0.05
  done
  local resumed=() done_before=() point
  for point in "${points[@]}"; do
    check_point "$output/$point" "$work/grid.yaml" "$output" "" ""
    resumed+=("$saved_epoch")
    done_before+=("$([ "$expected" = done ] && echo 1 || echo 0)")
    phase+="${point}: $expected; "
  done
  "$runner" sweep "$work/grid.yaml" --jobs 2 --set "output.dir=$output" > "$log.rerun" 2>&1 || problems+="rerun sweep failed; "
  local index
  for index in 0 1; do
    after_rerun "$output/${points[$index]}" "$work/ref-grid/${points[$index]}/report.json" "${resumed[$index]}" "${done_before[$index]}"
  done
  record "$trial" "sweep (kill $who)" "${phase%; }"
}

sweep_trial parent
sweep_trial parent
sweep_trial parent
sweep_trial all

# MARK: Compare trials: the tables and the HTML page are absent or complete, never partial.
compare_trial() {  # HOOK (random delay when empty)
  local hook=$1 output pid phase file left
  trial=$(( trial + 1 ))
  output="$work/c$trial"
  problems=""
  if [ -n "$hook" ]; then
    SEQREC_CRASH_HOOK=$hook "$runner" compare "$work/ref-grid" --output "$output" > /dev/null 2>&1 &
    pid=$!; launched+=("$pid")
    wait_stopped "$pid" || problems+="the hook $hook never stopped compare; "
    phase=${hook#stop:}
  else
    "$runner" compare "$work/ref-grid" --output "$output" > /dev/null 2>&1 &
    pid=$!; launched+=("$pid")
    sleep_ms "$(random_below 60)"
    phase="random"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local present=0
  for file in comparison.md comparison.csv report.html; do
    if [ -e "$output/$file" ]; then
      present=$(( present + 1 ))
      cmp -s "$output/$file" "$work/ref-compare/$file" || problems+="$file is partial or different; "
    fi
  done
  "$runner" compare "$work/ref-grid" --output "$output" > /dev/null 2>&1 || problems+="rerun compare failed; "
  for file in comparison.md comparison.csv report.html; do
    cmp -s "$output/$file" "$work/ref-compare/$file" || problems+="$file differs after the rerun; "
  done
  left=$(leftovers "$output" | tr '\n' ' ')
  [ -z "$left" ] || problems+="left behind: $left; "
  record "$trial" "compare" "$phase -> $present of 3 written"
}

compare_trial "stop:mid-write:comparison.md"
compare_trial "stop:before-rename:comparison.csv"
compare_trial "stop:mid-write:report.html"
compare_trial ""

# MARK: Summary
echo
echo "crash-check: seed $seed, $trial trials, $(( $(date +%s) - started )) s"
printf '%-3s %-19s %-62s %s\n' "#" "kind" "phase at the kill -> state after it" "outcome"
printf '%s\n' "${table[@]}"
if [ "$failures" -gt 0 ]; then
  echo "crash-check: $failures of $trial trials FAILED (replay with CRASH_SEED=$seed)"
  exit 1
fi
echo "crash-check: all $trial trials passed"
