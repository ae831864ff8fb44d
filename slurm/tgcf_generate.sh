#!/usr/bin/env bash
# TGCF-DA's generation step as a Slurm batch job (one task): write the
# augmented source set with the final checkpoint of a finished stage-A run.
#
#   sbatch [sbatch options] slurm/tgcf_generate.sh STAGE_A_CONFIG \
#       STAGE_A_WORK_DIR --out DIR [tools/tgcf_generate.py args: --seed S ...]
#
# The checkpoint is the one STAGE_A_WORK_DIR/last_checkpoint names when the
# job starts (slurm/tgcf.sh submits this job after stage A succeeded). The
# output replaces an older set in one rename (--force).
# Environment: PYTHON (python), MMDA_ROOT (the submit directory).
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=5
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: sbatch slurm/tgcf_generate.sh STAGE_A_CONFIG" \
        "STAGE_A_WORK_DIR --out DIR [tools/tgcf_generate.py args...]" >&2
    exit 2
fi
CONFIG=$1
STAGE_A_DIR=$2
shift 2
ROOT=${MMDA_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}
PYTHON=${PYTHON:-python}
if [ ! -s "$STAGE_A_DIR/last_checkpoint" ]; then
    echo "slurm/tgcf_generate.sh: $STAGE_A_DIR/last_checkpoint not found:" \
        "stage A has not written a checkpoint" >&2
    exit 1
fi
CKPT="$(cat "$STAGE_A_DIR/last_checkpoint")"
# last_checkpoint names the checkpoint relative to the work dir
case "$CKPT" in /*) ;; *) CKPT="$STAGE_A_DIR/$CKPT" ;; esac
SRUN_OPTS=(--ntasks=1)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05)
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$SLURM_CPUS_PER_TASK}
fi
echo "[slurm/tgcf_generate.sh] job ${SLURM_JOB_ID:-?}: generating with $CKPT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec srun "${SRUN_OPTS[@]}" "$PYTHON" -u "$ROOT/tools/tgcf_generate.py" \
    "$CONFIG" "$CKPT" --force "$@"
