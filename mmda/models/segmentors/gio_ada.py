"""GIO-Ada: geometrically guided input-output adaptation (Chen, Li, Chen,
Van Gool, CVPR 2019, arXiv 1812.05040).

The authors' code (``github.com/yuhuayc/gio-ada``) was never published;
this implementation follows the paper's abstract (an image translation
network augmented with geometric information at the input level; a task
network predicting segmentation and depth, adapted adversarially on the
joint output space) and fills in every value the paper does not give with
a documented default (``docs/methods.md#gio-ada``).
"""
from contextlib import ExitStack
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..losses import DEPTH_REPRS, TARGET_LABEL, depth_representation
from ..utils import (check_optim_wrapper_dict, current_adversarial_schedule,
                     frozen, resize_to_input, unwrap)
from .base_da_model import BaseDAModel

#: The two discriminators of GIO-Ada, as levels of its discriminator child.
LEVELS = ('input', 'output')


@MODELS.register_module()
class GIOAda(BaseDAModel):
    """GIO-Ada: an image transform network G and a task network T trained
    against an input-level and an output-level discriminator.

    Trainable children, one optimizer each (an
    :class:`~mmengine.optim.OptimWrapperDict` from
    :class:`~mmda.engine.MultiOptimWrapperConstructor`; each its own DDP
    wrapper under ``MMSeparateDistributedDataParallel``):

    * ``segmentor`` (deployable, exported as a plain mmseg
      ``EncoderDecoder``): a :class:`DepthAwareEncoderDecoder`, T's encoder
      and segmentation head;
    * ``depth_head``: a :class:`~mmda.models.DepthHead` on T's encoder
      (absent without depth: the semantic-only ablation), outside the
      deployable segmentor, so it is dropped on export;
    * ``generator``: the :class:`~mmda.models.ImageTransformNet` G, which
      sees the source image (in [-1, 1]) ⊕ one-hot source label ⊕
      normalised source depth, and is applied to synthetic images only;
    * ``discriminator``: a :class:`~mmda.models.MultiLevelDiscriminator`
      with two levels: ``input`` (D_in on images: real = target images,
      fake = translated source images x̃_s) and ``output`` (D_out on
      softmax(T_seg) ⊕ per-image min-max normalised T_depth: real = T on
      target, fake = T on x̃_s).

    One iteration (:meth:`train_step`), the paper's order (the
    discriminators lead):

    1. G translates the source batch and T predicts on x̃_s (the graph is
       kept for step 3; G and T are not changed by step 2, so this is the
       same forward the seed sketch recomputes after the discriminator
       step);
    2. discriminator step (when the adversarial schedule says so): real
       target vs fake translated source at both levels, BCE (label 1 =
       target, 0 = translated source), each domain's loss halved; G and T
       get no gradient (their outputs are detached, target predictions are
       made without a graph);
    3. generator step, G and T together with the discriminators frozen:
       :math:`L = CE(T_{seg}(\\tilde x_s), y_s) + \\lambda_d
       L_{depth}(T_{depth}(\\tilde x_s), d_s) + \\lambda_{in}
       BCE(D_{in}(\\tilde x_s), 1) + \\lambda_{out}
       BCE(D_{out}(T(\\tilde x_s)), 1)`; one backward, so the task losses
       reach G too (task-guided translation); one step of each of G's and
       T's optimizers. The adversarial terms are scaled by the schedule's
       adversarial weight (warm-up).

    mmda's :class:`AdvEnt` updates the segmentor first and the
    discriminator second; GIO-Ada reverses that, as the seed sketch does.

    Depth: ``gt_depth_map`` is the loader's depth in metres
    (``LoadDepthMap(scale=0.01, invalid_value=65535)`` on SYNTHIA
    centimetres), 0 where there is none (sky); padded pixels (outside each
    sample's ``img_padding_size``) and pixels with depth <= 0 are masked in
    the depth loss, and are 0 in G's normalised depth channel. The depth
    head regresses ``depth_repr`` (``'inverse'``: DADA's 65536 / (cm + 1),
    ``'log'``, ``'metric'``).

    Args:
        segmentor (dict): Config of the :class:`DepthAwareEncoderDecoder`.
        generator (dict): Config of the image transform network.
        discriminator (dict): Config of the two-level discriminator
            (levels ``input`` and ``output``; the output one takes
            ``num_classes + 1`` channels, ``num_classes`` without depth).
        depth_head (dict, optional): Config of the depth head; ``None`` for
            the semantic-only ablation (then G takes no depth channel and
            D_out sees the softmax only).
        depth_loss (dict): The depth loss with λ_depth. Defaults to berHu
            with DADA's weight 0.001.
        depth_repr (str): What the depth head regresses. Defaults to
            ``'inverse'`` (DADA).
        adversarial_losses (dict[str, dict]): ``input`` / ``output`` →
            adversarial loss of the generator step with λ_in / λ_out.
            Defaults: 1.0 (a CycleGAN-style image GAN weight) and 0.001
            (AdvEnt / DADA's λ_adv).
        discriminator_loss (dict): Loss of the discriminator step per
            domain and level. Defaults to BCE with weight 0.5.
        data_preprocessor (dict, optional): A two-domain
            :class:`~mmda.models.DADataPreprocessor` config (its mean/std
            map images to G's [-1, 1] range and back).
        init_cfg (dict, optional): Initialisation config.
    """

    #: The contract with :class:`~mmda.engine.AdversarialDiscriminatorHook`:
    #: :meth:`train_step` follows its schedule.
    reads_adversarial_schedule = True

    def __init__(self,
                 segmentor: ConfigType,
                 generator: ConfigType,
                 discriminator: ConfigType,
                 depth_head: OptConfigType = None,
                 depth_loss: ConfigType = dict(
                     type='DepthLoss', mode='berhu', loss_weight=0.001),
                 depth_repr: str = 'inverse',
                 adversarial_losses: Dict[str, ConfigType] = dict(
                     input=dict(type='AdversarialLoss', loss_weight=1.0),
                     output=dict(type='AdversarialLoss', loss_weight=0.001)),
                 discriminator_loss: ConfigType = dict(
                     type='AdversarialLoss', loss_weight=0.5),
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            segmentor=segmentor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not hasattr(self.segmentor, 'features_and_logits'):
            raise TypeError(
                'GIOAda: segmentor must be a DepthAwareEncoderDecoder (its '
                "'features' mode feeds the depth head), got "
                f'{type(self.segmentor).__name__}')
        if depth_repr not in DEPTH_REPRS:
            raise ValueError(f'GIOAda: depth_repr must be one of '
                             f'{DEPTH_REPRS}, got {depth_repr!r}')
        self.with_depth = depth_head is not None
        if self.with_depth:
            self.depth_head = MODELS.build(depth_head)
        self.generator = MODELS.build(generator)
        if bool(self.generator.with_depth) != self.with_depth:
            raise ValueError(
                f'GIOAda: generator.with_depth={self.generator.with_depth} '
                f'but depth_head is {"set" if self.with_depth else "None"}; '
                'G takes the depth channel exactly when T predicts depth')
        num_classes = self.segmentor.decode_head.num_classes
        if self.generator.num_classes != num_classes:
            raise ValueError(
                f'GIOAda: generator.num_classes={self.generator.num_classes}'
                f' but the segmentor has {num_classes} classes')
        self.discriminator = MODELS.build(discriminator)
        levels = getattr(self.discriminator, 'level_names', None)
        if levels is None or sorted(levels) != sorted(LEVELS):
            raise KeyError(
                'GIOAda: discriminator must be a MultiLevelDiscriminator with '
                f'the levels {LEVELS}, got {levels}')
        want = num_classes + int(self.with_depth)
        first = self.discriminator.levels['output'].modules()
        conv = next((m for m in first if isinstance(m, torch.nn.Conv2d)),
                    None)
        if conv is not None and conv.in_channels != want:
            raise ValueError(
                f'GIOAda: discriminator.output takes {conv.in_channels} '
                f'channels; softmax ({num_classes})'
                f'{" + depth (1)" if self.with_depth else ""} has {want}')
        unknown = sorted(set(adversarial_losses) - set(LEVELS))
        if unknown:
            raise KeyError(f'GIOAda: adversarial_losses levels must be among '
                           f'{LEVELS}, got {unknown}')
        self.depth_repr = depth_repr
        self.depth_loss = MODELS.build(depth_loss)
        self.adversarial_losses = torch.nn.ModuleDict(
            {k: MODELS.build(v) for k, v in adversarial_losses.items()})
        self.discriminator_loss = MODELS.build(discriminator_loss)

    @property
    def task_children(self) -> List[str]:
        """Children the generator step updates: G and T."""
        names = ['generator', 'segmentor']
        return names + ['depth_head'] if self.with_depth else names

    # ------------------------------------------------------------ images
    def to_unit_range(self, inputs: Tensor) -> Tensor:
        """Normalised network inputs → images in [-1, 1] (G's range)."""
        dp = self.data_preprocessor
        return (inputs * dp.std + dp.mean) / 127.5 - 1.

    def from_unit_range(self, images: Tensor) -> Tensor:
        """Images in [-1, 1] → normalised network inputs."""
        dp = self.data_preprocessor
        return ((images + 1.) * 127.5 - dp.mean) / dp.std

    # ------------------------------------------------------------ depth
    def source_depth(self, inputs: Tensor,
                     samples: SampleList) -> Tuple[Tensor, Tensor]:
        """``(depth N×1×H×W in metres, valid mask)`` of a source batch:
        valid = inside each sample's unpadded extent and depth > 0 (finite).
        """
        if not all('gt_depth_map' in s for s in samples):
            raise KeyError(
                'GIOAda with a depth head needs source samples with '
                'gt_depth_map: load it with LoadDepthMap (SynthiaDataset('
                'with_depth=True)) in the source pipeline')
        depth = torch.stack([s.gt_depth_map.data for s in samples]).to(
            inputs.dtype)
        if depth.shape[-2:] != inputs.shape[-2:]:
            raise ValueError(f'GIOAda: depth maps {tuple(depth.shape)} do '
                             f'not match the images {tuple(inputs.shape)}')
        inside = torch.zeros_like(depth, dtype=torch.bool)
        height, width = depth.shape[-2:]
        for i, sample in enumerate(samples):
            left, right, top, bottom = sample.metainfo.get(
                'img_padding_size', (0, 0, 0, 0))
            inside[i, :, top:height - bottom, left:width - right] = True
        valid = inside & (depth > 0) & torch.isfinite(depth)
        return depth, valid

    @staticmethod
    def normalise_depth(depth: Tensor,
                        valid: Optional[Tensor] = None) -> Tensor:
        """Per-image min-max normalisation to [0, 1] over the valid pixels
        (0 elsewhere): the depth channel of G's input and of D_out's."""
        if valid is None:
            valid = torch.ones_like(depth, dtype=torch.bool)
        big = torch.finfo(depth.dtype).max
        flat = depth.flatten(1)
        vflat = valid.flatten(1)
        low = torch.where(vflat, flat, flat.new_full((), big)).amin(1)
        high = torch.where(vflat, flat, flat.new_full((), -big)).amax(1)
        low = torch.where(vflat.any(1), low, torch.zeros_like(low))
        span = (high - low).clamp(min=1e-6)
        out = (depth - low.view(-1, 1, 1, 1)) / span.view(-1, 1, 1, 1)
        return torch.where(valid, out, torch.zeros_like(out))

    # ------------------------------------------------------------ T
    def task_outputs(self, inputs: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """T on normalised images: class scores and (with depth) depth in
        ``depth_repr``, both N×·×H×W at the input size."""
        feats, logits = self.segmentor(inputs, mode='features')
        if not self.with_depth:
            return logits, None
        depth = resize_to_input(
            self.depth_head(feats), inputs, unwrap(self.segmentor)
            .align_corners)
        return logits, depth

    def joint_output(self, logits: Tensor,
                     depth: Optional[Tensor]) -> Tensor:
        """D_out's input: softmax ⊕ normalised depth (softmax only without
        depth)."""
        prob = F.softmax(logits, dim=1)
        if depth is None:
            return prob
        return torch.cat([prob, self.normalise_depth(depth)], dim=1)

    # ------------------------------------------------------------ training
    def translate_source(self, src: Tensor, samples: SampleList) -> tuple:
        """G on a source batch, then T on the translated images x̃_s.

        Returns:
            tuple: ``(x̃_s in [-1, 1], T's class scores, T's depth or None,
            source depth in metres (1 where invalid) or None, its valid
            mask or None)``.
        """
        labels = torch.stack([s.gt_sem_seg.data for s in samples])[:, 0]
        depth = valid = g_depth = None
        if self.with_depth:
            depth, valid = self.source_depth(src, samples)
            depth = torch.where(valid, depth, torch.ones_like(depth))
            g_depth = self.normalise_depth(
                depth_representation(depth, self.depth_repr), valid)
        translated = self.generator(self.to_unit_range(src), labels, g_depth)
        logits, pred_depth = self.task_outputs(
            self.from_unit_range(translated))
        return translated, logits, pred_depth, depth, valid

    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One GIO-Ada iteration: discriminator step, then G and T."""
        names = self.task_children + ['discriminator']
        check_optim_wrapper_dict('GIOAda', optim_wrapper, names)
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        if not isinstance(inputs, dict) or \
                not {'source', 'target'} <= set(inputs):
            raise ValueError('GIOAda needs two-domain batches (source and '
                             'target streams: a TwoDomainDataset and a '
                             'DADataPreprocessor)')
        schedule = current_adversarial_schedule()
        task_wrappers = [optim_wrapper[n] for n in self.task_children]

        # 1. G and T forward on the source (graph kept for step 3)
        with ExitStack() as stack:
            for name, wrapper in zip(self.task_children, task_wrappers):
                stack.enter_context(
                    wrapper.optim_context(getattr(self, name)))
            src_samples = samples['source']
            translated, logits, pred_depth, depth, valid = \
                self.translate_source(inputs['source'], src_samples)
            fake = dict(input=translated,
                        output=self.joint_output(logits, pred_depth))

        # 2. discriminator step
        log_vars = {}
        if schedule.update_discriminator:
            with torch.no_grad():
                real = dict(
                    input=self.to_unit_range(inputs['target']),
                    output=self.joint_output(
                        *self.task_outputs(inputs['target'])))
            log_vars.update(
                self._discriminator_step(
                    real, {k: v.detach()
                           for k, v in fake.items()},
                    optim_wrapper['discriminator']))

        # 3. generator step: G and T, discriminators frozen
        with ExitStack() as stack:
            for name, wrapper in zip(self.task_children, task_wrappers):
                stack.enter_context(
                    wrapper.optim_context(getattr(self, name)))
            losses = self.generator_step_losses(
                logits, pred_depth, fake, src_samples, depth, valid,
                schedule.adversarial_weight)
            loss, log = self.parse_losses(losses)
        task_wrappers[0].backward(loss)
        for wrapper in task_wrappers:
            wrapper.step()
            wrapper.zero_grad()
        log_vars.update(log)
        return log_vars

    def generator_step_losses(self, logits: Tensor,
                              pred_depth: Optional[Tensor],
                              fake: Dict[str, Tensor], samples: SampleList,
                              depth: Optional[Tensor],
                              valid: Optional[Tensor],
                              adversarial_weight: float) -> Dict[str, Tensor]:
        """The terms of G's and T's loss on the translated source batch,
        each with its own weight: CE (``src.decode.*``), λ_d ·
        depth (``src.loss_depth``), and the schedule's adversarial weight ×
        λ_in / λ_out × BCE against "target" (``adv.<level>.*``; absent
        while the weight is 0). Also what
        ``tools/analysis_tools/gio_ada_loss_balance.py`` takes apart."""
        seg = unwrap(self.segmentor)
        losses = {
            f'src.decode.{k}': v
            for k, v in seg.decode_head.loss_by_feat(logits, samples).items()
        }
        if self.with_depth:
            target = depth_representation(depth, self.depth_repr)
            losses[f'src.{self.depth_loss.loss_name}'] = self.depth_loss(
                pred_depth, target, valid)
        if adversarial_weight > 0 and len(self.adversarial_losses):
            with frozen(self.discriminator) as disc:
                d_out = disc({k: fake[k] for k in self.adversarial_losses})
            for level, loss in self.adversarial_losses.items():
                losses[f'adv.{level}.{loss.loss_name}'] = \
                    adversarial_weight * loss(d_out[level], TARGET_LABEL)
        return losses

    def _discriminator_step(self, real: Dict[str, Tensor],
                            fake: Dict[str, Tensor],
                            optim_wrapper) -> Dict[str, Tensor]:
        """Both discriminators learn target (label 1) vs translated source
        (label 0); one backward per domain, one optimizer step."""
        log_vars = {}
        for domain, maps, label in (('real', real, TARGET_LABEL),
                                    ('fake', fake, 1. - TARGET_LABEL)):
            with optim_wrapper.optim_context(self.discriminator):
                d_out = self.discriminator(maps)
                loss, log = self.parse_losses({
                    f'disc.{level}.loss_{domain}':
                    self.discriminator_loss(out, label)
                    for level, out in d_out.items()
                })
            optim_wrapper.backward(loss)
            log.pop('loss')
            log_vars.update(log)
            with torch.no_grad():
                for level, out in d_out.items():
                    right = (out > 0) if label == TARGET_LABEL else (out < 0)
                    log_vars[f'disc.{level}.acc_{domain}'] = \
                        right.float().mean()
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        return log_vars
