#!/usr/bin/env bash
# Train RIPU (active domain adaptation) as a Slurm batch job.
#
#   sbatch [sbatch options] slurm/train_ripu.sh [CONFIG] \
#       [tools/train.py args...]
#
# CONFIG defaults to RIPU's main recipe,
# configs/ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py (one GPU,
# batch 2 source + 2 target, 40k iterations, five selection rounds). Run
# sbatch from the repository root (or set MMDA_ROOT). Everything else is
# slurm/train.sh: requeue before the time limit with a checkpoint (the
# active-label ledger included) and exact resume, the work dir
# (work_dirs/<job name> with -J NAME, else work_dirs/<config name>), the
# environment variables (PYTHON, WORK_DIR, AUTO_RESUME, SRUN_ARGS,
# MMDA_ROOT). Examples:
#
#   sbatch slurm/train_ripu.sh
#   sbatch -J ripu-pa slurm/train_ripu.sh \
#       configs/ripu/ripu_pa_deeplabv2-r101_gta5-to-cityscapes.py
#   sbatch --ntasks-per-node=2 --gres=gpu:2 slurm/train_ripu.sh CONFIG \
#       --cfg-options train_dataloader.batch_size=1   # the recipe's batch
#   sbatch --gres=none --ntasks-per-node=2 --cpus-per-task=1 \
#       slurm/train_ripu.sh CONFIG     # a cluster without GPUs
#
# The #SBATCH lines are defaults (the recipe fits one GPU); command-line
# options win. --gres=none drops the GPU request on clusters without GPUs.
# The time-limit warning comes 600 s ahead: a selection round (scoring all
# 2975 Cityscapes images at full resolution) or a validation may be running
# when it arrives, and the checkpoint is written after it.
#
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=5
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --signal=B:USR1@600
#SBATCH --open-mode=append
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

DEFAULT_CONFIG=configs/ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py

find_root() {
    local here
    if [ -n "${MMDA_ROOT:-}" ]; then
        echo "$MMDA_ROOT"
        return
    fi
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." 2>/dev/null && pwd || true)"
    for dir in "$here" "${SLURM_SUBMIT_DIR:-}" "$PWD"; do
        if [ -n "$dir" ] && [ -f "$dir/slurm/train.sh" ]; then
            echo "$dir"
            return
        fi
    done
}
ROOT="$(find_root)"
if [ -z "$ROOT" ] || [ ! -f "$ROOT/slurm/train.sh" ]; then
    echo "slurm/train_ripu.sh: cannot find the mmda repository: run sbatch" \
        "from its root or set MMDA_ROOT" >&2
    exit 2
fi

if [ $# -gt 0 ] && [[ "$1" == *.py ]]; then
    CONFIG=$1
    shift
else
    CONFIG="$ROOT/$DEFAULT_CONFIG"
fi
# same process (signals from Slurm keep reaching it)
exec bash "$ROOT/slurm/train.sh" "$CONFIG" "$@"
