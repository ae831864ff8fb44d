#!/usr/bin/env bash
# Train on a Slurm partition with srun directly (OpenMMLab style): one task
# per GPU, DDP over the tasks.
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] \
#       [tools/train.py args...]
#
#   GPUS           tasks (= GPUs) in total                   (8)
#   GPUS_PER_NODE  tasks (= GPUs) per node                   (min(GPUS, 8))
#   CPUS_PER_TASK  CPUs per task (dataloader workers + 1)    (5)
#   GRES           generic resources per node      (gpu:$GPUS_PER_NODE);
#                  GRES=none on a cluster without GPUs
#   SRUN_ARGS      extra srun options, e.g. "--time=12:00:00 --qos=high"
#   PYTHON         interpreter               (.venv/bin/python, else python)
#
# WORK_DIR defaults to tools/train.py's work_dirs/<config name>. This is an
# interactive srun (no batch job): a signal still checkpoints and stops the
# run, but nothing requeues it; resume with `--resume`. For a batch job that
# requeues itself before its time limit use slurm/train.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR]" \
        "[tools/train.py args...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR_ARGS=()
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    WORK_DIR_ARGS=(--work-dir "$1")
    shift
fi
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES:-gpu:$GPUS_PER_NODE}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../slurm/lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" tools/slurm_train.sh
GRES_ARGS=()
if [ "$GRES" != none ] && [ "$GPUS_PER_NODE" != 0 ]; then
    GRES_ARGS=(--gres="$GRES")
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$CPUS_PER_TASK}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# shellcheck disable=SC2086  # SRUN_ARGS is split on purpose
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES_ARGS[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "$PYTHON" -u "$ROOT/tools/train.py" "$CONFIG" --launcher slurm \
    "${WORK_DIR_ARGS[@]}" "$@"
