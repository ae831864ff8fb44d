# The Python interpreter of an mmda job (sourced by slurm/*.sh and
# tools/{dist,slurm}_*.sh).
#
#   resolve_python ROOT WHO
#
# Sets PYTHON: $PYTHON when set, else ROOT/.venv/bin/python when it exists
# (the environment tools/setup_env.sh makes), else `python` from PATH.
# Prints one line naming the interpreter with its mmda and torch versions,
# or stops the job with one clear line when mmda cannot be imported.
resolve_python() {
    local root=$1 who=$2 versions errors
    if [ -z "${PYTHON:-}" ]; then
        if [ -x "$root/.venv/bin/python" ]; then
            PYTHON="$root/.venv/bin/python"
        else
            PYTHON=python
        fi
    fi
    errors=$(mktemp)
    if ! versions=$(PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" \
        "$PYTHON" -c 'import mmda, torch; print(f"mmda {mmda.__version__}, torch {torch.__version__}")' 2>"$errors"); then
        echo "[$who] cannot import mmda with $PYTHON ($(tail -n 1 "$errors")): run bash tools/setup_env.sh in $root, or set PYTHON to an interpreter that has mmda" >&2
        rm -f "$errors"
        exit 2
    fi
    rm -f "$errors"
    versions=$(tail -n 1 <<<"$versions")  # after any import-time log lines
    echo "[$who] python $PYTHON ($versions)"
}
