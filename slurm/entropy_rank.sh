#!/usr/bin/env bash
# IntraDA's ranking step as a Slurm batch job (one task): rank the target
# split with a checkpoint of a finished stage-1 run.
#
#   sbatch [sbatch options] slurm/entropy_rank.sh STAGE1_CONFIG STAGE1_WORK_DIR \
#       [tools/entropy_rank.py args: --out-dir DIR --lambda L --normalize
#        --snapshot best|last ...]
#
# The checkpoint is the run's best one (save_best, the official
# best-snapshot protocol), or the one STAGE1_WORK_DIR/last_checkpoint names
# when the run kept no best one or with --snapshot last; the job log says
# which (slurm/intrada.sh submits this job after stage 1 succeeded).
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
SRUN_OPTS=(--ntasks=1)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05)
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi
# (tools/entropy_rank.py picks the checkpoint of the work dir and says
# which)
echo "[slurm/entropy_rank.sh] job ${SLURM_JOB_ID:-?}: ranking with a" \
    "checkpoint of $STAGE1_DIR"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec srun "${SRUN_OPTS[@]}" "$PYTHON" -u "$ROOT/tools/entropy_rank.py" "$CONFIG" \
    "$STAGE1_DIR" --work-dir "$STAGE1_DIR" "$@"
