"""Reading checkpoints without running code from them.

A ``.pth`` file is a pickle: loading one with ``torch.load(...,
weights_only=False)`` runs whatever callable the file names (a
``__reduce__`` payload). mmda reads every checkpoint with torch's
restricted unpickler (``weights_only=True``), which builds tensors, plain
containers and numbers only:

* **mmda checkpoints** hold plain containers only: :class:`~mmda.engine.\
MMDARunner` and the DeepSpeed strategy write the message hub's
  ``HistoryBuffer`` objects as ``dict(log_history=Tensor,
  count_history=Tensor, max_length=int)`` and numpy values as tensors or
  Python numbers (:func:`plain_checkpoint_state`), so they load with no
  allow-list.
* **Older checkpoints** (mmengine's ``Runner`` pickles ``HistoryBuffer``
  and numpy arrays and scalars) load through the one explicit path
  :func:`load_local_checkpoint`, with the narrow allow-list
  :func:`legacy_runner_globals` (those named classes and numpy's array and
  scalar constructors for numeric dtypes), and are converted to the plain
  form. A pickled ``HistoryBuffer`` also names ``builtins.getattr`` (its
  ``_statistics_methods`` are pickled as ``getattr(HistoryBuffer,
  'mean')``); that name is bound to :func:`history_buffer_statistic`, which
  returns those four methods and refuses anything else: ``getattr`` itself
  is never allowed.
* Anything else a file names is refused before unpickling starts, with an
  :class:`UnsafeCheckpointError` naming the file and the types
  (torch's ``get_unsafe_globals_in_checkpoint`` lists them without
  running the pickle).

Nothing is patched globally: mmengine's own loader keeps torch's default
(``weights_only=True`` since torch 2.6); mmda's runner, strategy and tools
call :func:`load_local_checkpoint` explicitly. DeepSpeed reads its
checkpoint directories with ``weights_only=False``;
:func:`check_deepspeed_checkpoint_dir` vets every file of a directory
before DeepSpeed opens it.
"""
import glob
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Dict, Iterable, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from torch.serialization import get_unsafe_globals_in_checkpoint

#: numpy dtypes whose arrays and scalars older checkpoints may hold.
NUMERIC_DTYPES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                  'uint16', 'uint32', 'uint64', 'float16', 'float32',
                  'float64')

#: The keys of a ``HistoryBuffer`` in its plain (checkpoint) form.
PLAIN_BUFFER_KEYS = frozenset(('log_history', 'count_history', 'max_length'))

#: The methods a pickled ``HistoryBuffer`` names through ``getattr``.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint names a type or callable outside the allow-list; it was
    not unpickled."""


def history_buffer_statistic(owner, name):
    """What a legacy checkpoint's ``builtins.getattr`` is bound to while it
    is unpickled: ``getattr(HistoryBuffer, name)`` for the statistics
    ``HistoryBuffer`` pickles, an error for anything else."""
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'the checkpoint calls getattr({getattr(owner, "__name__", owner)}, '
        f'{name!r}); only getattr(HistoryBuffer, one of '
        f'{HISTORY_BUFFER_STATISTICS}) is allowed')


def numpy_globals() -> list:
    """numpy's array and scalar constructors and the dtype classes of
    :data:`NUMERIC_DTYPES`: what a pickled numeric array or scalar names."""
    multiarray = np._core.multiarray
    return [np.ndarray, np.dtype, multiarray._reconstruct,
            multiarray.scalar] + [type(np.dtype(d)) for d in NUMERIC_DTYPES]


def legacy_runner_globals() -> list:
    """The allow-list for checkpoints of mmengine's plain ``Runner``: its
    message hub's ``HistoryBuffer`` (with ``builtins.getattr`` bound to
    :func:`history_buffer_statistic`) and numeric numpy values."""
    return [HistoryBuffer, (history_buffer_statistic, 'builtins.getattr')
            ] + numpy_globals()


def _names(objs: Iterable) -> set:
    """The names under which pickles refer to ``objs``."""
    names = set()
    for obj in objs:
        if isinstance(obj, tuple):  # (stand-in, name it is pickled under)
            names.add(obj[1])
        else:
            names.add(f'{obj.__module__}.{obj.__qualname__}')
    return names


def unsafe_globals(filename: str) -> List[str]:
    """The globals ``filename`` names that torch's restricted unpickler does
    not build by default (read from the pickle's opcodes: nothing runs)."""
    try:
        return list(get_unsafe_globals_in_checkpoint(filename))
    except Exception as err:  # not a zip checkpoint, truncated, ...
        raise RuntimeError(
            f'could not read checkpoint {filename}: {err}') from err


def refuse_unsafe(filename: str, allowed: Iterable) -> List[str]:
    """The globals of ``filename`` outside torch's default set; raises
    :class:`UnsafeCheckpointError` if any is not in ``allowed``."""
    found = unsafe_globals(filename)
    refused = sorted(set(found) - _names(allowed))
    if refused:
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it names '
            f'{", ".join(refused)}, which no mmda or mmengine checkpoint '
            'holds; unpickling it could run code from the file. Nothing '
            'was loaded.')
    return found


def load_local_checkpoint(filename: str,
                          map_location=None,
                          allowed: Iterable = ()) -> dict:
    """Load a local checkpoint file safely, in mmda's plain form.

    The one path by which mmda reads ``.pth`` files (``load_from``,
    ``--resume``, ``tools/test.py`` and the tools): torch's restricted
    unpickler, with :func:`legacy_runner_globals` allowed for checkpoints
    of older runs (converted by :func:`plain_checkpoint_state`).

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Passed to :func:`torch.load`.
        allowed: Further named classes to allow (a DeepSpeed model-states
            file: :func:`deepspeed_globals`).

    Raises:
        FileNotFoundError: If the file does not exist, naming it.
        UnsafeCheckpointError: If the file names anything outside the
            allow-list (before anything in it runs), naming the file and
            the types.
        RuntimeError: If the file is not a readable checkpoint, naming it.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    allowed = legacy_runner_globals() + list(allowed)
    found = refuse_unsafe(filename, allowed)
    try:
        with torch.serialization.safe_globals(allowed if found else []):
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: {err}') from None
    except Exception as err:  # corrupt, truncated or not a checkpoint
        raise RuntimeError(
            f'could not read checkpoint {filename}: {err}') from err
    if found:
        checkpoint = plain_checkpoint_state(checkpoint)
        if _holds(checkpoint, history_buffer_statistic):
            raise UnsafeCheckpointError(
                f'refusing checkpoint {filename}: it holds builtins.getattr '
                'as a value')
    return checkpoint


def _holds(value, target) -> bool:
    """Whether the nested containers of ``value`` hold ``target``."""
    if value is target:
        return True
    if isinstance(value, dict):
        return any(_holds(v, target) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds(v, target) for v in value)
    return False


def refuse_executable_meta(checkpoint: dict, filename: str) -> None:
    """Refuse a checkpoint whose meta holds a ``config`` text: mmengine's
    ``Runner.resume`` and ``FlexibleRunner.resume`` execute it as a Python
    config (``Config.fromstring``). mmengine and mmda write ``meta['cfg']``,
    which is never executed.

    Raises:
        UnsafeCheckpointError: naming the file.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict) and 'config' in meta:
        raise UnsafeCheckpointError(
            f'refusing to resume from {filename}: its meta holds a "config" '
            'text, which mmengine would execute as Python')


def check_deepspeed_checkpoint_dir(dirname: str,
                                   allowed: Iterable = ()) -> None:
    """Vet every ``*.pt`` file of a DeepSpeed checkpoint directory before
    DeepSpeed (which unpickles with ``weights_only=False``) reads it.

    Args:
        dirname (str): The checkpoint directory (``WORK_DIR/iter_N.pth``).
        allowed: Named classes allowed besides torch's default set and
            :func:`legacy_runner_globals` (the DeepSpeed classes its
            optimizer states pickle: :func:`deepspeed_globals`).

    Raises:
        UnsafeCheckpointError: naming the file and the types.
    """
    allowed = list(allowed) + legacy_runner_globals()
    for path in sorted(glob.glob(osp.join(dirname, '*.pt'))):
        refuse_unsafe(path, allowed)


def deepspeed_globals() -> list:
    """The named classes DeepSpeed pickles into its ZeRO optimizer states:
    the ZeRO stage enum, the loss scalers and the parameter-fragment
    addresses (plain data classes)."""
    from deepspeed.runtime.fp16.loss_scaler import (DynamicLossScaler,
                                                    LossScaler)
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address
    return [ZeroStageEnum, LossScaler, DynamicLossScaler, fragment_address]


# ------------------------------------------------------------ plain form
def _plain_value(value):
    """``value`` with numpy arrays as tensors, numpy scalars as Python
    numbers, ``HistoryBuffer`` objects as plain dicts and dict subclasses
    as dicts, recursively. Containers with nothing to convert are returned
    as they are (not copied)."""
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return dict(
            log_history=torch.from_numpy(np.array(log)),
            count_history=torch.from_numpy(np.array(count)),
            max_length=int(value.max_length))
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        items = [(k, _plain_value(v)) for k, v in value.items()]
        if type(value) in (dict, OrderedDict) and all(
                new is value[k] for k, new in items):
            return value
        plain = OrderedDict(items) if isinstance(
            value, OrderedDict) else dict(items)
        if hasattr(value, '_metadata'):  # a state dict's version info
            plain._metadata = value._metadata
        return plain
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        items = [_plain_value(v) for v in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return type(value)(items)
    return value


def plain_checkpoint_state(checkpoint: dict) -> dict:
    """``checkpoint`` in the plain form that ``torch.load(...,
    weights_only=True)`` reads without an allow-list (the tensors
    themselves are not copied)."""
    return _plain_value(checkpoint)


def message_hub_state(state: Dict) -> Dict:
    """A message hub ``state_dict`` read from a checkpoint, with the plain
    ``log_scalars`` entries rebuilt as the ``HistoryBuffer`` objects that
    ``MessageHub.load_state_dict`` expects."""
    scalars = state.get('log_scalars', {})
    for key, value in list(scalars.items()):
        if isinstance(value, dict) and set(value) == PLAIN_BUFFER_KEYS:
            scalars[key] = HistoryBuffer(
                value['log_history'].numpy(),
                value['count_history'].numpy(),
                max_length=int(value['max_length']))
    return state
