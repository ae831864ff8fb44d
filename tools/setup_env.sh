#!/usr/bin/env bash
# Set up mmda on a fresh machine: a virtual environment with the pinned stack.
#
#   bash tools/setup_env.sh            # venv in ./.venv
#   MMDA_VENV=/path/to/venv bash tools/setup_env.sh
#
# Idempotent: a second run checks the install and returns in seconds. The
# packages are installed with the exact tested pins of
# requirements/constraints.txt. mmcv 2.1.0 has no wheel for torch 2.13, so it
# is compiled from source once (about 12 minutes on 2 cores) with its CPU ops
# (mmda calls no mmcv CUDA op; MMDA_MMCV_OPS=cuda builds the CUDA ops, which
# needs nvcc matching torch's CUDA and takes much longer). The wheel is kept
# in $MMDA_WHEEL_CACHE (default ~/.cache/mmda/wheels), keyed by Python tag,
# torch version and ops flavour, for every later install on this machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV=${MMDA_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
WHEEL_CACHE=${MMDA_WHEEL_CACHE:-$HOME/.cache/mmda/wheels}
CONSTRAINTS="$ROOT/requirements/constraints.txt"
pinned() { sed -n "s/^$1==//p" "$CONSTRAINTS"; }
TORCH_VERSION=$(pinned torch)
MMCV_VERSION=$(pinned mmcv)
MMCV_OPS=${MMDA_MMCV_OPS:-cpu}
case "$MMCV_OPS" in
cpu | cuda) ;;
*)
  echo "[mmda setup] MMDA_MMCV_OPS must be cpu or cuda, got '$MMCV_OPS'" >&2
  exit 2
  ;;
esac

log() { echo "[mmda setup] $*"; }

stamp_of() {
  cat "$ROOT/setup.cfg" "$ROOT/tools/setup_env.sh" "$CONSTRAINTS" |
    sha256sum | cut -c1-16
}

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV ($($PYTHON --version))"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
STAMP="$VENV/.mmda-setup-$(stamp_of)"
if [ -f "$STAMP" ] && "$PY" -c "import mmda, mmseg, mmcv.ops" 2>/dev/null; then
  log "environment $VENV is up to date ($("$PY" -c 'import mmda, mmseg, mmcv, torch; print(f"mmda {mmda.__version__}, mmseg {mmseg.__version__}, mmcv {mmcv.__version__}, torch {torch.__version__}")'))"
  exit 0
fi

pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

log "installing torch==$TORCH_VERSION and build tools"
pip_install -c "$CONSTRAINTS" "torch==$TORCH_VERSION" "setuptools>=77,<81" \
  wheel ninja numpy
export PATH="$VENV/bin:$PATH"  # ninja for the mmcv build

if [ "$MMCV_OPS" = cuda ]; then
  if ! command -v nvcc >/dev/null || ! "$PY" -c \
      "import torch, sys; sys.exit(0 if torch.version.cuda else 1)"; then
    echo "[mmda setup] MMDA_MMCV_OPS=cuda needs nvcc and a CUDA build of" \
      "torch" >&2
    exit 2
  fi
  FLAVOUR="cu$("$PY" -c 'import torch; print(torch.version.cuda)')"
  FORCE_CUDA=1
else
  FLAVOUR=cpu
  FORCE_CUDA=0
fi
PY_TAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
TORCH_TAG=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
MMCV_DIR="$WHEEL_CACHE/mmcv-$MMCV_VERSION/$PY_TAG-torch$TORCH_TAG-$FLAVOUR"

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(0 if mmcv.__version__ == '$MMCV_VERSION' else 1)" 2>/dev/null; then
  log "mmcv $MMCV_VERSION with ops already installed"
else
  if ! ls "$MMCV_DIR"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
    log "building mmcv $MMCV_VERSION from source with $FLAVOUR ops (about 12 min on 2 cores; cached in $MMCV_DIR)"
    mkdir -p "$MMCV_DIR"
    MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$PY" -m pip wheel --disable-pip-version-check -q --no-build-isolation \
      --no-deps "mmcv==$MMCV_VERSION" -w "$MMCV_DIR"
  fi
  log "installing mmcv from $(ls "$MMCV_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -1)"
  pip_install --no-deps "$(ls "$MMCV_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -1)"
fi

log "installing mmda with deepspeed, ray[tune] and the test tools (pins: $CONSTRAINTS)"
pip_install -c "$CONSTRAINTS" -e "$ROOT[all,tests]"

"$PY" - <<'PY'
import mmcv, mmengine, mmseg, torch
import mmcv.ops  # noqa: F401  compiled ops must load
import mmda
print(f'[mmda setup] ok: mmda {mmda.__version__}, mmseg {mmseg.__version__}, '
      f'mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'torch {torch.__version__} (cuda: {torch.cuda.is_available()})')
PY
rm -f "$VENV"/.mmda-setup-*
touch "$STAMP"
