#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests, CI and trying the
# batch scripts of slurm/ without a real cluster.
#
#   bash slurm/local_cluster.sh start    # install if needed, start, wait idle
#   bash slurm/local_cluster.sh status   # daemons, sinfo, queue
#   bash slurm/local_cluster.sh stop     # stop the daemons started here
#   bash slurm/local_cluster.sh env      # print `export SLURM_CONF=...`
#
# `start` installs the Debian/Ubuntu packages `slurm-wlm` and `munge` with
# apt-get when slurmctld is missing (needs root, or passwordless sudo),
# writes a small slurm.conf (one node: this host on 127.0.0.1 with
# CPUs = nproc, no GPUs; proctrack/linuxproc, task/none, select/cons_tres,
# no accounting), starts a private munged, slurmctld and slurmd, waits
# until `sinfo` shows the node idle and checks that a one-task job runs.
# Everything it writes lives in $MMDA_SLURM_DIR: configuration, state,
# spool, logs, pid files, the munge key and socket. It is idempotent:
# `start` on a running cluster only checks it; `stop` stops only the
# daemons whose pid files are in $MMDA_SLURM_DIR.
#
# Clients (sbatch, srun, squeue, scontrol) find the cluster through
# SLURM_CONF=$MMDA_SLURM_DIR/etc/slurm.conf; when /etc/slurm/slurm.conf does
# not exist, `start` also links it there so that plain `sbatch` works
# (`stop` removes that link). The last line of `start` and `status` is
# `SLURM_CONF=<path>`.
#
# Environment:
#   MMDA_SLURM_DIR    state directory            (~/.cache/mmda/slurm)
#   MMDA_SLURM_CPUS   CPUs of the node           ($(nproc))
#   MMDA_SLURM_PORT   slurmctld port; slurmd uses the next one (6817)
#   MMDA_SLURM_NODE   node name ($(hostname -s) if it resolves, else
#                     localhost)
#   MMDA_SLURM_TIMEOUT  seconds to wait for the node to be idle (60)
#
# The configuration is tuned for quick tests: a requeued job may start
# again after 10 s (AuthInfo cred_expire; Slurm's default is 120 s), the
# scheduler runs every 2 s, and KillWait (SIGTERM -> SIGKILL) is 10 s.
set -euo pipefail

DIR=${MMDA_SLURM_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/mmda/slurm}
CPUS=${MMDA_SLURM_CPUS:-$(nproc)}
PORT=${MMDA_SLURM_PORT:-6817}
default_node() {  # this host's name, if it resolves (DDP's master address)
    local name
    name=$(hostname -s 2>/dev/null || true)
    if [ -n "$name" ] && getent hosts "$name" >/dev/null 2>&1; then
        echo "$name"
    else
        echo localhost
    fi
}
NODE=${MMDA_SLURM_NODE:-$(default_node)}
TIMEOUT=${MMDA_SLURM_TIMEOUT:-60}
CONF="$DIR/etc/slurm.conf"
MUNGE_SOCKET="$DIR/munge/munge.socket.2"
export SLURM_CONF="$CONF"

log() { echo "[local_cluster] $*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "root (or passwordless sudo) is needed to run: $*"
    fi
}

pid_alive() {  # pid_alive PIDFILE
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v munged >/dev/null && command -v sbatch >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null ||
        die "slurm-wlm and munge are not installed and apt-get is missing"
    log "installing slurm-wlm and munge with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends slurm-wlm munge \
        >/dev/null
}

write_config() {
    as_root mkdir -p "$DIR"/{etc,state,spool,log,run,munge}
    as_root chmod 700 "$DIR/munge"
    local tmp
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
# Written by slurm/local_cluster.sh: one node, this host on loopback.
ClusterName=mmda-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=10
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    if ! cmp -s "$tmp" "$CONF"; then
        as_root cp "$tmp" "$CONF"
        as_root chmod 644 "$CONF"
    fi
    rm -f "$tmp"
    # a plain `sbatch` finds the cluster when no system config exists
    # (none, or a dangling link left by another local cluster)
    if [ ! -e /etc/slurm/slurm.conf ]; then
        as_root mkdir -p /etc/slurm
        as_root ln -sfn "$CONF" /etc/slurm/slurm.conf
    fi
}

start_munge() {
    if pid_alive "$DIR/run/munged.pid"; then
        return
    fi
    if [ ! -s "$DIR/munge/munge.key" ]; then
        as_root sh -c "umask 077 && head -c 1024 /dev/urandom \
            > '$DIR/munge/munge.key'"
    fi
    as_root munged --force \
        --socket="$MUNGE_SOCKET" \
        --key-file="$DIR/munge/munge.key" \
        --pid-file="$DIR/run/munged.pid" \
        --log-file="$DIR/log/munged.log" \
        --seed-file="$DIR/munge/munged.seed"
}

start_slurm() {
    if ! pid_alive "$DIR/run/slurmctld.pid"; then
        as_root slurmctld -f "$CONF"
    fi
    if ! pid_alive "$DIR/run/slurmd.pid"; then
        as_root slurmd -f "$CONF" -N "$NODE"
    fi
}

node_state() {
    sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -n1 || true
}

check_job() {  # a one-task job runs: slurmd is really up
    case "$(node_state)" in
    alloc* | mix*)  # jobs are running on the node: slurmd is up
        return 0 ;;
    esac
    if ! timeout 60 srun --quiet -J mmda-local-check -N1 -n1 -t 1 true; then
        log "a test job did not run; logs in $DIR/log:"
        tail -n 20 "$DIR"/log/*.log >&2 || true
        return 1
    fi
}

wait_idle() {
    local waited=0 state
    while :; do
        state=$(node_state)
        case "$state" in
        idle | mix | alloc) return 0 ;;
        down* | drain* | drng*)
            as_root scontrol update NodeName="$NODE" State=RESUME \
                >/dev/null 2>&1 || true
            ;;
        esac
        if [ "$waited" -ge "$TIMEOUT" ]; then
            log "node $NODE is '${state:-unknown}' after ${TIMEOUT}s;" \
                "logs in $DIR/log:"
            tail -n 20 "$DIR"/log/*.log >&2 || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

stop_daemon() {  # stop_daemon NAME
    local pidfile="$DIR/run/$1.pid" pid i
    pid_alive "$pidfile" || return 0
    pid=$(cat "$pidfile")
    as_root kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$1 ($pid) did not stop: killing it"
        as_root kill -9 "$pid" 2>/dev/null || true
    fi
    as_root rm -f "$pidfile"
}

status() {
    local name
    for name in munged slurmctld slurmd; do
        if pid_alive "$DIR/run/$name.pid"; then
            echo "$name: running (pid $(cat "$DIR/run/$name.pid"))"
        else
            echo "$name: stopped"
        fi
    done
    if pid_alive "$DIR/run/slurmctld.pid"; then
        sinfo || true
        squeue || true
    fi
    echo "SLURM_CONF=$CONF"
}

case "${1:-}" in
start)
    install_packages
    write_config
    start_munge
    start_slurm
    wait_idle
    check_job
    log "node $NODE ($CPUS CPUs) is up; clients need SLURM_CONF=$CONF"
    echo "SLURM_CONF=$CONF"
    ;;
stop)
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$CONF" ]; then
        as_root rm -f /etc/slurm/slurm.conf
    fi
    log "stopped"
    ;;
status)
    status
    ;;
env)
    echo "export SLURM_CONF=$CONF"
    ;;
*)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
