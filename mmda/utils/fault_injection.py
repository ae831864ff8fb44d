"""Fault injection, a test facility: ``kill -9`` this process at a point.

``MMDA_FAULT_POINT=<name>[@<n>]`` in the environment makes the ``n``-th
(default: the first) call of :func:`fault_point` with that ``name`` in a
process send ``SIGKILL`` to the process itself. What is on disk then is what
a ``kill -9``, an out-of-memory kill or a lost node leaves at that point of
the code; ``tests/test_fault_injection.py`` resumes from it and checks that
the run ends as if nothing had happened.

The points are named after what has just been done, e.g.
``checkpoint.before_rename`` (the new checkpoint is written under its
temporary name) or ``ledger.written``. With the variable unset (always,
outside the tests) a point costs one environment look-up.
"""
import collections
import os
import signal
import sys
from typing import Optional

#: the environment variable that arms a point
FAULT_POINT_ENV = 'MMDA_FAULT_POINT'

_hits: collections.Counter = collections.Counter()


def fault_point(name: str, partial_file: Optional[str] = None) -> None:
    """Kill this process here if ``MMDA_FAULT_POINT`` names this point.

    Args:
        name (str): The point.
        partial_file (str, optional): A file that was being written: it is
            cut to half its size before the kill, the state of a kill in the
            middle of writing it.
    """
    spec = os.environ.get(FAULT_POINT_ENV)
    if not spec:
        return
    point, _, count = spec.partition('@')
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] != int(count or 1):
        return
    if partial_file is not None and os.path.isfile(partial_file):
        with open(partial_file, 'r+b') as f:
            f.truncate(os.path.getsize(partial_file) // 2)
    print(f'[fault injection] kill -9 at {spec}', file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
