"""Loading mmengine Runner checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load`` to ``weights_only=True`` by default.
mmengine 0.10.7's local-file loader does not pass the argument, so resuming a
Runner checkpoint fails on the pickled ``HistoryBuffer`` in its message hub.
mmda re-registers mmengine's loader for *local files* (the files a user names
with ``load_from``, ``--resume`` or ``tools/test.py CHECKPOINT``) with
``weights_only=False``. Remote schemes (``http://``, ``open-mmlab://``) keep
torch's safe default. Nothing depends on environment variables.
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_local_checkpoint(filename: str, map_location=None):
    """Load a local checkpoint file written by mmengine (or plain torch).

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Passed to :func:`torch.load`.

    Raises:
        FileNotFoundError: If the file does not exist, naming it.
        RuntimeError: If the file is not a readable checkpoint, naming it.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    except Exception as err:  # corrupt, truncated or not a checkpoint
        raise RuntimeError(
            f'could not read checkpoint {filename}: {err}') from err


def install_checkpoint_compat() -> None:
    """Register :func:`load_local_checkpoint` for local paths (idempotent)."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
