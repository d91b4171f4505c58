#!/usr/bin/env bash
# Runs a grid as a SLURM job array on a real one-node SLURM cluster started on this machine,
# and checks the cluster path end to end (docs/sweeps.md, "SLURM job array"):
#
#  1. installs slurm-wlm and munge if missing (apt-get, idempotent);
#  2. writes a one-node cluster (this machine: its CPUs and memory from `slurmd -C`) into a
#     temporary directory, starts munged (private key and socket), slurmctld and slurmd as
#     background processes with recorded pids, and waits until `sinfo` shows the node idle;
#  3. writes the array script with `runner plan --format slurm` for the CI synthetic grid
#     (3 cells x 2 seeds, a few epochs) and submits it with `sbatch`;
#  4. sends one running task the time-limit warning (`scancel --batch --signal=TERM`, what
#     `--signal=B:TERM@...` sends), so that it writes an `interrupted` report and requeues itself;
#  5. waits for the array (bounded) and checks: every point's report has status ok; the
#     interrupted task ran twice (its log shows the interruption, the requeue and the
#     finished second attempt); its report says it resumed (see SLURM_CHECK_EXPECT_RESUME);
#     `runner compare` prints the cells' table;
#  6. runs a tiny search (Tests/Fixtures/tune/tiny-tune.yaml) as a job array of its trials,
#     2 at a time, and checks that it gives the trials `runner tune --jobs 2` gives.
#
# A trap stops every daemon it started (by recorded pid) and removes the temporary state on
# any exit, so the check can run again at once.
#
# Environment:
#   SLURM_CHECK_RUNNER         runner executable (default: .build/debug/runner, built if missing)
#   SLURM_CHECK_EPOCHS         epochs per point (default 4)
#   SLURM_CHECK_TIMEOUT        seconds the array may take before the check fails (default 600)
#   SLURM_CHECK_EXPECT_RESUME  1: require `resumed_from_epoch` in the interrupted point's
#                              report; 0: skip that assertion; unset: require it when
#                              schema/report.schema.json defines the field
#   SLURM_CHECK_KEEP           1: keep the temporary directory (logs, configuration) on exit
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

say() { printf 'slurm-check: %s\n' "$*"; }
fail() { printf 'slurm-check: FAIL: %s\n' "$*" >&2; exit 1; }

# --- 1. packages -----------------------------------------------------------------------
need=()
for pkg in slurm-wlm munge; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || fail "run as root (slurmd and slurmctld run as SlurmUser=root here)"

runner=${SLURM_CHECK_RUNNER:-.build/debug/runner}
if [ ! -x "$runner" ]; then
  say "building the runner"
  swift build --product runner
fi
runner=$(cd "$(dirname "$runner")" && pwd)/$(basename "$runner")
export SWIFT_BACKTRACE=enable=no

# --- 2. a one-node cluster in a temporary directory --------------------------------------
tmp=$(mktemp -d /tmp/seqrec-slurm-check.XXXXXX)
chmod 700 "$tmp"
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -z "${scancel_pid:-}" ] || kill "$scancel_pid" 2>/dev/null || true
  # Jobs first (slurmstepd outlives slurmd), then the daemons in reverse start order, each
  # by the pid recorded when it started, then any job process left under $tmp.
  if [ -n "${job:-}" ]; then
    scancel --full "$job" 2>/dev/null || true
    for _ in $(seq 30); do [ -z "$(squeue --noheader 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[$i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" != $$ ] || continue
    if { tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qF "$tmp/"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [ "$status" -ne 0 ] && [ -d "$tmp" ]; then
    for log in "$tmp"/log/*.log; do
      [ -s "$log" ] || continue
      printf '\n--- last lines of %s\n' "$log" >&2
      grep -v 'Unauthorized credential' "$log" | tail -n 15 >&2
    done
  fi
  if [ "${SLURM_CHECK_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp"/{munge,state,spool,log,results}
node=$(hostname -s)
# `slurmd -C` prints this machine as a node line: NodeName=vm CPUs=2 ... RealMemory=24105
hardware=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")

# Two free TCP ports for slurmctld and slurmd.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  fail "no free TCP port"
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
[ "$slurmd_port" != "$ctld_port" ] || slurmd_port=$((ctld_port + 1))

# munged with its own key, socket, pid, seed and log files.
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/socket" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" \
  --log-file="$tmp/log/munged.log" >>"$tmp/log/munged.log" 2>&1 &
pids+=($!)

export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
# One-node cluster for scripts/slurm-check.sh (temporary).
ClusterName=seqrec-check
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (containers usually lack them): processes tracked by parent pid, no binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
KillWait=10
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=check Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

for _ in $(seq 50); do [ -S "$tmp/munge/socket" ] && break; sleep 0.1; done
[ -S "$tmp/munge/socket" ] || fail "munged did not create its socket"
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$node" -f "$SLURM_CONF" >>"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)

say "$(sinfo --version) on $node: $hardware"
deadline=$((SECONDS + 60))
until [ "$(sinfo --noheader --nodes="$node" --format=%t 2>/dev/null)" = idle ]; do
  [ $SECONDS -lt $deadline ] || fail "node $node not idle after 60 s: $(sinfo 2>&1 | tail -n 1)"
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a daemon exited (pid $pid)"; done
  sleep 0.5
done
say "cluster up in $((SECONDS - started)) s (node $node idle)"

# --- 3. the grid as a job array ----------------------------------------------------------
grid=experiments/ci-synthetic.yaml
results=$tmp/results/synthetic
epochs=${SLURM_CHECK_EPOCHS:-20}
plan_flags=(--set "output.dir=$results" --set "training.epochs=$epochs" --set training.threads=1)
submit=$("$runner" plan "$grid" "${plan_flags[@]}" --format slurm --runner "$runner" --max-parallel "$cpus" \
  --time 10 --signal-grace 60)
read -r sbatch_word script extra <<<"$submit"
[ "$sbatch_word" = sbatch ] && [ -f "$script" ] && [ -z "${extra:-}" ] \
  || fail "runner plan --format slurm printed '$submit', expected 'sbatch SCRIPT'"
job=$(sbatch --parsable "$script")
job=${job%%;*}
tasks=$(grep -c '^  [0-9]*) point=' "$script")
say "submitted $script as array job $job ($tasks tasks, $cpus at a time, $epochs epochs each)"
log_of() { echo "$results/slurm/${job}_$1.log"; }

deadline=$((started + ${SLURM_CHECK_TIMEOUT:-600}))
wait_for() {  # wait_for DESCRIPTION COMMAND...: poll until COMMAND succeeds, fail at the deadline
  local what=$1
  shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || { squeue 2>&1 | sed 's/^/  /' >&2; fail "timed out waiting for $what"; }
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a daemon exited (pid $pid) waiting for $what"; done
    sleep 0.5
  done
}

# --- 4. the time-limit warning for task 0, mid-run ---------------------------------------
victim=0
in_log() { [ -f "$(log_of "$1")" ] && grep -q -- "$2" "$(log_of "$1")"; }
wait_for "task $victim to finish epoch 2" in_log "$victim" '^epoch   2 '
# scancel delivers the signal at once but, for an array task, may report the job busy and
# resend it every few seconds: it runs in the background and is stopped once the task has
# reacted, so that the task gets exactly one SIGTERM.
scancel --batch --signal=TERM "${job}_$victim" 2>>"$tmp/log/scancel.log" &
scancel_pid=$!
say "sent SIGTERM to task ${job}_$victim's batch shell (what --signal=B:TERM@ sends before the time limit)"
wait_for "task $victim to requeue itself" in_log "$victim" 'requeueing'
kill "$scancel_pid" 2>/dev/null || true
task_field() { scontrol show job "${job}_$1" --oneliner 2>/dev/null | grep -o " $2=[^ ]*" | cut -d= -f2; }
task_pending() { [ "$(task_field "$victim" JobState)" = PENDING ]; }
wait_for "task $victim to be pending again" task_pending
# A requeued job waits about two minutes before it may start again; start it now.
scontrol update JobId="${job}_$victim" StartTime=now
say "task ${job}_$victim requeued; released"

# --- 5. wait for the array, then check ---------------------------------------------------
array_done() { [ -z "$(squeue --noheader --jobs="$job" 2>/dev/null)" ]; }
wait_for "array job $job to finish" array_done
say "array finished after $((SECONDS - started)) s"

failures=0
check() {  # check DESCRIPTION COMMAND...: report and count a failed assertion
  local what=$1
  shift
  if "$@"; then say "ok: $what"; else printf 'slurm-check: FAIL: %s\n' "$what" >&2; failures=$((failures + 1)); fi
}

summary=$("$runner" plan "$grid" "${plan_flags[@]}" 2>&1 >/dev/null)
check "every point's report has status ok and its config hash ($summary)" \
  test "$summary" = "runner plan: $tasks points: $tasks done, 0 pending"
statuses=$(python3 - "$results" <<'PY'
import json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).glob("*/report.json")):
    print(path.parent.name, json.loads(path.read_text())["status"])
PY
)
printf '%s\n' "$statuses" | sed 's/^/  /'
check "$tasks reports, all ok" test "$(grep -c ' ok$' <<<"$statuses")" = "$tasks"

victim_log=$(log_of $victim)
attempts=$(grep -c '^seqrec: task .*, attempt ' "$victim_log" || true)
check "task $victim ran twice (attempts in its log: $attempts)" test "$attempts" = 2
check "task $victim's first attempt wrote an interrupted report" grep -q ': interrupted: ' "$victim_log"
check "task $victim requeued itself" grep -q "requeueing ${job}_$victim" "$victim_log"
check "task $victim's second attempt completed" \
  sh -c "sed -n '/attempt 2 /,\$p' '$victim_log' | grep -q '^ok: completed $epochs epochs'"
restarts=$(task_field "$victim" Restarts)
check "SLURM counts one requeue of task $victim (Restarts=$restarts)" test "$restarts" = 1
for i in $(seq 1 $((tasks - 1))); do
  check "task $i ran once" test "$(grep -c '^seqrec: task .*, attempt ' "$(log_of "$i")")" = 1
done

# Resume (the rerun continues from its last complete epoch): asserted when the report
# schema has the field, or with SLURM_CHECK_EXPECT_RESUME=1; SLURM_CHECK_EXPECT_RESUME=0 skips it.
expect_resume=${SLURM_CHECK_EXPECT_RESUME:-}
if [ -z "$expect_resume" ]; then
  if grep -q '"resumed_from_epoch"' schema/report.schema.json; then expect_resume=1; else expect_resume=0; fi
fi
victim_dir=$(sed -n 's/.* --point \([^ ]*\) .*/\1/p' <<<"$(sed -n "$((victim + 1))p" "$results/slurm/sweep.plan")")
victim_report=$results/$victim_dir/report.json
if [ "$expect_resume" = 1 ]; then
  resumed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("resumed_from_epoch"))' "$victim_report")
  check "task $victim's report says it resumed (resumed_from_epoch=$resumed)" \
    python3 -c 'import sys; v = sys.argv[1]; sys.exit(0 if v.isdigit() and int(v) >= 2 else 1)' "$resumed"
else
  say "skipped: resume assertion (schema/report.schema.json has no resumed_from_epoch; SLURM_CHECK_EXPECT_RESUME=1 forces it)"
fi

table=$("$runner" compare "$results" --output "$tmp/compare" --no-html 2>/dev/null)
printf '%s\n' "$table"
for cell in lstm gru rnn sasrec; do
  check "runner compare lists cell=$cell" grep -q "cell=$cell" <<<"$table"
done

# --- 6. a search as a job array (docs/tuning.md, "On a SLURM cluster") -------------------
# The tiny tune fixture (6 trials of at most 4 epochs, pruned by successive halving): its
# trials as array tasks, 2 at a time, coordinating through the search directory; the result
# must be the trials `runner tune --jobs 2` gives on this machine.
tune_file=Tests/Fixtures/tune/tiny-tune.yaml
tune_results=$tmp/results/tune
submit=$("$runner" plan "$tune_file" --set "output.dir=$tune_results" --format slurm --runner "$runner" \
  --max-parallel 2 --time 10 --signal-grace 60)
read -r sbatch_word script extra <<<"$submit"
[ "$sbatch_word" = sbatch ] && [ -f "$script" ] && [ -z "${extra:-}" ] \
  || fail "runner plan --format slurm (tune) printed '$submit', expected 'sbatch SCRIPT'"
tune_job=$(sbatch --parsable "$script")
tune_job=${tune_job%%;*}
say "submitted the search $script as array job $tune_job"
tune_done() { [ -z "$(squeue --noheader --jobs="$tune_job" 2>/dev/null)" ]; }
wait_for "array job $tune_job (the search) to finish" tune_done
"$runner" tune "$tune_file" --quiet --jobs 2 --set "output.dir=$tmp/results/tune-local" >/dev/null
trials_of() {  # the trials as two searches must agree on them (timing left out)
  python3 - "$1/trials.json" <<'PY'
import json, sys
for t in json.load(open(sys.argv[1]))["trials"]:
    print(t["number"], t["state"], t["epochs_used"], t.get("objective"), [s["value"] for s in t["settings"]])
PY
}
tune_trials=$(trials_of "$tune_results")
printf '%s\n' "$tune_trials" | sed 's/^/  /'
check "the search's 6 trials all ended" test "$(grep -cE ' (complete|pruned|failed) ' <<<"$tune_trials")" = 6
check "the array's trials are runner tune --jobs 2's" test "$tune_trials" = "$(trials_of "$tmp/results/tune-local")"
check "the array wrote best.yaml" test -f "$tune_results/best.yaml"

[ "$failures" = 0 ] || fail "$failures assertion(s) failed"
say "passed in $((SECONDS - started)) s ($(sinfo --version))"
