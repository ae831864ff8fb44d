"""Process-group initialisation that works on CPU (gloo) and GPU (nccl).

mmengine 0.10.7's ``init_dist`` always calls ``torch.cuda.set_device``, which
raises on a CPU build. mmda initialises the process group itself before the
Runner is built; the Runner then sees an initialised group and skips its own
``init_dist``. The launchers are the ones mmengine knows:

* ``pytorch``: ``torchrun`` sets ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
  ``MASTER_ADDR`` and ``MASTER_PORT``.
* ``slurm``: ranks come from ``SLURM_PROCID`` / ``SLURM_NTASKS`` /
  ``SLURM_LOCALID``; the master is the first host of ``SLURM_NODELIST``
  (``scontrol show hostnames``); the port is ``MASTER_PORT`` if set, else one
  derived from ``SLURM_JOB_ID`` so that two jobs on a node never collide.
"""
import atexit
import datetime
import os
import subprocess
import time

import torch
import torch.distributed as dist


def is_cuda_usable() -> bool:
    """Whether this process can run on a CUDA device."""
    return torch.cuda.is_available() and torch.cuda.device_count() > 0


def process_group_backend(cuda: bool = None) -> str:
    """The torch.distributed backend mmda uses: nccl with CUDA, gloo
    without (``cuda`` defaults to whether this process can use CUDA)."""
    if cuda is None:
        cuda = is_cuda_usable()
    return 'nccl' if cuda else 'gloo'


def slurm_master_port(job_id: str, base: int = 20000) -> int:
    """A per-job master port in ``[base, base + 10000)``."""
    return base + int(job_id) % 10000


def _export_slurm_env() -> None:
    """Translate Slurm's task variables into torch.distributed's."""
    required = ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
    missing = [k for k in required if k not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher slurm needs {", ".join(missing)} in the environment:'
            ' run the script with srun inside a Slurm allocation.')
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if 'MASTER_ADDR' not in os.environ:
        nodelist = os.environ['SLURM_NODELIST']
        hosts = subprocess.run(['scontrol', 'show', 'hostnames', nodelist],
                               check=True,
                               capture_output=True,
                               text=True).stdout.split()
        os.environ['MASTER_ADDR'] = hosts[0]
    if 'MASTER_PORT' not in os.environ:
        os.environ['MASTER_PORT'] = str(
            slurm_master_port(os.environ.get('SLURM_JOB_ID', '0')))


def init_distributed(launcher: str, timeout_s: int = 1800) -> None:
    """Initialise the default process group for ``launcher``.

    Uses nccl with one GPU per process (``LOCAL_RANK``) when CUDA is usable,
    otherwise gloo. Does nothing for ``launcher='none'`` or when a group
    already exists.
    """
    if launcher == 'none' or (dist.is_available() and dist.is_initialized()):
        return
    if launcher == 'slurm':
        _export_slurm_env()
    elif launcher != 'pytorch':
        raise ValueError(f'unsupported launcher {launcher!r}: use none, '
                         'pytorch (torchrun) or slurm')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(f'--launcher {launcher} needs ${key}: start '
                               'the script with tools/dist_train.sh '
                               '(torchrun) or srun.')
    backend = process_group_backend()
    if backend == 'nccl':
        torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)))
    dist.init_process_group(
        backend=backend,
        init_method='env://',
        timeout=datetime.timedelta(seconds=timeout_s))
    atexit.register(destroy_distributed)


#: Seconds the main thread leaves the GIL free at exit before the process
#: group is torn down (see :func:`destroy_distributed`).
GLOO_SETTLE_S = 0.25


def destroy_distributed() -> None:
    """Tear the process group down (registered at exit by
    :func:`init_distributed`, so every entry point does it).

    gloo runs collectives on worker threads that drop their reference to a
    finished collective's tensors only after the caller has been woken. When
    the caller has already dropped its own reference (``broadcast_object_list``
    in mmengine's evaluator does), that release frees a Python object and
    needs the GIL. If the main thread has meanwhile started interpreter
    shutdown, the worker thread is ended inside a ``noexcept`` destructor and
    the process aborts ("terminate called without an active exception"):
    torchrun then reports a finished run as failed and, across nodes, the
    other launchers wait for it at their exit barrier. The worker threads
    outlive ``destroy_process_group`` (DDP wrappers keep the group alive), so
    the main thread first sleeps, with the GIL released, long enough for them
    to finish that release; no collective is issued, so a rank that exits on
    an error never waits for the others.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if dist.get_backend() == 'gloo':
        time.sleep(GLOO_SETTLE_S)
    dist.destroy_process_group()
