#!/usr/bin/env bash
# IntraDA on Slurm: stage 1 (AdvEnt), the entropy ranking and stage 2 as
# three jobs, each starting when the previous one succeeded
# (--dependency=afterok). Run it with bash (it calls sbatch) from the
# repository root:
#
#   bash slurm/intrada.sh [STAGE1_CONFIG] [STAGE2_CONFIG] \
#       [tools/entropy_rank.py args: --lambda 0.67 --normalize ...]
#
# The ranking uses stage 1's best checkpoint (save_best: the official
# IntraDA ranks with ADVENT's best snapshot), its last one when it kept
# none or with --snapshot last; the ranking job's log and the manifest
# (entropy_rank/manifest.json, "checkpoint") say which.
#
# The configs default to the GTA5 -> Cityscapes recipe
# (configs/advent/advent_deeplabv2-r101_gta5-to-cityscapes.py and
# configs/intrada/intrada_deeplabv2-r101_gta5-to-cityscapes.py).
# Everything goes under WORK_ROOT (default work_dirs/$NAME):
# stage1/, entropy_rank/, stage2/ (as tools/intrada_pipeline.py). The
# training jobs are slurm/train.sh jobs: preempted ones requeue and resume,
# and the next stage waits for them. When a stage fails, Slurm cancels the
# stages after it (--kill-on-invalid-dep=yes) instead of leaving them
# pending forever.
#
# Environment:
#   NAME         job-name prefix (intrada): NAME-stage1, NAME-rank, NAME-stage2
#   WORK_ROOT    directory of the pipeline (work_dirs/$NAME)
#   SBATCH_ARGS  extra sbatch options of every job, e.g.
#                "-p gpu --gres=gpu:1" or "--gres=none" (a cluster without GPUs)
#   TRAIN_ARGS   extra tools/train.py args of both trainings, e.g.
#                "--cfg-options train_cfg.max_iters=1000"
#   PYTHON, MMDA_ROOT   as slurm/train.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAGE1=${1:-configs/advent/advent_deeplabv2-r101_gta5-to-cityscapes.py}
STAGE2=${2:-configs/intrada/intrada_deeplabv2-r101_gta5-to-cityscapes.py}
shift $(($# < 2 ? $# : 2))
NAME=${NAME:-intrada}
WORK=${WORK_ROOT:-work_dirs/$NAME}
for f in "$STAGE1" "$STAGE2"; do
    if [ ! -f "$f" ]; then
        echo "slurm/intrada.sh: config $f not found" >&2
        exit 2
    fi
done
# shellcheck disable=SC2206  # split on purpose
EXTRA=(${SBATCH_ARGS:-})
# shellcheck disable=SC2206
TRAIN=(${TRAIN_ARGS:-})
export MMDA_ROOT=${MMDA_ROOT:-$ROOT}

stage1=$(sbatch --parsable -J "$NAME-stage1" "${EXTRA[@]}" \
    "$ROOT/slurm/train.sh" "$STAGE1" --work-dir "$WORK/stage1" "${TRAIN[@]}")
stage1=${stage1%%;*}
rank=$(sbatch --parsable -J "$NAME-rank" --dependency="afterok:$stage1" \
    --kill-on-invalid-dep=yes "${EXTRA[@]}" \
    "$ROOT/slurm/entropy_rank.sh" "$STAGE1" "$WORK/stage1" \
    --out-dir "$WORK/entropy_rank" "$@")
rank=${rank%%;*}
stage2=$(sbatch --parsable -J "$NAME-stage2" --dependency="afterok:$rank" \
    --kill-on-invalid-dep=yes "${EXTRA[@]}" \
    "$ROOT/slurm/train.sh" "$STAGE2" --work-dir "$WORK/stage2" \
    "${TRAIN[@]}" --cfg-options \
    "train_dataloader.dataset.source.manifest=$WORK/entropy_rank" \
    "train_dataloader.dataset.target.manifest=$WORK/entropy_rank")
stage2=${stage2%%;*}
echo "stage1 $stage1"
echo "rank $rank"
echo "stage2 $stage2"
