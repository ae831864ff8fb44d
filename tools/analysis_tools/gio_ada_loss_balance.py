"""How GIO-Ada's generator-step loss terms pull on each network: the
gradient of each term alone on T's encoder, T's segmentation head, the
depth head and G, and the cosine between the CE and depth gradients::

    python tools/analysis_tools/gio_ada_loss_balance.py CONFIG \
        [--checkpoint CKPT] [--batches 8] [--seed 0] [--out FILE.json] \
        [--cfg-options ...]

The terms are those :meth:`mmda.models.GIOAda.generator_step_losses`
sums in training, each with its own weight (λ_depth, λ_in, λ_out, with the
adversarial schedule's weight taken as 1): CE on the translated source
batch, the depth loss, the input- and output-level adversarial terms.
The batches are the config's ``train_dataloader`` batches (``--seed``
seeds the sampler, the augmentations and the global RNGs), the networks
are in training mode as in a training step, and nothing is updated.
``CKPT`` is read safely and must fit the config's model exactly; without
it the networks are at their initialisation. Per term the tool prints its
value and the L2 norm of its gradient on each network (mean over the
batches), then the cosine between the CE and depth gradients on T's
encoder and on G: > 0 the auxiliary task pulls the shared encoder the way
segmentation does, < 0 against it.
"""
import argparse
import itertools
import os.path as osp
import statistics
import sys

try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmda  # noqa: F401

from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmseg.registry import MODELS

from mmda.apis import load_config
from mmda.models.segmentors.gio_ada import GIOAda
from mmda.models.utils import gradient_cosine, loss_gradients
from mmda.utils import load_checkpoint_strict, seed_global_rngs
from mmda.utils.atomic_write import atomic_write_json

#: The loss terms whose gradients are compared by cosine.
CE, DEPTH = 'src.decode.loss_ce', 'src.loss_depth'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='a GIO-Ada training checkpoint '
                        '(default: the networks at initialisation)')
    parser.add_argument('--batches', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the figures as json here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.batches < 1:
        parser.error(f'--batches must be >= 1, got {args.batches}')
    return args


def network_groups(model: GIOAda) -> dict:
    """The parameter groups: T's encoder (backbone), T's segmentation head,
    the depth head (with depth) and G."""
    groups = {
        'T encoder': list(model.segmentor.backbone.parameters()),
        'T seg head': list(model.segmentor.decode_head.parameters()),
        'G': list(model.generator.parameters()),
    }
    if model.with_depth:
        groups['depth head'] = list(model.depth_head.parameters())
    return groups


def batch_balance(model: GIOAda, batch: dict) -> dict:
    """Values, per-network gradient norms and the CE-depth cosines of the
    generator step's loss terms on one batch."""
    data = model.data_preprocessor(batch, True)
    inputs, samples = data['inputs'], data['data_samples']
    translated, logits, pred_depth, depth, valid = model.translate_source(
        inputs['source'], samples['source'])
    fake = dict(input=translated,
                output=model.joint_output(logits, pred_depth))
    terms = {
        k: v for k, v in model.generator_step_losses(
            logits, pred_depth, fake, samples['source'], depth, valid,
            adversarial_weight=1.).items() if 'loss' in k
    }
    grads = loss_gradients(terms, network_groups(model))
    out = dict(value={k: float(v.detach()) for k, v in terms.items()},
               grad_norm={k: {g: float(v.norm()) for g, v in per.items()}
                          for k, per in grads.items()})
    if DEPTH in grads:
        out['cosine_ce_depth'] = {
            g: gradient_cosine(grads[CE][g], grads[DEPTH][g])
            for g in ('T encoder', 'G')
        }
    return out


def mean_of(per_batch: list):
    """Mean over batches of nested dicts of floats."""
    first = per_batch[0]
    if isinstance(first, dict):
        return {k: mean_of([b[k] for b in per_batch]) for k in first}
    return statistics.fmean(per_batch)


def table(result: dict) -> str:
    groups = list(next(iter(result['grad_norm'].values())))
    lines = ['| term | value | ' + ' | '.join(
        f'‖∇‖ {g}' for g in groups) + ' |', '|---|---|' + '---|' * len(
            groups)]
    for term, value in result['value'].items():
        lines.append(f'| {term} | {value:.4g} | ' + ' | '.join(
            f'{result["grad_norm"][term][g]:.3g}' for g in groups) + ' |')
    for group, cos in result.get('cosine_ce_depth', {}).items():
        lines.append(f'\ncos(∇ CE, ∇ depth) on {group}: {cos:+.3f}')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    seed_global_rngs(args.seed)
    model = MODELS.build(cfg.model)
    if not isinstance(model, GIOAda):
        raise TypeError(f'{args.config}: model.type must be GIOAda, got '
                        f'{type(model).__name__}')
    if args.checkpoint:  # safe read; refused unless it fits exactly
        load_checkpoint_strict(model, args.checkpoint,
                               f'the model of {args.config}')
    model.train()
    dataloader = Runner.build_dataloader(cfg.train_dataloader,
                                         seed=args.seed)
    per_batch = [batch_balance(model, batch)
                 for batch in itertools.islice(dataloader, args.batches)]
    result = dict(config=args.config, checkpoint=args.checkpoint,
                  batches=len(per_batch), seed=args.seed,
                  **mean_of(per_batch))
    print(table(result))
    if args.out:
        atomic_write_json(args.out, result, indent=1)
    return result


if __name__ == '__main__':
    main()
