"""Convert a DeepSpeed checkpoint of an mmda run into an mmseg checkpoint.

A run with a DeepSpeed strategy (``configs/_base_/strategies/``) saves each
checkpoint as a directory, ``WORK_DIR/iter_N.pth/``, with the model states
and the ZeRO-partitioned optimizer states of every rank. This tool writes
one ordinary checkpoint file, ``{'meta': ..., 'state_dict': ...}``, whose
weights load (strictly) into the config's model and mmseg's
``EncoderDecoder``, and which ``tools/test.py`` evaluates::

    python tools/model_converters/deepspeed2mmseg.py \\
        work_dirs/EXP/iter_40000.pth work_dirs/EXP/iter_40000_mmseg.pth
    python tools/test.py CONFIG work_dirs/EXP/iter_40000_mmseg.pth

The weights are DeepSpeed's fp32 master weights, gathered from all ZeRO
partitions (``deepspeed.utils.zero_to_fp32``), also after bf16/fp16
training; buffers (BatchNorm statistics) are written in fp32. ``meta`` is
the run's (iteration, config, dataset classes and palette).

DeepSpeed unpickles its files with ``weights_only=False``: every file of
the directory is vetted first and one that names anything outside the
allow-list is refused, naming the file and the types
(:func:`mmda.utils.checkpoint_compat.check_deepspeed_checkpoint_dir`).
The output is written atomically
(:func:`mmda.utils.atomic_write.atomic_torch_save`).
"""
import argparse
import glob
import os.path as osp
import sys


try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmda  # noqa: F401

from mmda.utils.atomic_write import atomic_torch_save
from mmda.utils.checkpoint_compat import (check_deepspeed_checkpoint_dir,
                                          deepspeed_globals,
                                          load_local_checkpoint)

MODEL_STATES = 'mp_rank_00_model_states.pt'


def convert(checkpoint_dir: str) -> dict:
    """The mmseg checkpoint of a DeepSpeed checkpoint directory.

    Args:
        checkpoint_dir (str): A DeepSpeed checkpoint directory written by an
            mmda run (``WORK_DIR/iter_N.pth``).

    Returns:
        dict: ``meta`` (the run's) and ``state_dict`` (fp32 weights and
        buffers, on CPU).

    Raises:
        FileNotFoundError: if ``checkpoint_dir`` is not a DeepSpeed
            checkpoint directory.
        UnsafeCheckpointError: if one of its files names a type or
            callable outside the allow-list (nothing is unpickled).
    """
    checkpoint_dir = osp.abspath(checkpoint_dir.rstrip('/'))
    model_states = osp.join(checkpoint_dir, MODEL_STATES)
    if not osp.isfile(model_states):
        raise FileNotFoundError(
            f'{checkpoint_dir} is not a DeepSpeed checkpoint directory (no '
            f'{MODEL_STATES}); checkpoints of runs without a DeepSpeed '
            'strategy are mmseg checkpoints already')
    check_deepspeed_checkpoint_dir(checkpoint_dir, deepspeed_globals())
    client = load_local_checkpoint(
        model_states, map_location='cpu', allowed=deepspeed_globals())
    if glob.glob(osp.join(checkpoint_dir, '*_optim_states.pt')):
        from deepspeed.utils.zero_to_fp32 import \
            get_fp32_state_dict_from_zero_checkpoint
        state_dict = get_fp32_state_dict_from_zero_checkpoint(
            osp.dirname(checkpoint_dir), tag=osp.basename(checkpoint_dir))
    else:  # no ZeRO partitions: the model states hold every weight
        state_dict = client['module']
    state_dict = {
        k: (v.float() if v.is_floating_point() else v).detach().cpu()
        for k, v in state_dict.items()
    }
    return dict(meta=client.get('meta', {}), state_dict=state_dict)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a DeepSpeed checkpoint directory of an mmda run '
        'into an mmseg checkpoint file')
    parser.add_argument('src', help='DeepSpeed checkpoint directory, e.g. '
                        'work_dirs/EXP/iter_40000.pth')
    parser.add_argument('dst', help='output checkpoint file')
    args = parser.parse_args(argv)
    checkpoint = convert(args.src)
    atomic_torch_save(checkpoint, args.dst)
    print(f'{args.dst}: {len(checkpoint["state_dict"])} tensors, iteration '
          f'{checkpoint["meta"].get("iter", "?")}')


if __name__ == '__main__':
    sys.exit(main())
