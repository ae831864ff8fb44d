#!/usr/bin/env bash
# Train any mmda config as a Slurm batch job: DDP with one task per GPU,
# requeued before the time limit and resumed exactly where it stopped.
#
#   sbatch [sbatch options] slurm/train.sh CONFIG [tools/train.py args...]
#
# Run sbatch from the repository root (or set MMDA_ROOT). The #SBATCH lines
# below are defaults; sbatch options given on the command line win:
#
#   sbatch --nodes=2 --ntasks-per-node=4 --gres=gpu:4 slurm/train.sh CONFIG
#   sbatch -p gpu -J my-exp --time=12:00:00 slurm/train.sh CONFIG
#   sbatch --gres=none --ntasks-per-node=2 --cpus-per-task=1 \
#       slurm/train.sh CONFIG          # a cluster without GPUs (gloo)
#
# One task is one process and one GPU: ask for as many GPUs per node
# (--gres=gpu:N, or your site's --gpus-per-node=N) as tasks per node. The
# default asks for one GPU; a cluster without GPUs rejects any gres
# request, so pass --gres=none there. The backend (nccl on GPUs, gloo on
# CPU) is chosen by mmda. Every task samples `batch_size` images per
# iteration: N tasks train with N x the config's batch.
#
# Preemption: Slurm sends SIGUSR1 to this script 300 s before the time
# limit (--signal=B:USR1@300). The script forwards it to the tasks; they
# finish the current iteration, write a checkpoint and `last_checkpoint`,
# and rank 0 requeues the job (scontrol requeue; needs --requeue). The
# warning must leave time for the rest of an iteration, a validation that
# may be running and the checkpoint: raise it (--signal=B:USR1@600) when
# validation takes minutes. The
# requeued job (same job id and name) finds `last_checkpoint` in its work
# dir and resumes with --resume: nothing is replayed and the final weights
# are those of an uninterrupted run. SIGTERM (preemption, scancel) also
# checkpoints and stops, without requeueing. The same signal by hand:
#   scancel --signal=USR1 --batch JOBID
# Logs go to slurm-<job name>-<job id>.out (appended across requeues).
#
# Work dir, by priority: --work-dir in the arguments, $WORK_DIR,
# work_dirs/<job name> when the job is named (-J NAME), else
# work_dirs/<config name> (as tools/train.py). A job submitted again with
# the same name continues the run in that directory (AUTO_RESUME=0 starts
# from scratch).
#
# Environment (exported by sbatch into the job):
#   PYTHON       interpreter        (.venv/bin/python, else python)
#   MMDA_ROOT    repository root                     (the submit directory)
#   WORK_DIR     work dir (see above)
#   AUTO_RESUME  1: add --resume when the work dir has last_checkpoint (1)
#   SRUN_ARGS    extra srun options, e.g. "--mpi=none"
#   OMP_NUM_THREADS  threads per task                ($SLURM_CPUS_PER_TASK)
#
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=5
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --signal=B:USR1@300
#SBATCH --open-mode=append
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: sbatch slurm/train.sh CONFIG [tools/train.py args...]" >&2
    exit 2
fi
CONFIG=$1
shift

# --- the repository (sbatch runs a copy of this script from its spool dir)
find_root() {
    local here
    if [ -n "${MMDA_ROOT:-}" ]; then
        echo "$MMDA_ROOT"
        return
    fi
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." 2>/dev/null && pwd || true)"
    for dir in "$here" "${SLURM_SUBMIT_DIR:-}" "$PWD"; do
        if [ -n "$dir" ] && [ -f "$dir/tools/train.py" ]; then
            echo "$dir"
            return
        fi
    done
}
ROOT="$(find_root)"
if [ -z "$ROOT" ] || [ ! -f "$ROOT/tools/train.py" ]; then
    echo "slurm/train.sh: cannot find the mmda repository: run sbatch from" \
        "its root or set MMDA_ROOT" >&2
    exit 2
fi
# shellcheck source=lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" slurm/train.sh

# --- work dir and automatic resume
# shellcheck source=lib/work_dir.sh
source "$ROOT/slurm/lib/work_dir.sh"
resolve_work_dir "$CONFIG" "" last_checkpoint "$@"

SRUN_OPTS=(--kill-on-bad-exit=1)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05)
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi
# shellcheck disable=SC2206  # SRUN_ARGS is split on purpose
SRUN_OPTS+=(${SRUN_ARGS:-})

echo "[slurm/train.sh] job ${SLURM_JOB_ID:-?} (${SLURM_JOB_NAME:-?})" \
    "start ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST:-?}:" \
    "${SLURM_NTASKS:-1} task(s), work dir $WORK_DIR$RESUMING"

# bash runs traps only between commands: srun runs in the background and
# the script waits for it, forwarding the signals Slurm sends to this shell
SRUN_PID=""
PENDING=""
forward() {
    echo "[slurm/train.sh] got SIG$1: forwarding it to the tasks"
    if [ -n "$SRUN_PID" ]; then
        kill -s "$1" "$SRUN_PID" 2>/dev/null || true
    else
        PENDING="$1"
    fi
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
srun "${SRUN_OPTS[@]}" "$PYTHON" -u "$ROOT/tools/train.py" "$CONFIG" \
    --launcher slurm "${EXTRA[@]}" "$@" &
SRUN_PID=$!
if [ -n "$PENDING" ]; then
    kill -s "$PENDING" "$SRUN_PID" 2>/dev/null || true
fi
rc=0
while :; do
    wait "$SRUN_PID" && rc=0 || rc=$?
    kill -0 "$SRUN_PID" 2>/dev/null || break  # else: a trap interrupted
done
echo "[slurm/train.sh] tasks exited with status $rc"
exit "$rc"
