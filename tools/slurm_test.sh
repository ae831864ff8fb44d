#!/usr/bin/env bash
# Evaluate a checkpoint on a Slurm partition with srun directly (OpenMMLab
# style); the test set is sharded over the tasks (same numbers as one
# process).
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#       tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT \
#       [tools/test.py args...]
#
#   GPUS           tasks (= GPUs) in total                   (8)
#   GPUS_PER_NODE  tasks (= GPUs) per node                   (min(GPUS, 8))
#   CPUS_PER_TASK  CPUs per task                             (5)
#   GRES           generic resources per node      (gpu:$GPUS_PER_NODE);
#                  GRES=none on a cluster without GPUs
#   SRUN_ARGS      extra srun options
#   PYTHON         interpreter               (.venv/bin/python, else python)
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT" \
        "[tools/test.py args...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES:-gpu:$GPUS_PER_NODE}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../slurm/lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" tools/slurm_test.sh
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
    "$PYTHON" -u "$ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher slurm "$@"
