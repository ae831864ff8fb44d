"""Shared helpers and fixtures of the mmda tests."""
import os
import os.path as osp
import runpy
import subprocess
import sys

import pytest

# One OpenMP thread per process: the suite starts trainers, dataloader
# workers and DDP ranks side by side on small machines, where more
# threads than cores make every process several times slower.
os.environ.setdefault('OMP_NUM_THREADS', '1')

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: --cfg-options that load data in the main process (tiny runs start faster)
NO_WORKERS = [
    f'{loader}.{key}={value}'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key, value in (('num_workers', 0), ('persistent_workers', False))
]


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def logged_metric(text: str, key: str = 'mIoU') -> float:
    """The last ``key: value`` a run logged (e.g. the test mIoU)."""
    import re
    found = re.findall(rf'\b{re.escape(key)}: ([\d.]+)', text)
    assert found, f'no {key} in the output:\n{text[-3000:]}'
    return float(found[-1])


def stream_batch(streams=('source', 'target'),
                 labelled=('source', ),
                 seed=0,
                 n=2,
                 size=(64, 96)):
    """A named-stream training batch as a multi-stream dataset yields it:
    ``{stream: {'inputs': [uint8 CHW], 'data_samples': [SegDataSample]}}``
    with random images, and random 19-class labels on the ``labelled``
    streams."""
    import torch
    from mmengine.structures import PixelData

    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    batch = {}
    for stream in streams:
        inputs, samples = [], []
        for _ in range(n):
            inputs.append(
                torch.randint(0, 256, (3, ) + size, generator=g,
                              dtype=torch.uint8))
            sample = SegDataSample(
                metainfo=dict(img_shape=size, ori_shape=size))
            if stream in labelled:
                sample.gt_sem_seg = PixelData(data=torch.randint(
                    0, 19, (1, ) + size, generator=g))
            samples.append(sample)
        batch[stream] = dict(inputs=inputs, data_samples=samples)
    return batch


def run_tool(argv, cwd=None, timeout=600, env=None):
    """Run ``python ARGV`` (a script and its arguments) in a fresh process.

    A fresh process keeps mmengine's singletons (logger, message hub,
    visualizer) and the process group of one run out of the next. Fails the
    test, with the end of the output, when the script exits non-zero.

    Returns:
        subprocess.CompletedProcess: with text ``stdout`` and ``stderr``.
    """
    proc = subprocess.run([sys.executable] + [str(a) for a in argv],
                          cwd=None if cwd is None else str(cwd),
                          capture_output=True,
                          text=True,
                          timeout=timeout,
                          env=env)
    assert proc.returncode == 0, (
        f'{" ".join(map(str, argv[:2]))} exited with {proc.returncode}:\n'
        f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def run_tool_forked(argv, cwd=None, timeout=600, env=None, check=True):
    """:func:`run_tool` in a ``fork`` of this process that runs the script
    as ``__main__``: the same result, without the 5-8 s in which a fresh
    Python imports torch, mmengine, mmseg and mmda (imported here once,
    before the first fork). For scripts that, like ``tools/*.py``, run from
    their command line and leave with their exit status; use
    :func:`run_tool` where a test needs a process of its own (signals to its
    process group, a launcher, several ranks). With ``check=False`` a
    non-zero exit status is returned, not failed. While other threads run in
    this process it starts a fresh Python, as :func:`run_tool` does.

    Returns:
        subprocess.CompletedProcess: with text ``stdout`` and ``stderr``.
    """
    import threading

    import mmengine.runner  # noqa: F401
    import torch.distributed

    import mmda  # noqa: F401
    assert not torch.distributed.is_initialized(), (
        'a fork would inherit this process group: use run_tool')
    argv = [str(a) for a in argv]
    if threading.active_count() > 1:
        # a fork copies this thread only: a lock another thread holds
        # would stay locked in the child, so start a fresh Python instead
        proc = subprocess.run([sys.executable] + argv,
                              cwd=None if cwd is None else str(cwd),
                              capture_output=True, text=True,
                              timeout=timeout, env=env)
        returncode, stdout, stderr = (proc.returncode, proc.stdout,
                                      proc.stderr)
    else:
        returncode, stdout, stderr = _run_in_fork(argv, cwd, timeout, env)
    assert returncode == 0 or not check, (
        f'{" ".join(argv[:2])} exited with {returncode}:\n'
        f'{stdout[-3000:]}\n{stderr[-5000:]}')
    return subprocess.CompletedProcess([sys.executable] + argv, returncode,
                                       stdout, stderr)


def _run_in_fork(argv, cwd, timeout, env):
    """``(exit status, stdout, stderr)`` of ``argv[0]`` run as ``__main__``
    in a fork of this process (minus the signal number if a signal ended
    it, as ``subprocess`` reports it)."""
    import signal
    import tempfile
    import time
    with tempfile.TemporaryDirectory() as tmp:
        outputs = (osp.join(tmp, 'stdout'), osp.join(tmp, 'stderr'))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the tool's process: never returns into pytest
            code = 1
            try:
                code = _exit_status_of_main(argv, outputs, cwd, env)
            finally:
                os._exit(code)
        deadline = time.time() + timeout
        done, status = os.waitpid(pid, os.WNOHANG)
        while not done:
            if time.time() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise subprocess.TimeoutExpired(argv, timeout)
            time.sleep(0.05)
            done, status = os.waitpid(pid, os.WNOHANG)
        stdout, stderr = (open(path).read() for path in outputs)
    returncode = (-os.WTERMSIG(status)
                  if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
    return returncode, stdout, stderr


def _forget_mmengine_instances():
    """Drop the named global instances (``ManagerMixin``: visualizers,
    loggers, message hubs, default scopes) this process inherited: a fresh
    Python has none, and a tool would otherwise get an earlier run's
    instance by its name (e.g. the configs' ``'visualizer'``, whose vis
    backends write into that run's work dir)."""
    from mmengine.utils import ManagerMixin
    pending = [ManagerMixin]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if '_instance_dict' in vars(cls):
            cls._instance_dict.clear()


def _exit_status_of_main(argv, outputs, cwd, env) -> int:
    """Run ``argv[0]`` as ``__main__`` with ``sys.argv = argv``, its output
    to the files ``outputs`` (stdout, stderr), in ``cwd`` with the
    environment ``env`` (None: unchanged); the exit status Python would
    leave with (a traceback on stderr for an uncaught exception)."""
    import traceback
    _forget_mmengine_instances()
    for fd, path in zip((1, 2), outputs):
        out = os.open(path, os.O_WRONLY | os.O_CREAT)
        os.dup2(out, fd)
        os.close(out)
    sys.stdout = open(1, 'w', buffering=1, closefd=False)
    sys.stderr = open(2, 'w', buffering=1, closefd=False)
    try:
        if cwd is not None:
            os.chdir(str(cwd))
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if os.environ.get('OMP_NUM_THREADS', '').isdigit():
            # the thread count a fresh Python would start with
            import torch
            torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
        sys.argv = argv
        runpy.run_path(argv[0], run_name='__main__')
        return 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def run_script_main(relpath, argv):
    """Run a script under ``tools/`` as ``__main__`` with ``argv``, in this
    process: the command line's code path without a Python start-up."""
    path = osp.join(REPO, 'tools', relpath)
    saved = sys.argv
    sys.argv = [path] + [str(a) for a in argv]
    try:
        runpy.run_path(path, run_name='__main__')
    except SystemExit as exc:
        assert exc.code in (0, None), f'{relpath} {argv} exited: {exc.code}'
    finally:
        sys.argv = saved


@pytest.fixture(scope='session')
def sim2real_tiny(tmp_path_factory):
    """A directory (``pathlib.Path``) with a converted tiny sim2real
    benchmark at ``data/sim2real``, the configs' default ``data_root``: tools
    run with this directory as working directory need no data-root
    overrides.

    8 GTA5, 2 SYNTHIA, 8 Cityscapes-train and 4 Cityscapes-val images
    (targets 256 x 128), generated by ``tools/make_sim2real.py`` and
    converted by ``tools/dataset_converters/*.py`` (trainId labels, class
    statistics for class-balanced sampling).
    """
    base = tmp_path_factory.mktemp('sim2real_tiny')
    root = base / 'data' / 'sim2real'
    run_script_main('make_sim2real.py', [
        str(root), '--num-gta5', '8', '--num-synthia', '2',
        '--num-cityscapes-train', '8', '--num-cityscapes-val', '4',
        '--workers', '1'
    ])
    for name in ('gta5', 'synthia', 'cityscapes'):
        run_script_main(f'dataset_converters/{name}.py', [str(root / name)])
    return base


@pytest.fixture(scope='module')
def torch_one_thread():
    """One intra-op thread for the module's tests (restored afterwards).

    The tests' tensors are tiny; on a small CPU machine shared with other
    jobs, two OpenMP threads per process make them several times slower.
    Use with ``pytestmark = pytest.mark.usefixtures('torch_one_thread')``.
    """
    import torch
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def load_checkpoint(path):
    """A checkpoint mmda wrote: plain containers, read by torch's restricted
    unpickler with no allow-list."""
    import torch
    return torch.load(str(path), map_location='cpu', weights_only=True)


def load_deepspeed_file(path):
    """A file of a DeepSpeed checkpoint directory (its optimizer states
    pickle DeepSpeed's loss scaler and ZeRO stage), read safely."""
    from mmda.utils.checkpoint_compat import (deepspeed_globals,
                                              load_local_checkpoint)
    return load_local_checkpoint(
        str(path), map_location='cpu', allowed=deepspeed_globals())


def assert_same_training_state(got_path, want_path):
    """Two checkpoints hold the same training state, bit for bit: iteration,
    every weight and buffer, the optimizer state and, when present, the
    active-label ledger."""
    import torch
    got, want = load_checkpoint(got_path), load_checkpoint(want_path)
    assert got['meta']['iter'] == want['meta']['iter']
    assert set(got['state_dict']) == set(want['state_dict'])
    differ = [
        k for k, v in want['state_dict'].items()
        if not torch.equal(got['state_dict'][k], v)
    ]
    assert not differ, (f'{len(differ)} of {len(want["state_dict"])} '
                        f'tensors differ, e.g. {differ[:5]}')
    want_opt, got_opt = want['optimizer']['state'], got['optimizer']['state']
    assert set(got_opt) == set(want_opt)
    for pid, state in want_opt.items():
        for name, value in state.items():
            if torch.is_tensor(value):
                assert torch.equal(got_opt[pid][name], value), (pid, name)
    assert got.get('active_ledger') == want.get('active_ledger')


def assert_equal_nested(want, got, where='') -> None:
    """Two nested containers of tensors and plain values are equal, tensors
    bit for bit."""
    import torch
    if torch.is_tensor(want):
        assert torch.is_tensor(got) and torch.equal(want, got), where
    elif isinstance(want, dict):
        assert set(want) == set(got), where
        for key, value in want.items():
            assert_equal_nested(value, got[key], f'{where}.{key}')
    elif isinstance(want, (list, tuple)):
        assert len(want) == len(got), where
        for i, (a, b) in enumerate(zip(want, got)):
            assert_equal_nested(a, b, f'{where}[{i}]')
    else:
        assert want == got, where


#: The model file of a DeepSpeed checkpoint directory.
DEEPSPEED_MODEL_STATES = 'mp_rank_00_model_states.pt'


def deepspeed_config(directory, method_config: str, strategy: str) -> str:
    """A config file: ``method_config`` trained with a DeepSpeed strategy
    of ``configs/_base_/strategies`` (what a user writes: two ``_base_``
    files)."""
    name = (osp.splitext(osp.basename(method_config))[0] +
            f'_{strategy}.py')
    path = osp.join(str(directory), name)
    strategy_file = osp.join(REPO, 'configs', '_base_', 'strategies',
                             strategy + '.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{method_config!r}, {strategy_file!r}]\n')
    return path


def assert_same_deepspeed_state(got_dir, want_dir, ranks: int) -> None:
    """Two DeepSpeed checkpoint directories hold the same training state,
    bit for bit: the weights, the client state (e.g. the active-label
    ledger) and each rank's ZeRO partition (fp32 weights, momenta)."""
    import pickle

    import torch
    got, want = (load_deepspeed_file(osp.join(str(d), DEEPSPEED_MODEL_STATES))
                 for d in (got_dir, want_dir))
    assert set(got['module']) == set(want['module'])
    differ = [k for k, v in want['module'].items()
              if not torch.equal(got['module'][k], v)]
    assert not differ, f'{len(differ)} weights differ, e.g. {differ[:5]}'
    assert pickle.dumps(got.get('active_ledger')) == pickle.dumps(
        want.get('active_ledger'))
    for rank in range(ranks):
        name = f'zero_pp_rank_{rank}_mp_rank_00_optim_states.pt'
        want_opt, got_opt = (
            load_deepspeed_file(osp.join(str(d), name))['optimizer_state_dict']
            for d in (want_dir, got_dir))
        for key in ('single_partition_of_fp32_groups',
                    'base_optimizer_state'):
            assert_equal_nested(want_opt[key], got_opt[key],
                                f'{name}:{key}')


def ledger_files(work_dir):
    """{relative path: bytes or link target} of the ledger directory,
    without the pictures."""
    root = osp.join(work_dir, 'active_ledger')
    out = {}
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x != 'vis']
        for name in dirs + names:
            path = osp.join(d, name)
            if osp.islink(path):
                out[osp.relpath(path, root)] = os.readlink(path)
            elif osp.isfile(path):
                with open(path, 'rb') as f:
                    out[osp.relpath(path, root)] = f.read()
    return out


def train_resumed_and_uninterrupted(config, cwd, tmp_path, options,
                                    stop=2, end=4):
    """Train ``config`` to ``end`` iterations once without a stop and once
    stopped at ``stop`` and ``--resume``d: the two final checkpoints
    ``(uninterrupted, resumed)``, each saved at iteration ``end``."""
    train = osp.join(REPO, 'tools', 'train.py')
    full, part = tmp_path / 'full', tmp_path / 'part'
    for work_dir, resume, iters in ((full, [], end), (part, [], stop),
                                    (part, ['--resume'], end)):
        run_tool_forked([train, config, '--work-dir', work_dir] + resume +
                        ['--cfg-options', f'train_cfg.max_iters={iters}'] +
                        list(options), cwd=cwd)
    return tuple(load_checkpoint(d / f'iter_{end}.pth') for d in (full, part))
