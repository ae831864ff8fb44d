from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ..utils import (check_optim_wrapper_dict, frozen,
                     register_wrapper_free_state_dict, unwrap)

OPTIMIZERS = ('generator', 'discriminator')


@MODELS.register_module()
class TGCFDA(BaseModel):
    """Stage A of TGCF-DA (Choi, Kim & Kim, *Self-Ensembling with GAN-based
    Data Augmentation for Domain Adaptation in Semantic Segmentation*, ICCV
    2019): trains the target-guided, cycle-free generator.

    Children:

    * ``generator``: :class:`~mmda.models.TGCFGenerator`,
      :math:`x_g = G(x_s, x_t)` (own optimizer);
    * ``discriminator``: :class:`~mmda.models.MultiScalePatchDiscriminator`
      (own optimizer), real = target images, fake = generated ones;
    * ``segmentor``: the *semantic constraint*, an mmseg segmentor trained
      on the source (``segmentor_checkpoint``, e.g. a source-only run of
      this toolbox; the paper uses FCN-8s) and kept fixed: its parameters
      never require gradients and it always runs in eval mode.

    One iteration (:meth:`train_step`, the AdvEnt pattern of two
    optimizers) on a two-domain batch, images in [−1, 1]:

    1. generator step, with the discriminator frozen:
       :math:`L_G = \\sum_k \\frac12 E[(D_k(x_g) - 1)^2]
       + \\lambda_{sem} CE(f_{seg}(x_g), y_s)` (LSGAN; the segmentor sees
       :math:`x_g` normalised with its own data preprocessor's statistics;
       its CE reaches the generator only);
    2. discriminator step:
       :math:`L_D = \\sum_k \\frac12 E[(D_k(x_t) - 1)^2]
       + \\frac12 E[D_k(x_g)^2]` on the detached :math:`x_g`.

    This model is **not a segmentor**: it has nothing to evaluate or
    export. ``tools/test.py`` on its config stops with an error; the
    generator is used by ``tools/tgcf_generate.py``, whose images train
    stage B (:class:`SelfEnsembling`, or a plain two-domain run).

    Args:
        generator (dict): Generator config.
        discriminator (dict): Discriminator config.
        segmentor (dict): Config of the frozen segmentor (an
            ``EncoderDecoder`` with its own data preprocessor).
        segmentor_checkpoint (str, optional): Its weights (an mmda or mmseg
            checkpoint), loaded by :meth:`init_weights`. ``None`` keeps a
            randomly initialised segmentor (tests only; a warning says
            so).
        semantic_loss_weight (float): λ_sem. Not published; 10 follows
            SE-GAN (``YonghaoXu/SE-GAN`` ``TGSTN_GTA.py``), whose semantic
            CE has weight 10.
        gan_loss (dict): The LSGAN loss of both steps (its weight is the
            adversarial weight of the generator step).
        data_preprocessor (dict, optional): A
            :class:`~mmda.models.DADataPreprocessor` mapping images to
            [−1, 1] (mean = std = 127.5).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 generator: ConfigType,
                 discriminator: ConfigType,
                 segmentor: ConfigType,
                 segmentor_checkpoint: Optional[str] = None,
                 semantic_loss_weight: float = 10.,
                 gan_loss: ConfigType = dict(
                     type='LSGANLoss', loss_weight=1.0),
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        self.discriminator = MODELS.build(discriminator)
        self.segmentor = MODELS.build(segmentor)
        if not hasattr(self.segmentor, 'data_preprocessor') or not hasattr(
                self.segmentor.data_preprocessor, 'mean'):
            raise TypeError('TGCFDA: the segmentor needs a data '
                            'preprocessor with mean/std (its input '
                            'normalisation)')
        self.segmentor.requires_grad_(False)
        self.segmentor.eval()
        self.segmentor_checkpoint = segmentor_checkpoint
        self.semantic_loss_weight = float(semantic_loss_weight)
        self.gan_loss = MODELS.build(gan_loss)
        register_wrapper_free_state_dict(self)

    def _load_segmentor(self) -> None:
        if self.segmentor_checkpoint is None:
            print_log(
                'TGCFDA: no segmentor_checkpoint, the semantic constraint '
                'is a randomly initialised segmentor', logger='current',
                level=30)
            return
        # deferred: mmda.apis imports mmda.models
        from mmda.apis import load_segmentor_weights
        load_segmentor_weights(self.segmentor, self.segmentor_checkpoint,
                               'the frozen segmentor of TGCFDA')

    def init_weights(self) -> None:
        """Initialise G and D and load the frozen segmentor's checkpoint
        (the runner calls this before training; a resumed run then loads
        its own checkpoint over it)."""
        super().init_weights()
        self._load_segmentor()

    def train(self, mode: bool = True):
        """The segmentor stays in eval mode (fixed BN statistics)."""
        super().train(mode)
        self.segmentor.eval()
        return self

    # ------------------------------------------------------------ helpers
    def segmentor_input(self, images: Tensor) -> Tensor:
        """Generated images (the generator's data-preprocessor space)
        normalised as the segmentor's data preprocessor normalises."""
        pre = self.data_preprocessor
        seg = self.segmentor.data_preprocessor
        pixels = images * pre.std + pre.mean
        return (pixels - seg.mean) / seg.std

    def semantic_loss(self, generated: Tensor,
                      data_samples: SampleList) -> Dict[str, Tensor]:
        """λ_sem × the frozen segmentor's losses of ``generated`` against
        the source labels (gradients reach ``generated`` only)."""
        with frozen(self.segmentor) as seg:
            losses = seg.loss(self.segmentor_input(generated), data_samples)
        return {
            f'sem.{k}': self.semantic_loss_weight * v if 'loss' in k else v
            for k, v in losses.items()
        }

    # ------------------------------------------------------------ training
    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Generator step, then discriminator step."""
        check_optim_wrapper_dict('TGCFDA', optim_wrapper, OPTIMIZERS)
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        if not isinstance(inputs, dict) or \
                set(inputs) != {'source', 'target'}:
            raise ValueError('TGCFDA needs two-domain batches (a '
                             'TwoDomainDataset and a DADataPreprocessor)')
        source, target = inputs['source'], inputs['target']

        g_wrapper = optim_wrapper['generator']
        with g_wrapper.optim_context(self.generator):
            generated = self.generator(source, target)
            with frozen(self.discriminator) as disc:
                adversarial = self.gan_loss(disc(generated), real=True)
            losses = dict(
                self.semantic_loss(generated, samples['source']),
                **{f'gen.{self.gan_loss.loss_name}': adversarial})
            g_loss, log_vars = self.parse_losses(losses)
        g_wrapper.update_params(g_loss)

        d_wrapper = optim_wrapper['discriminator']
        with d_wrapper.optim_context(self.discriminator):
            d_losses = {
                'disc.loss_real':
                self.gan_loss(self.discriminator(target), real=True),
                'disc.loss_fake':
                self.gan_loss(
                    self.discriminator(generated.detach()), real=False)
            }
            d_loss, d_log = self.parse_losses(d_losses)
        d_wrapper.update_params(d_loss)
        d_log.pop('loss')
        log_vars.update(d_log)
        return log_vars

    # ------------------------------------------------------------ inference
    @torch.no_grad()
    def generate(self, source: Tensor, target: Tensor) -> Tensor:
        """:math:`G(x_s, x_t)` in the data preprocessor's space."""
        return unwrap(self.generator)(source, target)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """``'tensor'`` on a ``{'source', 'target'}`` dict gives the
        generated images; there is no segmentation prediction."""
        if mode == 'tensor' and isinstance(inputs, dict):
            return self.generate(inputs['source'], inputs['target'])
        raise RuntimeError(
            f'TGCFDA (TGCF-DA stage A) trains an image generator and has no '
            f'{mode!r} mode: it is neither evaluated nor exported (no '
            'tools/test.py); write its images with tools/tgcf_generate.py '
            'and train stage B on them')
