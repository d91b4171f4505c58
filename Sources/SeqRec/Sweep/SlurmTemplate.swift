// The sbatch job-array script that `runner plan --format slurm` writes. `SlurmArray` fills
// the `{{NAME}}` fields; the snapshot test Tests/Fixtures/sweep/plan.sbatch shows a filled
// copy, and scripts/slurm-check.sh runs one on a real SLURM cluster.
//
// How a task ends at its time limit: `--signal=B:TERM@GRACE` makes SLURM send SIGTERM to
// this script (the batch shell only) GRACE seconds before the limit. The script forwards it
// once to the runner, which finishes its current batch, writes an `interrupted` report and
// exits 1; the script then requeues its own task with `scontrol requeue` (only while the
// job is still RUNNING, so `scancel` stays final, and at most MAX_REQUEUES times), and the
// requeued task runs the same plan line again. sbatch keeps its own copy of the script, so
// the plan lines cannot change under a requeued task. Logs are opened in append mode so
// that one file per task (`%A_%a`) holds every attempt.

enum SlurmTemplate {
    static let script = """
        #!/bin/bash
        # A seqrec sweep as a SLURM job array, written by `runner plan --format slurm`:
        # {{SUMMARY}}; one array task per pending point.
        # Submit with: {{SUBMIT}}
        #
        # Task i runs plan line i (the `case` below; the same lines are in {{PLAN}}).
        # A point without training.threads trains with SLURM_CPUS_PER_TASK threads.
        # Time limit: SLURM sends SIGTERM to this script {{GRACE}} s before the limit (it may come
        # up to a minute earlier); the runner gets it once, stops after its current batch and
        # writes an `interrupted` report; the task then requeues itself (at most
        # {{MAX_REQUEUES}} times, never after scancel) and runs the same line again.
        #SBATCH --job-name={{JOB_NAME}}
        #SBATCH --array=0-{{LAST_TASK}}{{THROTTLE}}
        #SBATCH --chdir={{WORKDIR}}
        #SBATCH --cpus-per-task={{CPUS}}
        #SBATCH --output={{LOG}}
        #SBATCH --open-mode=append
        #SBATCH --requeue
        #SBATCH --signal=B:TERM@{{GRACE}}
        {{EXTRA_LINES}}
        set -uo pipefail
        max_requeues={{MAX_REQUEUES}}
        task=${SLURM_ARRAY_JOB_ID:?submit this script with sbatch}_${SLURM_ARRAY_TASK_ID}

        case $SLURM_ARRAY_TASK_ID in
        {{CASES}}
          *) echo "seqrec: no plan line for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;
        esac

        echo "seqrec: task $task, attempt $((${SLURM_RESTART_COUNT:-0} + 1)) on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "seqrec: ${point[*]}"

        # SIGTERM (time-limit warning, scancel --signal=TERM) goes to this shell; pass it on once.
        signalled=0
        runner_pid=
        trap 'signalled=1; [ -z "$runner_pid" ] || kill -TERM "$runner_pid" 2>/dev/null' TERM
        "${point[@]}" &
        runner_pid=$!
        # A trapped signal interrupts `wait`; wait again until the runner has exited.
        wait "$runner_pid"; status=$?
        while kill -0 "$runner_pid" 2>/dev/null; do wait "$runner_pid"; status=$?; done
        trap - TERM

        if [ "$signalled" = 1 ] && [ "$status" -ne 0 ]; then
          state=$(scontrol show job "$task" --oneliner 2>/dev/null | sed -n 's/.* JobState=\\([A-Z_]*\\) .*/\\1/p')
          restarts=${SLURM_RESTART_COUNT:-0}
          if [ "$state" != RUNNING ]; then
            echo "seqrec: stopped by SIGTERM, job ${state:-in an unknown state}: not requeued"
          elif [ "$restarts" -ge "$max_requeues" ]; then
            echo "seqrec: stopped by SIGTERM: not requeued, already requeued $restarts times (max $max_requeues)"
          else
            echo "seqrec: stopped by SIGTERM (time limit or scancel --signal=TERM): requeueing $task"
            scontrol requeue "$task"
          fi
        fi
        echo "seqrec: task $task: runner exited $status"
        exit "$status"

        """
}
