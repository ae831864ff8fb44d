# Work dir and automatic resume of an mmda batch job (sourced by
# slurm/train.sh and slurm/tune.sh).
#
#   resolve_work_dir CONFIG NAME_PREFIX MARKER "$@"
#
# Sets WORK_DIR (by priority: --work-dir in the tool arguments "$@",
# $WORK_DIR, work_dirs/<job name> when the job is named (-J NAME), else
# work_dirs/<NAME_PREFIX><config name>), EXTRA (the arguments to add:
# --work-dir when not given, --resume when the work dir holds MARKER and
# AUTO_RESUME is not 0) and RESUMING (a note for the log).
resolve_work_dir() {
    local config=$1 prefix=$2 marker=$3
    shift 3
    local arg_work_dir="" has_resume=0 prev="" arg job_name name
    for arg in "$@"; do
        case "$arg" in
        --work-dir=*) arg_work_dir="${arg#--work-dir=}" ;;
        --resume) has_resume=1 ;;
        esac
        if [ "$prev" = "--work-dir" ]; then arg_work_dir="$arg"; fi
        prev="$arg"
    done
    job_name=${SLURM_JOB_NAME:-}
    case "$job_name" in
    "" | *.sh | slurm_script) job_name="" ;; # sbatch's default: the script
    esac
    EXTRA=()
    if [ -n "$arg_work_dir" ]; then
        WORK_DIR="$arg_work_dir"
    else
        if [ -z "${WORK_DIR:-}" ]; then
            if [ -n "$job_name" ]; then
                WORK_DIR="work_dirs/$job_name"
            else
                name="$(basename "$config")"
                WORK_DIR="work_dirs/$prefix${name%.py}"
            fi
        fi
        EXTRA+=(--work-dir "$WORK_DIR")
    fi
    RESUMING=""
    if [ "$has_resume" = 0 ] && [ "${AUTO_RESUME:-1}" = 1 ] &&
        [ -s "$WORK_DIR/$marker" ]; then
        EXTRA+=(--resume)
        RESUMING=" (resuming from $WORK_DIR/$marker)"
    fi
}
