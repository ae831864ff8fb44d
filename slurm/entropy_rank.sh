#!/usr/bin/env bash
# IntraDA's ranking step as a Slurm batch job (one task): rank the target
# split with the final checkpoint of a finished stage-1 run.
#
#   sbatch [sbatch options] slurm/entropy_rank.sh STAGE1_CONFIG STAGE1_WORK_DIR \
#       [tools/entropy_rank.py args: --out-dir DIR --lambda L --normalize ...]
#
# The checkpoint is the one STAGE1_WORK_DIR/last_checkpoint names when the
# job starts (slurm/intrada.sh submits this job after stage 1 succeeded).
# Environment: PYTHON (.venv/bin/python, else python), MMDA_ROOT (the submit directory).
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=5
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: sbatch slurm/entropy_rank.sh STAGE1_CONFIG STAGE1_WORK_DIR" \
        "[tools/entropy_rank.py args...]" >&2
    exit 2
fi
CONFIG=$1
STAGE1_DIR=$2
shift 2
ROOT=${MMDA_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
# shellcheck source=lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" slurm/entropy_rank.sh
if [ ! -s "$STAGE1_DIR/last_checkpoint" ]; then
    echo "slurm/entropy_rank.sh: $STAGE1_DIR/last_checkpoint not found:" \
        "stage 1 has not written a checkpoint" >&2
    exit 1
fi
CKPT="$(cat "$STAGE1_DIR/last_checkpoint")"
# last_checkpoint names the checkpoint relative to the work dir
case "$CKPT" in /*) ;; *) CKPT="$STAGE1_DIR/$CKPT" ;; esac
SRUN_OPTS=(--ntasks=1)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05)
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi
echo "[slurm/entropy_rank.sh] job ${SLURM_JOB_ID:-?}: ranking with $CKPT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec srun "${SRUN_OPTS[@]}" "$PYTHON" -u "$ROOT/tools/entropy_rank.py" "$CONFIG" \
    "$CKPT" --work-dir "$STAGE1_DIR" "$@"
