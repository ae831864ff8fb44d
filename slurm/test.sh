#!/usr/bin/env bash
# Evaluate a checkpoint as a Slurm batch job (the test set sharded over the
# tasks; the same numbers as one process).
#
#   sbatch [sbatch options] slurm/test.sh CONFIG CHECKPOINT \
#       [tools/test.py args...]
#
# Run sbatch from the repository root (or set MMDA_ROOT). The #SBATCH lines
# are defaults; command-line options win, e.g.
#   sbatch --ntasks-per-node=4 --gres=gpu:4 slurm/test.sh CONFIG CKPT
#   sbatch --gres=none --ntasks-per-node=2 --cpus-per-task=1 \
#       slurm/test.sh CONFIG CKPT       # a cluster without GPUs
# One task per GPU; --gres=none drops the GPU request where there are none.
# The work dir (metrics, logs) defaults to work_dirs/<job name>-test with
# -J NAME, else tools/test.py's default; pass --work-dir to choose.
#
# Environment: PYTHON (.venv/bin/python, else python), MMDA_ROOT, SRUN_ARGS (extra srun options),
# OMP_NUM_THREADS ($SLURM_CPUS_PER_TASK).
#
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=5
#SBATCH --time=2:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: sbatch slurm/test.sh CONFIG CHECKPOINT" \
        "[tools/test.py args]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
shift 2

find_root() {
    local here
    if [ -n "${MMDA_ROOT:-}" ]; then
        echo "$MMDA_ROOT"
        return
    fi
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." 2>/dev/null && pwd || true)"
    for dir in "$here" "${SLURM_SUBMIT_DIR:-}" "$PWD"; do
        if [ -n "$dir" ] && [ -f "$dir/tools/test.py" ]; then
            echo "$dir"
            return
        fi
    done
}
ROOT="$(find_root)"
if [ -z "$ROOT" ] || [ ! -f "$ROOT/tools/test.py" ]; then
    echo "slurm/test.sh: cannot find the mmda repository: run sbatch from" \
        "its root or set MMDA_ROOT" >&2
    exit 2
fi
# shellcheck source=lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" slurm/test.sh

EXTRA=()
case " $* " in
*" --work-dir "* | *" --work-dir="*) ;;
*)
    case "${SLURM_JOB_NAME:-}" in
    "" | *.sh | slurm_script) ;;
    *) EXTRA+=(--work-dir "work_dirs/${SLURM_JOB_NAME}-test") ;;
    esac
    ;;
esac

SRUN_OPTS=(--kill-on-bad-exit=1)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi
# shellcheck disable=SC2206  # SRUN_ARGS is split on purpose
SRUN_OPTS+=(${SRUN_ARGS:-})

echo "[slurm/test.sh] job ${SLURM_JOB_ID:-?} on ${SLURM_JOB_NODELIST:-?}:" \
    "${SLURM_NTASKS:-1} task(s), $CHECKPOINT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec srun "${SRUN_OPTS[@]}" "$PYTHON" -u "$ROOT/tools/test.py" "$CONFIG" \
    "$CHECKPOINT" --launcher slurm "${EXTRA[@]}" "$@"
