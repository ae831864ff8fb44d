#!/usr/bin/env bash
# TGCF-DA on Slurm: the generator stage (A), the generation of the augmented
# source set and the segmentation stage (B) as three jobs, each starting
# when the previous one succeeded (--dependency=afterok). Run it with bash
# (it calls sbatch) from the repository root:
#
#   bash slurm/tgcf.sh STAGE_A_CONFIG STAGE_B_CONFIG SOURCE_ONLY_CKPT \
#       [tools/tgcf_generate.py args: --seed S ...]
#
# SOURCE_ONLY_CKPT is the frozen source-trained segmentor of the semantic
# constraint. Everything goes under WORK_ROOT (default work_dirs/$NAME):
# stage_a/, generated/, stage_b/ (tools/tgcf_pipeline.py does the same in
# one process). The training jobs are slurm/train.sh jobs: preempted ones
# requeue and resume, and the next stage waits for them. When a stage
# fails, Slurm cancels the stages after it (--kill-on-invalid-dep=yes).
#
# Environment:
#   NAME           job-name prefix (tgcf): NAME-stage-a, NAME-generate,
#                  NAME-stage-b
#   WORK_ROOT      directory of the pipeline (work_dirs/$NAME)
#   SBATCH_ARGS    extra sbatch options of every job
#   STAGE_A_ARGS   extra tools/train.py args of stage A
#   STAGE_B_ARGS   extra tools/train.py args of stage B
#   PYTHON, MMDA_ROOT   as slurm/train.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 3 ]; then
    echo "usage: bash slurm/tgcf.sh STAGE_A_CONFIG STAGE_B_CONFIG" \
        "SOURCE_ONLY_CKPT [tools/tgcf_generate.py args...]" >&2
    exit 2
fi
STAGE_A=$1
STAGE_B=$2
SRC_CKPT=$3
shift 3
NAME=${NAME:-tgcf}
WORK=${WORK_ROOT:-work_dirs/$NAME}
PYTHON=${PYTHON:-python}
for f in "$STAGE_A" "$STAGE_B" "$SRC_CKPT"; do
    if [ ! -f "$f" ]; then
        echo "slurm/tgcf.sh: $f not found" >&2
        exit 2
    fi
done
# shellcheck disable=SC2206  # split on purpose
EXTRA=(${SBATCH_ARGS:-})
# shellcheck disable=SC2206
TRAIN_A=(${STAGE_A_ARGS:-})
# shellcheck disable=SC2206
TRAIN_B=(${STAGE_B_ARGS:-})
export MMDA_ROOT=${MMDA_ROOT:-$ROOT}
mkdir -p "$WORK"
GENERATED="$(cd "$WORK" && pwd)/generated"
# the stage-B options that read the generated set (checked before
# submitting; only the KEY=VALUE lines: imports may log to stdout)
OPTIONS=$(PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    "$PYTHON" "$ROOT/tools/tgcf_pipeline.py" "$STAGE_A" "$STAGE_B" \
    --print-stage-b-options --generated-dir "$GENERATED")
mapfile -t B_ROOTS < <(grep -E '^[A-Za-z_][A-Za-z0-9_.]*=' <<< "$OPTIONS")
if [ ${#B_ROOTS[@]} -eq 0 ]; then
    echo "slurm/tgcf.sh: $STAGE_B reads no generated set" >&2
    exit 2
fi

stage_a=$(sbatch --parsable -J "$NAME-stage-a" "${EXTRA[@]}" \
    "$ROOT/slurm/train.sh" "$STAGE_A" --work-dir "$WORK/stage_a" \
    "${TRAIN_A[@]}" --cfg-options "model.segmentor_checkpoint=$SRC_CKPT")
stage_a=${stage_a%%;*}
generate=$(sbatch --parsable -J "$NAME-generate" \
    --dependency="afterok:$stage_a" --kill-on-invalid-dep=yes "${EXTRA[@]}" \
    "$ROOT/slurm/tgcf_generate.sh" "$STAGE_A" "$WORK/stage_a" \
    --out "$GENERATED" "$@")
generate=${generate%%;*}
stage_b=$(sbatch --parsable -J "$NAME-stage-b" \
    --dependency="afterok:$generate" --kill-on-invalid-dep=yes \
    "${EXTRA[@]}" "$ROOT/slurm/train.sh" "$STAGE_B" \
    --work-dir "$WORK/stage_b" "${TRAIN_B[@]}" --cfg-options "${B_ROOTS[@]}")
stage_b=${stage_b%%;*}
echo "stage_a $stage_a"
echo "generate $generate"
echo "stage_b $stage_b"
