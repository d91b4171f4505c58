#!/usr/bin/env bash
# Runs libFuzzer targets of the fuzz-seqrec driver, each for SECONDS (what `make fuzz` calls
# after building the driver into .build-fuzz). Exits non-zero if any target found a crash,
# a hang (one input > 1 s) or an out-of-memory (> 2 GB); the input that did it is left in
# .build-fuzz/artifacts/<target>/ (see docs/development.md#fuzzing for what to do with it).
#
# usage: Fuzz/run.sh SECONDS TARGET...   (from the repository root)
set -uo pipefail
seconds=$1
shift
driver=${FUZZ_DRIVER:-.build-fuzz/release/fuzz-seqrec}
work=${FUZZ_WORK:-.build-fuzz/fuzz}
# Globals built once per process whose pointers LeakSanitizer cannot see (Fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

python3 Fuzz/make_seeds.py "$work/seeds" || exit 1
mkdir -p "$work/dictionaries"
Fuzz/make_dictionary.py yaml schema/experiment.schema.json > "$work/dictionaries/config.dict" || exit 1
Fuzz/make_dictionary.py json schema/report.schema.json > "$work/dictionaries/report.dict" || exit 1

failed=()
for target in "$@"; do
  case $target in
    config) max_len=4096; dictionary=$work/dictionaries/config.dict ;;
    report) max_len=16384; dictionary=$work/dictionaries/report.dict ;;
    safetensors) max_len=4096; dictionary=Fuzz/dictionaries/safetensors.dict ;;
    *) max_len=4096; dictionary=Fuzz/dictionaries/data.dict ;;
  esac
  corpus=$work/corpus/$target
  artifacts=$work/artifacts/$target
  mkdir -p "$corpus" "$artifacts" "$work/seeds/$target"
  log=$work/$target.log
  echo "== fuzz $target: ${seconds}s (log: $log)"
  # The Swift runtime's backtracer, started on a crash, can hang for minutes: libFuzzer's own
  # report is enough. New inputs go to the first directory (the working corpus).
  SWIFT_BACKTRACE=enable=no "$driver" --target="$target" "$corpus" "$work/seeds/$target" \
    -dict="$dictionary" -max_len="$max_len" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1
  status=$?
  # One line per target: executions, coverage (edges), corpus size and speed.
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1)
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "   ${runs:-?} executions; last status: ${stats:-none}"
  if [ $status -ne 0 ]; then
    failed+=("$target")
    grep -E 'ERROR: |Test unit written|SUMMARY' "$log" | head -5 | sed 's/^/   /'
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in: ${failed[*]} (inputs in $work/artifacts/)"
  exit 1
fi
echo "fuzz: no crashes, hangs or out-of-memory in $*"
