from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..losses import SOURCE_LABEL, TARGET_LABEL, weighted_self_information
from ..utils import (check_optim_wrapper_dict, current_adversarial_schedule,
                     frozen, unwrap)
from .base_da_model import BaseDAModel
from .multi_level_encoder_decoder import check_levels


@MODELS.register_module()
class AdvEnt(BaseDAModel):
    """AdvEnt: adversarial entropy minimisation (Vu et al., CVPR 2019), the
    first stage and the trainer of both stages of IntraDA (Pan et al.,
    CVPR 2020).

    A :class:`BaseDAModel` with two trainable children, each with its own
    optimizer (an :class:`~mmengine.optim.OptimWrapperDict` built by
    :class:`~mmda.engine.MultiOptimWrapperConstructor`) and, under DDP, its
    own wrapper (``MMSeparateDistributedDataParallel``):

    * ``segmentor``: a :class:`MultiLevelEncoderDecoder` (DeepLab-v2 with
      the layer3 auxiliary and layer4 main classifiers). It is what gets
      evaluated and exported: plain mmseg ``EncoderDecoder`` weights under
      the ``segmentor.`` prefix of the checkpoint (also when trained under
      DDP: see :func:`~mmda.models.utils.register_wrapper_free_state_dict`).
    * ``discriminator``: a :class:`~mmda.models.MultiLevelDiscriminator`,
      one fully-convolutional discriminator per level, fed the *weighted
      self-information maps* :math:`I = -p \\log_2 p / \\log_2 C` of the
      softmax predictions.

    One iteration (:meth:`train_step`), on a two-domain batch:

    1. segmentor step: :math:`L_{seg}(x_s) = CE_{main} + 0.1\\,CE_{aux}`
       (the heads' loss configs), then with the discriminator frozen the
       adversarial loss on target maps scored against the *source* label,
       :math:`\\lambda_{main} BCE(D_{main}(I^{main}_t), 0) + \\lambda_{aux}
       BCE(D_{aux}(I^{aux}_t), 0)` with λ = 0.001 / 0.0002, scaled by the
       schedule's adversarial weight; one optimizer step (the paper's
       AdvEnt+MinEnt is a test-time ensemble:
       :class:`~mmda.models.SegmentorEnsemble`);
    2. discriminator step (when the schedule says so): detached source maps
       against label 0 and target maps against label 1, each BCE halved
       (``discriminator_loss`` weight 0.5), per level; one optimizer step.

    The schedule (discriminator update interval, adversarial warm-up) comes
    from :class:`~mmda.engine.AdversarialDiscriminatorHook` (which checks
    :attr:`reads_adversarial_schedule`); without it the original recipe
    runs (both steps every iteration, full weight). The
    discriminators' accuracies (fraction of cells on the right side of 0)
    are logged as ``disc.<level>.acc_src`` / ``acc_tgt``.

    Args:
        segmentor (dict): Config of the :class:`MultiLevelEncoderDecoder`.
        discriminator (dict): Config of the multi-level discriminator.
        adversarial_losses (dict[str, dict]): level → adversarial loss of
            the segmentor step (``AdversarialLoss`` with its weight).
        discriminator_loss (dict): loss of the discriminator step per domain
            and level. Defaults to BCE with weight 0.5.
        data_preprocessor (dict, optional): A two-domain
            :class:`~mmda.models.DADataPreprocessor` config.
        init_cfg (dict, optional): Initialisation config.
    """

    #: The contract with :class:`~mmda.engine.AdversarialDiscriminatorHook`:
    #: :meth:`train_step` follows its schedule.
    reads_adversarial_schedule = True

    def __init__(self,
                 segmentor: ConfigType,
                 discriminator: ConfigType,
                 adversarial_losses: Dict[str, ConfigType] = dict(
                     main=dict(type='AdversarialLoss', loss_weight=0.001),
                     aux=dict(type='AdversarialLoss', loss_weight=0.0002)),
                 discriminator_loss: ConfigType = dict(
                     type='AdversarialLoss', loss_weight=0.5),
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            segmentor=segmentor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not hasattr(self.segmentor, 'level_logits'):
            raise TypeError(
                f'AdvEnt: the segmentor must be a MultiLevelEncoderDecoder '
                f'(two levels to adapt), got {type(self.segmentor).__name__}')
        self.discriminator = MODELS.build(discriminator)
        levels = list(adversarial_losses)
        for what, names in (('adversarial_losses', levels),
                            ('discriminator', self.discriminator.level_names)):
            check_levels('AdvEnt', what, names)
        missing = sorted(set(levels) - set(self.discriminator.level_names))
        if missing:
            raise KeyError(f'AdvEnt: adversarial_losses on levels {missing} '
                           'that have no discriminator')
        self.adversarial_losses = nn.ModuleDict(
            {level: MODELS.build(cfg)
             for level, cfg in adversarial_losses.items()})
        self.discriminator_loss = MODELS.build(discriminator_loss)

    # ------------------------------------------------------------ training
    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One AdvEnt iteration: segmentor step, then discriminator step."""
        check_optim_wrapper_dict('AdvEnt', optim_wrapper,
                                 ('segmentor', 'discriminator'))
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        if not isinstance(inputs, dict):
            raise ValueError('AdvEnt needs two-domain batches (a '
                             'TwoDomainDataset and a DADataPreprocessor)')
        self.check_streams(inputs)
        schedule = current_adversarial_schedule()
        src_levels, tgt_levels, tgt_maps, log_vars = self._segmentor_step(
            inputs, samples, optim_wrapper['segmentor'],
            schedule.adversarial_weight)
        if schedule.update_discriminator:
            log_vars.update(
                self._discriminator_step(src_levels, tgt_levels, tgt_maps,
                                         optim_wrapper['discriminator']))
        return log_vars

    def _segmentor_step(self, inputs: Dict[str, Tensor],
                        samples: Dict[str, SampleList], optim_wrapper,
                        adversarial_weight: float
                        ) -> Tuple[dict, dict, dict, dict]:
        """Source supervision and the target adversarial losses.

        Returns both domains' level logits, the target's self-information
        maps when the adversarial loss computed them (all detached, for the
        discriminator step) and the log.
        """
        seg = unwrap(self.segmentor)
        # source: backward right away (as the original) to free its graph
        with optim_wrapper.optim_context(self.segmentor):
            src_levels = self.segmentor(inputs['source'], mode='levels')
            src_loss, log_vars = self.parse_losses(
                seg.level_losses(
                    src_levels, samples['source'], prefix='src.'))
        optim_wrapper.backward(src_loss)

        tgt_losses, tgt_maps = {}, {}
        adversarial = bool(adversarial_weight > 0
                           and len(self.adversarial_losses))
        with optim_wrapper.optim_context(self.segmentor), \
                torch.set_grad_enabled(adversarial):
            tgt_levels = self.segmentor(inputs['target'], mode='levels')
            if adversarial:
                tgt_maps = self._self_information(tgt_levels,
                                                  self.adversarial_losses)
                with frozen(self.discriminator) as disc:
                    d_out = disc(tgt_maps)
                for level, loss in self.adversarial_losses.items():
                    tgt_losses[f'tgt.{level}.{loss.loss_name}'] = \
                        adversarial_weight * loss(d_out[level], SOURCE_LABEL)
        if tgt_losses:
            tgt_loss, tgt_log = self.parse_losses(tgt_losses)
            optim_wrapper.backward(tgt_loss)
            tgt_log['loss'] = log_vars['loss'] + tgt_log['loss']
            log_vars.update(tgt_log)
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        return (_detached(src_levels), _detached(tgt_levels),
                _detached(tgt_maps), log_vars)

    @staticmethod
    def _self_information(levels: Dict[str, Tensor],
                          names) -> Dict[str, Tensor]:
        """Weighted self-information maps of the levels ``names``."""
        return {
            level: weighted_self_information(F.softmax(levels[level], dim=1))
            for level in names
        }

    def _discriminator_step(self, src_levels: Dict[str, Tensor],
                            tgt_levels: Dict[str, Tensor],
                            tgt_maps: Dict[str, Tensor],
                            optim_wrapper) -> Dict[str, Tensor]:
        """Discriminators learn source (label 0) vs target (label 1) maps
        (the target maps of the segmentor step are reused)."""
        names = self.discriminator_level_names
        tgt_maps = dict(
            tgt_maps,
            **self._self_information(
                tgt_levels, [n for n in names if n not in tgt_maps]))
        domains = (
            ('src', self._self_information(src_levels, names), SOURCE_LABEL),
            ('tgt', {n: tgt_maps[n] for n in names}, TARGET_LABEL))
        log_vars = {}
        for domain, maps, label in domains:
            with optim_wrapper.optim_context(self.discriminator):
                d_out = self.discriminator(maps)
                losses = {
                    f'disc.{level}.loss_{domain}':
                    self.discriminator_loss(out, label)
                    for level, out in d_out.items()
                }
                loss, log = self.parse_losses(losses)
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

    @property
    def discriminator_level_names(self):
        return unwrap(self.discriminator).level_names

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """AdvEnt has no single loss (prediction goes to the segmentor
        through :class:`BaseDAModel`'s forward)."""
        raise RuntimeError(
            'AdvEnt has no single loss: it trains through train_step '
            'with an OptimWrapperDict (segmentor + discriminator)')


def _detached(tensors: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {k: v.detach() for k, v in tensors.items()}
