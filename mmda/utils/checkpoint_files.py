"""The checkpoints of a work dir: ``last_checkpoint`` and what to resume.

``<work_dir>/last_checkpoint`` names the latest checkpoint, relative to the
work dir (a copied or moved work dir resumes from its own files; absolute
names written by older runs are read too). It is replaced atomically
(:func:`write_last_checkpoint`), never rewritten in place.

:func:`find_resume_checkpoint` is what ``--resume`` resumes from: the
checkpoint ``last_checkpoint`` names when it is there and loads; otherwise
the newest checkpoint of the work dir that loads, with a message saying so;
None when the work dir holds no checkpoint at all.

:func:`select_snapshot` is the checkpoint of a finished run that a later
step uses (IntraDA's ranking): the best checkpoint that ``save_best``
kept (``best_mIoU_iter_N.pth``, the official best-snapshot protocol of
ADVENT / IntraDA), or the last one.
"""
import glob
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

from .atomic_write import atomic_write_text
from .checkpoint_compat import deepspeed_globals, load_local_checkpoint

LAST_CHECKPOINT = 'last_checkpoint'
#: checkpoint names of the CheckpointHook and of mmda's stops
#: (``iter_N.pth``, ``epoch_N.pth``, ``iter_N_annotation.pth``); temporary
#: names (``iter_N.pth.tmp``) do not match
CHECKPOINT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)(?:_[a-z]+)?\.pth$')
#: best checkpoints of mmengine's ``save_best`` (``best_<metric>_iter_N.pth``)
BEST_CHECKPOINT_NAME = re.compile(r'^best_.+_(?:iter|epoch)_(\d+)\.pth$')
#: what :func:`select_snapshot` can pick
SNAPSHOTS = ('best', 'last')
#: the model file of a DeepSpeed checkpoint directory
DEEPSPEED_MODEL_STATES = 'mp_rank_00_model_states.pt'


def write_last_checkpoint(work_dir: str, checkpoint: str) -> None:
    """Point ``work_dir/last_checkpoint`` at ``checkpoint`` (atomically;
    relative to the work dir when inside it)."""
    work_dir = osp.abspath(work_dir)
    path = osp.abspath(checkpoint)
    name = osp.relpath(path, work_dir)
    if name.startswith(os.pardir):
        name = path
    atomic_write_text(
        osp.join(work_dir, LAST_CHECKPOINT), name,
        fault_name=LAST_CHECKPOINT)


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names, as a path (None
    when there is no such file or it is empty). Whether the checkpoint
    exists is not checked."""
    path = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        name = f.read().strip()
    if not name:
        return None
    return osp.normpath(osp.join(osp.abspath(work_dir), name))


def check_checkpoint(path: str) -> None:
    """Load ``path`` (a checkpoint file or DeepSpeed checkpoint directory)
    through mmda's checkpoint loader to make sure it can be resumed.

    Raises:
        FileNotFoundError: if it does not exist.
        RuntimeError: if it cannot be read, naming the file and why.
    """
    main = path
    files = [path]
    allowed = []
    if osp.isdir(path):
        main = osp.join(path, DEEPSPEED_MODEL_STATES)
        files = sorted(glob.glob(osp.join(path, '*.pt')))
        if main not in files:
            raise RuntimeError(f'{path} is no DeepSpeed checkpoint directory '
                               f'(no {DEEPSPEED_MODEL_STATES})')
        allowed = deepspeed_globals()  # its ZeRO optimizer states' classes
    for file in files:
        checkpoint = load_local_checkpoint(
            file, map_location='cpu', allowed=allowed)
        if not isinstance(checkpoint, dict) or (file == main
                                                and 'meta' not in checkpoint):
            raise RuntimeError(f'{file} is no training checkpoint (no meta)')


def checkpoints_in(directory: str) -> List[str]:
    """The checkpoints (files and DeepSpeed directories) in ``directory``,
    newest first: by iteration (or epoch), then modification time."""
    found = []
    for name in os.listdir(directory) if osp.isdir(directory) else []:
        match = CHECKPOINT_NAME.match(name)
        if match:
            path = osp.join(directory, name)
            found.append((int(match.group(1)), os.stat(path).st_mtime, path))
    return [path for _, _, path in sorted(found, reverse=True)]


def _why(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed (None: it can)."""
    try:
        check_checkpoint(path)
    except FileNotFoundError:
        return 'does not exist'
    except Exception as err:  # unreadable in any way
        return f'cannot be read ({type(err).__name__}: {err})'
    return None


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], str]:
    """What ``--resume`` resumes from in ``work_dir``.

    Returns:
        tuple: ``(checkpoint, message)``. ``checkpoint`` is the one
        ``last_checkpoint`` names if it loads, else the newest checkpoint
        of the work dir that loads, None when the work dir holds none
        (train afresh). ``message`` (one log line) says what was decided
        when it is not the named checkpoint, else it is empty.

    Raises:
        RuntimeError: if the work dir holds checkpoints but none of them
            loads, naming them (training afresh would overwrite them).
    """
    work_dir = osp.abspath(work_dir)
    named = read_last_checkpoint(work_dir)
    problem = ''
    if named is not None:
        local = osp.join(work_dir, osp.basename(named))
        if (osp.dirname(named) != work_dir and not osp.exists(named)
                and osp.exists(local)):
            named = local  # an absolute name from the original work dir
        why = _why(named)
        if why is None:
            return named, ''
        problem = f'{work_dir}/{LAST_CHECKPOINT} names {named}, which {why}'
    elif osp.isfile(osp.join(work_dir, LAST_CHECKPOINT)):
        problem = f'{work_dir}/{LAST_CHECKPOINT} is empty'
    rejected = []
    for candidate in checkpoints_in(work_dir):
        if candidate == named:
            continue
        why = _why(candidate)
        if why is None:
            lead = (f'{problem}; resuming from' if problem else
                    f'no {LAST_CHECKPOINT} in {work_dir}: resuming from')
            skipped = ''.join(f'; skipped {p}, which {w}'
                              for p, w in rejected)
            return candidate, (f'--resume: {lead} {candidate}, the newest '
                               f'intact checkpoint of the work dir{skipped}')
        rejected.append((candidate, why))
    if rejected or (named is not None and osp.exists(named)):
        raise RuntimeError(
            f'cannot resume: {problem or "no intact checkpoint"}'
            + ''.join(f'; {p} {w}' for p, w in rejected) +
            f'. No checkpoint in {work_dir} can be resumed; move the work '
            'dir away to train afresh')
    why = f'{problem}; no checkpoint' if problem else 'no checkpoint yet'
    return None, (f'--resume: nothing to resume in {work_dir} ({why}): '
                  'training starts at iteration 0')


def best_checkpoints(work_dir: str) -> List[str]:
    """The best checkpoints (``save_best``) in ``work_dir``, sorted."""
    names = os.listdir(work_dir) if osp.isdir(work_dir) else []
    return sorted(
        osp.join(work_dir, n) for n in names if BEST_CHECKPOINT_NAME.match(n))


def select_snapshot(work_dir: str, snapshot: str = 'best') -> Tuple[str, str]:
    """The checkpoint (absolute path) of a finished run in ``work_dir``
    that a later step uses, and one line saying which it is.

    Args:
        work_dir (str): The run's work dir.
        snapshot (str): ``'best'``: the best checkpoint that ``save_best``
            kept, falling back (and saying so) to the last checkpoint when
            the run kept none; ``'last'``: the checkpoint
            ``last_checkpoint`` names.

    Raises:
        ValueError: for another ``snapshot``, or several best checkpoints
            (``save_best`` with several metrics), naming them.
        FileNotFoundError: when the work dir has no checkpoint to use.
    """
    if snapshot not in SNAPSHOTS:
        raise ValueError(f'snapshot must be one of {SNAPSHOTS}, got '
                         f'{snapshot!r}')
    work_dir = osp.abspath(work_dir)
    if snapshot == 'best':
        best = best_checkpoints(work_dir)
        if len(best) == 1:
            return best[0], (f'the best snapshot {best[0]} (kept by '
                             'save_best)')
        if best:
            raise ValueError(
                f'{work_dir} holds several best checkpoints ('
                + ', '.join(osp.basename(b) for b in best) +
                '): pass the one to use as the checkpoint')
    last = read_last_checkpoint(work_dir)
    if last is None or not osp.exists(last):
        raise FileNotFoundError(
            f'{work_dir} holds no checkpoint to use (no best checkpoint '
            f'and no {LAST_CHECKPOINT} naming an existing file)')
    if snapshot == 'last':
        return last, f'the last checkpoint {last} (asked for)'
    return last, (f'the last checkpoint {last}: {work_dir} holds no best '
                  'checkpoint (the config sets no '
                  'default_hooks.checkpoint.save_best)')
