#!/usr/bin/env bash
# Hyper-parameter search of any mmda config over a Slurm allocation: a Ray
# cluster on the allocated nodes, then tools/tune.py on it.
#
#   sbatch [sbatch options] slurm/tune.sh CONFIG [tools/tune.py args...]
#
# Run sbatch from the repository root (or set MMDA_ROOT). The #SBATCH lines
# below are defaults; sbatch options given on the command line win:
#
#   sbatch slurm/tune.sh CONFIG --search-space \
#       'model.negative_loss.tau=loguniform(0.01,0.2)' --num-samples 16 \
#       --gpus-per-trial 1                        # 1 node, 4 GPUs: 4 at once
#   sbatch --nodes=4 --gres=gpu:8 --cpus-per-task=64 slurm/tune.sh CONFIG \
#       --gpus-per-trial 4 --cpus-per-trial 16    # DDP on 4 GPUs per trial
#   sbatch --gres=none --cpus-per-task=2 slurm/tune.sh CONFIG \
#       --num-samples 2                           # a cluster without GPUs
#
# One task per node: the first node of the allocation runs the Ray head
# (`ray start --head`), every other node a Ray worker (`ray start
# --address`), each with the node's CPUs (--cpus-per-task) and GPUs (the
# job's gres). The script waits until every node has joined, then runs
# tools/tune.py on the batch host with --address: trials are placed over
# the whole cluster by Ray (--cpus-per-trial / --gpus-per-trial /
# --workers-per-trial, see tools/tune.py). The repository, the data and
# the work dir must be on a filesystem every node sees.
#
# Preemption and time limits: Slurm sends SIGUSR1 300 s before the limit
# (--signal=B:USR1@300). The script forwards it to tools/tune.py, which
# stops the trials, saves the search and exits; the job then requeues
# itself (scontrol requeue; needs --requeue) and the requeued job finds
# the saved search (settings.json in the work dir) and continues it with
# --resume: finished trials are kept, unfinished ones resume from their
# last checkpoints. Logs go to slurm-<job name>-<job id>.out.
#
# Work dir, by priority: --work-dir in the arguments, $WORK_DIR,
# work_dirs/<job name> when the job is named (-J NAME), else
# work_dirs/tune_<config name> (as tools/tune.py).
#
# Environment (exported by sbatch into the job):
#   PYTHON         interpreter      (.venv/bin/python, else python)
#   RAY            the ray command                  (ray next to $PYTHON)
#   MMDA_ROOT      repository root                  (the submit directory)
#   WORK_DIR       work dir (see above)
#   AUTO_RESUME    1: add --resume when the work dir holds a search (1)
#   RAY_PORT       port of the Ray head (30000 + a per-job offset, out of
#                  the ranges of Ray's workers and of mmda's DDP master
#                  ports); the next port is the nodes' dashboard agent
#   RAY_HEAD_IP    address of the head node       (hostname --ip-address)
#   RAY_TEMP_DIR   Ray's temp dir on every node     (/tmp/ray_<job id>)
#   RAY_START_TIMEOUT  seconds to wait for the nodes to join (300)
#   SRUN_ARGS      extra srun options, e.g. "--mpi=none"
#   RAY_AUTH_MODE, RAY_AUTH_TOKEN  Ray's token authentication (Ray >= 2.59):
#                  by default a random token of the job, exported to every
#                  node and to tools/tune.py; set them to use your site's
#
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gres=gpu:4
#SBATCH --cpus-per-task=16
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --signal=B:USR1@300
#SBATCH --open-mode=append
#SBATCH --output=slurm-%x-%j.out
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: sbatch slurm/tune.sh CONFIG [tools/tune.py args...]" >&2
    exit 2
fi
CONFIG=$1
shift

log() { echo "[slurm/tune.sh] $*"; }

# --- the repository (sbatch runs a copy of this script from its spool dir)
find_root() {
    local here
    if [ -n "${MMDA_ROOT:-}" ]; then
        echo "$MMDA_ROOT"
        return
    fi
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." 2>/dev/null && pwd || true)"
    for dir in "$here" "${SLURM_SUBMIT_DIR:-}" "$PWD"; do
        if [ -n "$dir" ] && [ -f "$dir/tools/tune.py" ]; then
            echo "$dir"
            return
        fi
    done
}
ROOT="$(find_root)"
if [ -z "$ROOT" ] || [ ! -f "$ROOT/tools/tune.py" ]; then
    echo "slurm/tune.sh: cannot find the mmda repository: run sbatch from" \
        "its root or set MMDA_ROOT" >&2
    exit 2
fi
# shellcheck source=lib/python.sh
source "$ROOT/slurm/lib/python.sh"
resolve_python "$ROOT" slurm/tune.sh
if [ -z "${RAY:-}" ]; then
    RAY="$(dirname "$(command -v "$PYTHON")")/ray"
    [ -x "$RAY" ] || RAY=ray
fi
JOB_ID=${SLURM_JOB_ID:?slurm/tune.sh runs inside a Slurm job: submit it with sbatch}

# --- work dir and automatic resume
# shellcheck source=lib/work_dir.sh
source "$ROOT/slurm/lib/work_dir.sh"
resolve_work_dir "$CONFIG" "tune_" settings.json "$@"

# --- the Ray cluster: head on the first node, workers on the others
mapfile -t NODES < <(scontrol show hostnames "${SLURM_JOB_NODELIST:?}")
HEAD=${NODES[0]}
PORT=${RAY_PORT:-$((30000 + (JOB_ID % 1300) * 2))}
TEMP_DIR=${RAY_TEMP_DIR:-/tmp/ray_$JOB_ID}
CPUS=${SLURM_CPUS_PER_TASK:-$(nproc)}
SRUN_OPTS=(--nodes=1 --ntasks=1 --kill-on-bad-exit=0)
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    # srun does not inherit --cpus-per-task from sbatch (Slurm >= 22.05)
    SRUN_OPTS+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")
fi
# shellcheck disable=SC2206  # SRUN_ARGS is split on purpose
SRUN_OPTS+=(${SRUN_ARGS:-})
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export RAY_USAGE_STATS_ENABLED=0
# Ray's token authentication: a token of this job, in the environment of
# every step and of tools/tune.py (unless the site configures its own)
if [ -z "${RAY_AUTH_MODE:-}" ]; then
    export RAY_AUTH_MODE=token
    if [ -z "${RAY_AUTH_TOKEN:-}${RAY_AUTH_TOKEN_PATH:-}" ]; then
        RAY_AUTH_TOKEN=$("$PYTHON" -c \
            'import secrets; print(secrets.token_hex(32))')
        export RAY_AUTH_TOKEN
    fi
fi
# one OpenMP thread per CPU of a trial: Ray sets OMP_NUM_THREADS per trial
unset OMP_NUM_THREADS

HEAD_IP=${RAY_HEAD_IP:-$(srun "${SRUN_OPTS[@]}" -w "$HEAD" \
    hostname --ip-address | awk '{print $1}')}
ADDRESS="$HEAD_IP:$PORT"
log "job $JOB_ID (${SLURM_JOB_NAME:-?}) start ${SLURM_RESTART_COUNT:-0}:" \
    "Ray head on $HEAD ($ADDRESS), ${#NODES[@]} node(s) of $CPUS CPU(s)," \
    "work dir $WORK_DIR$RESUMING"

# signals Slurm sends to this shell go to tools/tune.py once it runs;
# before that (Ray starting) they are remembered
TUNE_PID=""
PENDING=""
REQUEUE=0
forward() {
    [ "$1" = USR1 ] && REQUEUE=1
    if [ -n "$TUNE_PID" ]; then
        log "got SIG$1: stopping the search (it is saved in $WORK_DIR)"
        # tools/tune.py (Ray Tune) saves the search on SIGUSR1 and SIGINT
        # (a background job of a batch shell ignores SIGINT: send USR1)
        kill -s USR1 "$TUNE_PID" 2>/dev/null || true
    else
        PENDING="$1"
    fi
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM

RAY_PIDS=()
stop_ray() {
    local pid
    [ "${#RAY_PIDS[@]}" -gt 0 ] || return 0
    log "stopping Ray on ${#NODES[@]} node(s)"
    for pid in "${RAY_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${RAY_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    RAY_PIDS=()
}
trap stop_ray EXIT

RAY_COMMON=(--num-cpus="$CPUS" --temp-dir="$TEMP_DIR" --disable-usage-stats
    --block)
srun "${SRUN_OPTS[@]}" -w "$HEAD" "$RAY" start --head \
    --node-ip-address="$HEAD_IP" --port="$PORT" \
    --dashboard-agent-listen-port=$((PORT + 1)) \
    --include-dashboard=false "${RAY_COMMON[@]}" &
HEAD_PID=$!
RAY_PIDS+=("$HEAD_PID")
# the workers join once the head answers (the waiter below checks it)
wait_for_nodes() {  # wait_for_nodes COUNT
    "$PYTHON" - "$ADDRESS" "$1" "${RAY_START_TIMEOUT:-300}" "$HEAD_PID" \
        <<'PY'
import os
import socket
import sys
import time

address, nodes, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
head_pid = int(sys.argv[4])
deadline = time.time() + timeout
import ray  # noqa: E402


def running(pid):
    """Whether the head's srun still runs (an exited child of the batch
    shell stays a zombie until the shell waits for it)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in 'ZX'
    except OSError:
        return False


def answers(host_port):
    host, port = host_port.rsplit(':', 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        return True
    except OSError:
        return False


while True:
    if not running(head_pid):
        sys.exit('[slurm/tune.sh] the Ray head exited (see its output '
                 'above)')
    if not answers(address):
        if time.time() > deadline:
            sys.exit(f'[slurm/tune.sh] the Ray head at {address} did not '
                     f'answer in {timeout:g} s')
        time.sleep(1)
        continue
    try:
        ray.init(address=address, log_to_driver=False)
        alive = [n for n in ray.nodes() if n['Alive']]
        ray.shutdown()
        if len(alive) >= nodes:
            cpus = sum(n['Resources'].get('CPU', 0) for n in alive)
            gpus = sum(n['Resources'].get('GPU', 0) for n in alive)
            print(f'[slurm/tune.sh] Ray cluster at {address}: {len(alive)} '
                  f'node(s), {cpus:g} CPU(s), {gpus:g} GPU(s)', flush=True)
            break
    except Exception as err:  # the head is still starting
        if ray.is_initialized():
            ray.shutdown()
        if 'auth' in str(err).lower():
            sys.exit(f'[slurm/tune.sh] {address} refused the connection: '
                     f'{err}')
    if time.time() > deadline:
        sys.exit(f'[slurm/tune.sh] the Ray cluster at {address} did not '
                 f'come up with {nodes} node(s) in {timeout:g} s')
    time.sleep(2)
PY
}
wait_for_nodes 1
if [ "${#NODES[@]}" -gt 1 ]; then
    for node in "${NODES[@]:1}"; do
        srun "${SRUN_OPTS[@]}" -w "$node" "$RAY" start \
            --address="$ADDRESS" --dashboard-agent-listen-port=$((PORT + 1)) \
            "${RAY_COMMON[@]}" &
        RAY_PIDS+=($!)
    done
    wait_for_nodes "${#NODES[@]}"
fi

# a signal while Ray was starting: no search yet; requeue on USR1
if [ -n "$PENDING" ]; then
    log "got SIG$PENDING before the search started"
    stop_ray
    if [ "$PENDING" = USR1 ] && scontrol requeue "$JOB_ID"; then
        log "requeued job $JOB_ID"
        exit 0
    fi
    exit 1
fi

# tools/tune.py on the batch host (bash runs traps only between commands:
# wait in a loop)
"$PYTHON" -u "$ROOT/tools/tune.py" "$CONFIG" --address "$ADDRESS" \
    "${EXTRA[@]}" "$@" &
TUNE_PID=$!
rc=0
while :; do
    wait "$TUNE_PID" && rc=0 || rc=$?
    kill -0 "$TUNE_PID" 2>/dev/null || break # else: a trap interrupted
done
log "tools/tune.py exited with status $rc"
stop_ray
if [ "$REQUEUE" = 1 ] && [ "$rc" = 130 ]; then
    if scontrol requeue "$JOB_ID"; then
        log "requeued job $JOB_ID: it continues the search when it starts" \
            "again"
        exit 0
    fi
    log "scontrol requeue $JOB_ID failed (was the job submitted with" \
        "--requeue?): resubmit it to continue the search"
fi
exit "$rc"
