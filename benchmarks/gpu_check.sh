#!/usr/bin/env bash
# The GPU check: at most 8 minutes on a machine with one GPU.
#
#   bash benchmarks/gpu_check.sh            # on the GPU machine
#   bash benchmarks/gpu_check.sh --dry-run  # anywhere: print every command
#                                           # and check that each parses
#
# Steps, each under `timeout` (the limits add up to 7 min 20 s):
#   1. the card and the process-group backend mmda picks (nccl);
#   2. the embedded benchmark's data, generated when missing (~20 s);
#   3. RIPU RA 5 % (small DeepLab-v2) for 100 iterations with one selection
#      round at iteration 50 and a validation at 100, under torchrun with one
#      rank and --launcher pytorch (nccl; NCCL_DEBUG=INFO);
#   4. AdvEnt (small DeepLab-v2) for 100 iterations, the same way;
#   5. tools/test.py on the RIPU run's checkpoint (target val);
#   6. the step time of RIPU with DeepLab-v2 ResNet-101 (the real recipe's
#      config, random init: no weight download) at the real sizes (source
#      1280x720, target 1280x640, 2 + 2 images per iteration; the embedded
#      benchmark's images upscaled by the config's own Resize), fp32 and
#      --amp, 25 iterations each, with the peak GPU memory
#      (torch.cuda.max_memory_allocated as mmengine logs it);
#   7. the figures, written to gpu_check.md in $OUT when OUT is set, else to
#      benchmarks/results/gpu_check.md (benchmarks/gpu_check.py summarise).
#
# Work dirs and logs: $OUT/gpu_check_work when OUT is set, else a temporary
# directory (kept; its path is printed). Environment: PYTHON (see
# slurm/lib/python.sh), PORT (torchrun's port, default 29533).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
DRY_RUN=0
case "${1:-}" in
    --dry-run) DRY_RUN=1 ;;
    "") ;;
    *) echo "usage: bash benchmarks/gpu_check.sh [--dry-run]" >&2; exit 2 ;;
esac
# shellcheck source=../slurm/lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" gpu_check
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PORT=${PORT:-29533}
RESULT_DIR=${OUT:-$ROOT/benchmarks/results}
if [ -n "${OUT:-}" ]; then
    WORK="$OUT/gpu_check_work"
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/mmda_gpu_check.XXXXXX")
    if [ "$DRY_RUN" = 1 ]; then
        trap 'rm -rf "$WORK"' EXIT
    fi
fi
echo "[gpu_check] work dirs and logs: $WORK"
COMMANDS="$WORK/commands.txt"
: > "$COMMANDS"
STARTED=$(date +%s)

SMALL_RIPU=configs/ripu/ripu_ra-5_deeplabv2-small_sim2real-gta5-to-cityscapes.py
SMALL_ADVENT=configs/advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py
R101_RIPU=configs/ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py
SHORT=(train_cfg.max_iters=100 train_cfg.val_interval=100
       default_hooks.logger.interval=10 default_hooks.checkpoint.interval=100)
SIM2REAL=data/sim2real
R101=(model.backbone.init_cfg=None
      "train_dataloader.dataset.source.data_root=$SIM2REAL/gta5"
      "train_dataloader.dataset.target.data_root=$SIM2REAL/cityscapes"
      "custom_hooks.0.dataloader.dataset.data_root=$SIM2REAL/cityscapes"
      "custom_hooks.0.select_iters=[100000]"
      train_cfg.max_iters=25 train_cfg.val_interval=25 val_cfg=None
      val_dataloader=None val_evaluator=None default_hooks.logger.interval=1
      default_hooks.checkpoint.interval=1000000000
      default_hooks.checkpoint.save_last=False)
TORCHRUN=("$PYTHON" -m torch.distributed.run --nnodes 1 --nproc_per_node 1
          --master_addr 127.0.0.1 --master_port "$PORT")

# step NAME LIMIT_S COMMAND...: run COMMAND under `timeout`, its output in
# $WORK/NAME.log (the end of it shown when it fails); --dry-run: record it
step() {
    local name=$1 limit=$2
    shift 2
    printf '%q ' "$@" >> "$COMMANDS"
    echo >> "$COMMANDS"
    echo "[gpu_check] $name (at most ${limit} s): $*"
    if [ "$DRY_RUN" = 1 ]; then
        return 0
    fi
    local t0=$SECONDS
    if ! timeout --kill-after=10 "$limit" "$@" > "$WORK/$name.log" 2>&1; then
        echo "[gpu_check] $name failed or ran past ${limit} s; the end of" \
            "$WORK/$name.log:" >&2
        tail -n 30 "$WORK/$name.log" >&2
        exit 1
    fi
    echo "[gpu_check] $name done in $((SECONDS - t0)) s"
}

if [ "$DRY_RUN" = 0 ]; then
    DEVICE=$(timeout 30 "$PYTHON" -c '
import torch
from mmda.engine.launch.process_group import process_group_backend
assert torch.cuda.is_available(), "no CUDA device"
print(f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
      f"CUDA {torch.version.cuda}, backend {process_group_backend()}")' \
        | tail -n 1)
    echo "[gpu_check] device: $DEVICE"
    timeout 60 "$PYTHON" -c "
import sys
sys.path.insert(0, 'benchmarks')
from sim2real_results import ensure_data
ensure_data('$ROOT/$SIM2REAL', sys.executable)"
fi

export NCCL_DEBUG=INFO
step ripu_nccl 90 "${TORCHRUN[@]}" tools/train.py "$SMALL_RIPU" \
    --launcher pytorch --work-dir "$WORK/ripu_nccl" \
    --cfg-options "${SHORT[@]}" "custom_hooks.0.select_iters=[50]"
step advent_nccl 75 "${TORCHRUN[@]}" tools/train.py "$SMALL_ADVENT" \
    --launcher pytorch --work-dir "$WORK/advent_nccl" \
    --cfg-options "${SHORT[@]}"
unset NCCL_DEBUG
step test 45 "$PYTHON" tools/test.py "$SMALL_RIPU" \
    "$WORK/ripu_nccl/iter_100.pth" --work-dir "$WORK/test"
step r101_fp32 60 "$PYTHON" tools/train.py "$R101_RIPU" \
    --work-dir "$WORK/r101_fp32" --cfg-options "${R101[@]}"
step r101_amp 60 "$PYTHON" tools/train.py "$R101_RIPU" --amp \
    --work-dir "$WORK/r101_amp" --cfg-options "${R101[@]}"

if [ "$DRY_RUN" = 1 ]; then
    timeout 120 "$PYTHON" benchmarks/gpu_check.py check "$COMMANDS"
    echo "[gpu_check] dry run: every command parses (nothing was trained)"
    exit 0
fi
NCCL_LINES=$(grep -c 'NCCL INFO' "$WORK/ripu_nccl.log" || true)
mkdir -p "$RESULT_DIR"
timeout 20 "$PYTHON" benchmarks/gpu_check.py summarise \
    --device "$DEVICE" --wall-s $(($(date +%s) - STARTED)) \
    --run "RIPU small, nccl, 1 rank" "$WORK/ripu_nccl" \
    --run "AdvEnt small, nccl, 1 rank" "$WORK/advent_nccl" \
    --run "RIPU R101 fp32, 2 + 2 images" "$WORK/r101_fp32" \
    --run "RIPU R101 --amp, 2 + 2 images" "$WORK/r101_amp" \
    --fp32 "RIPU R101 fp32, 2 + 2 images" \
    --amp "RIPU R101 --amp, 2 + 2 images" \
    --test-dir "$WORK/test" \
    --note "nccl: $NCCL_LINES 'NCCL INFO' lines in the RIPU run's log" \
    --note "R101: source 1280x720, target 1280x640 (the recipe's Resize of \
the embedded benchmark's images), random init, iterations 6-25 timed" \
    --out-dir "$RESULT_DIR"
echo "[gpu_check] figures: gpu_check.md in $RESULT_DIR"
