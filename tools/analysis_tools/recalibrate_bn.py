"""Re-estimate the batch-norm statistics of a checkpoint's deployable
segmentor on one domain (AdaBN: Li et al., "Revisiting Batch Normalization
For Practical Domain Adaptation", ICLR-W 2017, arXiv:1603.04779)::

    python tools/analysis_tools/recalibrate_bn.py CONFIG CHECKPOINT \
        --out NEW.pth [--stream target] [--data-config DATA_CONFIG] \
        [--batches 100] [--seed 0] [--cfg-options ...] \
        [--data-cfg-options ...]

The network is the segmentor that ``tools/test.py CONFIG CHECKPOINT``
evaluates and ``tools/export_segmentor.py`` exports (the method interface's
deployable segmentor: the model itself for source-only / MinEnt / RIPU,
``segmentor`` of AdvEnt, ``student`` of self-ensembling, or its ``teacher``
with ``test_cfg.predict_on='teacher'``). ``CHECKPOINT`` is
read safely and must fit the config's model exactly; like ``tools/test.py``
it may also be plain segmentor weights of a method that wraps its
segmentor.

The images are ``--batches`` batches of the ``train_dataloader`` of
``--data-config`` (default: CONFIG), as training draws them: the training
pipeline's augmentations (crops, flips) and the model's data preprocessor
apply, the sampler seeded with ``--seed`` (also seeding Python, numpy and
torch). Of named-stream batches (a two-domain dataset, e.g.
``configs/_base_/datasets/sim2real_gta5_to_cityscapes.py``) the
``--stream`` is taken, ``target`` by default; a single-domain
``train_dataloader`` (e.g. a source-only config's) has no streams, and its
images are used only with ``--stream single``, so that re-estimating on the
source by mistake is an error.

Every ``torch`` batch-norm layer of the segmentor (``_BatchNorm``:
``BatchNorm2d``, ``SyncBatchNorm``; mmda's ``FrozenBatchNorm2d`` is fixed
and left alone) is reset and re-estimated with a cumulative average: its
running mean and variance become the mean over the batches of the batch
means and unbiased batch variances of its input
(:func:`mmda.models.utils.recalibrate_batch_norm`). The pass runs without
gradients and with dropout off (the network in eval mode, only the
batch-norm layers in train mode), through the prediction path
(``mode='tensor'``); a layer that path does not reach (an auxiliary head)
keeps its statistics, and the tool says so.

``--out`` receives the checkpoint with only those statistics changed (the
full method state dict when CHECKPOINT was one, so ``tools/test.py CONFIG
NEW.pth`` evaluates it unchanged), written atomically; its ``meta`` gets a
``bn_recalibration`` record (the source checkpoint and its SHA-256, the
stream, data config, batches, images and seed) appended. The optimizer,
parameter-scheduler and message-hub states are dropped: the file is a
model to evaluate or export, not a training state to resume. CHECKPOINT
itself is never overwritten.
"""
import argparse
import itertools
import os.path as osp
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmda  # noqa: F401

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmseg.registry import MODELS

from mmda.apis import holds_plain_segmentor_weights, load_config
from mmda.models import deployable_segmentor
from mmda.models.utils import recalibrate_batch_norm
from mmda.models.utils.batch_norm_recalibration import STATISTICS
from mmda.utils import (check_checkpoint_fits, load_local_checkpoint,
                        seed_global_rngs)
from mmda.utils.atomic_write import atomic_torch_save
from mmda.utils.checkpoint_fit import DEFAULT_REVISE_KEYS, revise_state_keys
from mmda.utils.file_hash import sha256_file

#: ``--stream`` value that takes a single-domain train_dataloader's images.
SINGLE = 'single'
#: Checkpoint entries of a resumable training state, not copied.
TRAINING_STATE = ('optimizer', 'param_schedulers', 'message_hub')
#: The ``meta`` key of the recalibration records.
META_KEY = 'bn_recalibration'
#: The two-domain dataset configs the errors suggest.
TWO_DOMAIN_EXAMPLE = 'configs/_base_/datasets/sim2real_gta5_to_cityscapes.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True,
                        help='the recalibrated checkpoint (.pth)')
    parser.add_argument(
        '--stream', default='target',
        help='the named stream of the train_dataloader whose images are '
        f'used (default target); {SINGLE!r} for a single-domain one')
    parser.add_argument(
        '--data-config',
        help='config whose train_dataloader gives the images (default: '
        f'CONFIG), e.g. {TWO_DOMAIN_EXAMPLE}')
    parser.add_argument('--batches', type=int, default=100,
                        help='batches to estimate on (default 100)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the sampler and the augmentations')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of CONFIG')
    parser.add_argument('--data-cfg-options', nargs='+', action=DictAction,
                        help='override settings of --data-config')
    args = parser.parse_args(argv)
    if args.batches < 1:
        parser.error(f'--batches must be >= 1, got {args.batches}')
    return args


def same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name the same file."""
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.realpath(a) == osp.realpath(b)


def load_model(cfg, checkpoint: str, config: str):
    """Build ``cfg.model`` and load ``checkpoint`` strictly.

    Returns:
        tuple: ``(model, holder, checkpoint dict, revise_keys)``: the
        checkpoint's weights are those of ``holder``, the model or, for
        plain segmentor weights of a wrapping method (as ``tools/test.py``
        takes them), its deployable segmentor; ``revise_keys`` turned the
        file's keys into ``holder``'s.
    """
    model = MODELS.build(cfg.model)
    ckpt = load_local_checkpoint(checkpoint, map_location='cpu')  # safe
    if not isinstance(ckpt, dict):
        raise TypeError(f'{checkpoint} holds a {type(ckpt).__name__}, not '
                        'a checkpoint dict')
    state = ckpt.get('state_dict', ckpt)
    holder, what, revise = model, f'the model of {config}', \
        DEFAULT_REVISE_KEYS
    if holds_plain_segmentor_weights(cfg.model, state):
        holder = deployable_segmentor(model)
        what, revise = f'the segmentor of {config}', ()
    fitted = check_checkpoint_fits(holder, ckpt, checkpoint, what,
                                   revise_keys=revise)
    holder.load_state_dict(fitted, strict=True)
    return model, holder, ckpt, revise


def stream_part(batch: dict, stream: str, where: str) -> dict:
    """The ``inputs`` / ``data_samples`` of ``stream`` in a collated
    batch.

    Raises:
        KeyError: naming ``where`` (the data config) and the streams the
            batches have, or saying how to choose a stream.
    """
    if 'inputs' in batch:  # single-domain
        if stream == SINGLE:
            return batch
        raise KeyError(
            f"{where}: the train_dataloader yields single-domain batches, "
            f'which have no {stream!r} stream. For AdaBN on the target '
            'give a two-domain dataset config as --data-config (e.g. '
            f'{TWO_DOMAIN_EXAMPLE}, or configs/_base_/datasets/'
            'gta5_to_cityscapes.py); to re-estimate on this dataset\'s '
            f'own images pass --stream {SINGLE}')
    if stream not in batch:
        raise KeyError(
            f"{where}: the train_dataloader's batches have the streams "
            f'{sorted(batch)}; --stream {stream!r} is none of them')
    return batch[stream]


def stream_inputs(dataloader, data_preprocessor, stream: str, where: str,
                  limit: int):
    """The preprocessed images (as in training) of ``stream`` in the first
    ``limit`` batches of ``dataloader``."""
    for batch in itertools.islice(dataloader, limit):
        part = stream_part(batch, stream, where)
        yield data_preprocessor(part, True)['inputs']


def recalibrated_checkpoint(ckpt: dict, holder, segmentor, layers,
                            revise_keys, record: dict) -> dict:
    """``ckpt`` with the statistics of ``layers`` (names in ``segmentor``)
    taken from ``segmentor``, ``record`` appended to its meta's
    :data:`META_KEY` and without :data:`TRAINING_STATE`."""
    state = ckpt.get('state_dict', ckpt)
    file_key = revise_state_keys({k: k for k in state}, revise_keys)
    names = {id(module): name for name, module in holder.named_modules()}
    new_state = dict(state)
    for layer_name in layers:
        layer = segmentor.get_submodule(layer_name)
        full = names[id(layer)]
        for buffer in STATISTICS:
            key = file_key[f'{full}.{buffer}']  # a strict load found it
            new_state[key] = getattr(layer, buffer).detach().to(
                device='cpu', dtype=state[key].dtype).clone()
    if 'state_dict' in ckpt:
        out = {k: v for k, v in ckpt.items() if k not in TRAINING_STATE}
    else:  # a bare state dict: the record needs a meta beside it
        out = {}
    meta = dict(out.get('meta') or {})
    meta[META_KEY] = list(meta.get(META_KEY) or []) + [record]
    out.update(state_dict=new_state, meta=meta)
    return out


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint file not found: {args.checkpoint}')
    if same_file(args.out, args.checkpoint):
        raise ValueError(f'--out {args.out} is CHECKPOINT itself: give '
                         'another file (the input is never overwritten)')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    if args.data_config is None and args.data_cfg_options:
        raise ValueError('--data-cfg-options apply to --data-config: give '
                         'CONFIG overrides with --cfg-options')
    data_config = args.data_config or args.config
    data_cfg = cfg if args.data_config is None else load_config(
        args.data_config, args.data_cfg_options)
    if 'train_dataloader' not in data_cfg:
        raise KeyError(f'{data_config} has no train_dataloader')

    model, holder, ckpt, revise = load_model(cfg, args.checkpoint,
                                             args.config)
    segmentor = deployable_segmentor(model)
    if torch.cuda.is_available():
        model = model.cuda()
    seed_global_rngs(args.seed)
    dataloader = Runner.build_dataloader(data_cfg.train_dataloader,
                                         seed=args.seed)
    inputs = stream_inputs(dataloader, model.data_preprocessor, args.stream,
                           data_config, args.batches)
    result = recalibrate_batch_norm(
        segmentor, inputs,
        forward=lambda x: segmentor(x, mode='tensor'),
        what=f'the segmentor of {args.config}')

    record = dict(
        method='AdaBN',
        source_checkpoint=osp.abspath(args.checkpoint),
        source_sha256=sha256_file(args.checkpoint),
        config=args.config,
        data_config=data_config,
        stream=args.stream,
        batches=result['batches'],
        images=result['images'],
        seed=args.seed,
        layers=len(result['layers']),
        kept=result['kept'])
    out = recalibrated_checkpoint(ckpt, holder, segmentor, result['layers'],
                                  revise, record)
    atomic_torch_save(out, args.out)

    if result['batches'] < args.batches:
        print(f'the train_dataloader of {data_config} ended after '
              f'{result["batches"]} of --batches {args.batches} batches')
    if result['kept']:
        print(f'{len(result["kept"])} batch-norm layers not reached by the '
              f'prediction kept their statistics: '
              f'{", ".join(result["kept"])}')
    print(f'recalibrated {len(result["layers"])} batch-norm layers of '
          f'{type(segmentor).__name__} on {result["images"]} '
          f'{"single-domain" if args.stream == SINGLE else args.stream} '
          f'images ({result["batches"]} batches of '
          f'{data_config}, seed {args.seed}); wrote {args.out}')
    return out


if __name__ == '__main__':
    main()
