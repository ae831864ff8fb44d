#!/usr/bin/env bash
# Multi-process training with torchrun (one process per GPU; on a CPU-only
# machine, processes share the cores and talk over gloo).
#   tools/dist_train.sh CONFIG NPROC [tools/train.py args...]
# Multi-node: run once per node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../slurm/lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" tools/dist_train.sh

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
