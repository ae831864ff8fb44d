import math
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList, add_prefix

from ..utils import unwrap
from .base_da_model import BaseDAModel

RAMPUPS = ('none', 'gauss')
PREDICT_ON = ('student', 'teacher')


def gaussian_rampup(iteration: int, rampup_iters: int) -> float:
    """The Gaussian ramp-up :math:`\\exp(-5(1 - t/T)^2)` for ``t < T`` and 1
    afterwards (Laine & Aila; French et al.,
    ``experiment_domainadapt_meanteacher.py``); 1 when ``T`` is 0."""
    if rampup_iters <= 0 or iteration >= rampup_iters:
        return 1.
    phase = 1. - max(iteration, 0) / rampup_iters
    return math.exp(-5. * phase * phase)


@MODELS.register_module()
class SelfEnsembling(BaseDAModel):
    """Self-ensembling (mean teacher) domain adaptation, stage B of TGCF-DA
    (Choi, Kim & Kim, *Self-Ensembling with GAN-based Data Augmentation for
    Domain Adaptation in Semantic Segmentation*, ICCV 2019; French et al.,
    *Self-ensembling for visual domain adaptation*, ICLR 2018).

    Two networks of the same architecture (plain mmseg ``EncoderDecoder``
    configs): the ``student``, trained and deployed, and the ``teacher``,
    its exponential moving average, kept by
    :class:`~mmda.engine.EMATeacherHook`. The teacher is frozen
    (``requires_grad=False``) when the model is built, so DDP never wraps or
    synchronises it.

    One named-stream batch (single optimizer, through :meth:`loss`):

    .. math::

        L = CE(f_S(x_s), y_s) + CE(f_S(x_g), y_s)
            + \\delta_{con}\\,r(t)\\,L_{con}\\big(f_S(x_t + n_1),
                                             f_T(x_t + n_2)\\big)

    * supervised CE of the student on every labelled stream present
      (``source``; ``source_aug``, the TGCF-DA images with the source
      labels, when the dataset yields them);
    * the consistency :class:`~mmda.models.ConsistencyLoss` on the target
      stream: the mean squared difference of the student's and the
      teacher's softmax maps (the decode head's output resolution), each
      input perturbed by its own Gaussian noise :math:`n_k \\sim N(0,
      \\sigma^2)` in normalised-image space (no geometric augmentation: it
      would misalign the two maps), with the networks' dropout (e.g. the
      DeepLab-v2 head's ``dropout_ratio``) as network perturbation; the
      teacher runs under ``no_grad``; optional teacher-confidence mask;
    * :math:`r(t)` is the Gaussian ramp-up :func:`gaussian_rampup` over
      ``rampup_iters`` iterations (``rampup='gauss'``) or 1.

    A single-domain batch trains the student as an ordinary segmentor.
    Prediction, ``tools/test.py`` and ``tools/export_segmentor.py`` use the
    network ``test_cfg.predict_on`` names (``'student'``, the default, or
    ``'teacher'``).

    Args:
        student (dict): Config of the segmentor (an ``EncoderDecoder``).
        consistency_loss (dict): The consistency loss config (δ_con is its
            ``loss_weight``; ``conf_thresh`` its confidence mask).
        noise_std (float): σ of the Gaussian input noise, in normalised
            (unit-variance) image units. TGCF-DA's value is not published;
            0.1 is a design default.
        rampup (str): ``'none'`` or ``'gauss'``.
        rampup_iters (int): Length of the Gaussian ramp-up.
        supervised_streams (Sequence[str]): Labelled streams for the CE.
            ``source`` must be in every batch; the others are optional.
        target_stream (str): The unlabelled target stream.
        test_cfg (dict, optional): ``predict_on``: ``'student'`` or
            ``'teacher'``.
        data_preprocessor (dict, optional): A
            :class:`~mmda.models.DADataPreprocessor` config.
        init_cfg (dict, optional): Initialisation config.
    """

    deploy_child = 'student'

    def __init__(self,
                 student: ConfigType,
                 consistency_loss: ConfigType = dict(
                     type='ConsistencyLoss', loss_weight=3.0),
                 noise_std: float = 0.1,
                 rampup: str = 'none',
                 rampup_iters: int = 0,
                 supervised_streams: Sequence[str] = ('source', 'source_aug'),
                 target_stream: str = 'target',
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            segmentor=student,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.predict_on = self.predicted_child(dict(test_cfg=test_cfg))
        if rampup not in RAMPUPS:
            raise ValueError(f'SelfEnsembling: rampup must be one of '
                             f'{RAMPUPS}, got {rampup!r}')
        if rampup == 'gauss' and (not isinstance(rampup_iters, int)
                                  or rampup_iters < 1):
            raise ValueError('SelfEnsembling: rampup="gauss" needs '
                             f'rampup_iters >= 1, got {rampup_iters!r}')
        if noise_std < 0:
            raise ValueError(
                f'SelfEnsembling: noise_std must be >= 0, got {noise_std!r}')
        if 'source' not in supervised_streams:
            raise ValueError('SelfEnsembling: supervised_streams must hold '
                             f"'source', got {tuple(supervised_streams)}")
        self.teacher = MODELS.build(student)
        self.teacher.load_state_dict(self.student.state_dict())
        # frozen before any wrapper is built: DDP leaves it alone
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.consistency_loss = MODELS.build(consistency_loss)
        self.noise_std = float(noise_std)
        self.rampup = rampup
        self.rampup_iters = rampup_iters
        self.supervised_streams = tuple(supervised_streams)
        self.target_stream = target_stream

    # --------------------------------------------------------- interface
    @classmethod
    def predicted_child(cls, model_cfg: dict) -> str:
        """The child that is evaluated and exported: ``predict_on`` of the
        config's ``test_cfg`` (``'student'`` by default)."""
        test_cfg = model_cfg.get('test_cfg') or {}
        unknown = sorted(set(test_cfg) - {'predict_on'})
        if unknown:
            raise KeyError(f'SelfEnsembling: unknown test_cfg keys {unknown} '
                           "(it has only 'predict_on'; the segmentor's own "
                           'test_cfg goes in student.test_cfg)')
        child = test_cfg.get('predict_on', 'student')
        if child not in PREDICT_ON:
            raise ValueError(f'SelfEnsembling: test_cfg.predict_on must be '
                             f'one of {PREDICT_ON}, got {child!r}')
        return child

    @property
    def deployable(self) -> nn.Module:
        """The evaluated/exported network (``test_cfg.predict_on``)."""
        return unwrap(getattr(self, self.predict_on))

    @property
    def deploy_prefix(self) -> str:
        return f'{self.predict_on}.'

    # ------------------------------------------------------------ forward
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """Named-stream ``'loss'`` batches go to :meth:`loss`, single-domain
        ``'loss'`` batches train the student; prediction and tensors come
        from the ``test_cfg.predict_on`` network."""
        if mode == 'loss':
            return super().forward(inputs, data_samples, mode)
        return getattr(self, self.predict_on)(inputs, data_samples, mode=mode)

    def consistency_weight(self, iteration: Optional[int] = None) -> float:
        """The ramp-up factor r(t) of (0-based) ``iteration`` (the runner's
        current one by default)."""
        if self.rampup == 'none':
            return 1.
        if iteration is None:
            iteration = MessageHub.get_current_instance().get_info('iter', 0)
        return gaussian_rampup(iteration, self.rampup_iters)

    def perturb(self, inputs: Tensor) -> Tensor:
        """``inputs`` plus Gaussian noise of std ``noise_std`` (drawn from
        torch's global generator, which the train loop seeds per
        iteration)."""
        if self.noise_std == 0:
            return inputs
        return inputs + self.noise_std * torch.randn_like(inputs)

    def check_streams(self, inputs: Dict[str, Tensor]) -> None:
        """The batch has ``source`` and the target stream, and may have the
        other supervised streams (``source_aug``: TGCF-DA's generated
        images)."""
        known = set(self.supervised_streams) | {self.target_stream}
        unknown = sorted(set(inputs) - known)
        missing = sorted({'source', self.target_stream} - set(inputs))
        if unknown or missing:
            raise KeyError(
                f'SelfEnsembling: batch streams {sorted(inputs)}; needs '
                f"'source' and {self.target_stream!r}, may have "
                f'{sorted(known)} (missing {missing}, unknown {unknown})')

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """Supervised CE of the labelled streams and the target
        consistency."""
        losses = {}
        for stream in self.supervised_streams:
            if stream in inputs:
                losses.update(
                    add_prefix(
                        self.student(
                            inputs[stream], data_samples[stream],
                            mode='loss'), stream))
        target = inputs[self.target_stream]
        student_logits = self.student(self.perturb(target), mode='tensor')
        with torch.no_grad():
            teacher_logits = self.teacher(self.perturb(target), mode='tensor')
        weight = self.consistency_weight()
        losses[f'{self.target_stream}.{self.consistency_loss.loss_name}'] = \
            self.consistency_loss(student_logits, teacher_logits, weight)
        # the ramp-up factor r(t) (δ_con is the loss's own loss_weight)
        losses['con_rampup'] = student_logits.new_tensor(weight)
        return losses
