from typing import Dict, List, Optional

import torch.nn as nn
from torch import Tensor

from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList

#: What the members' outputs are averaged as.
FUSIONS = ('logits', 'probs')


def no_single_segmentor(members) -> str:
    """Why an ensemble has no deployable segmentor (an error message)."""
    return (f'SegmentorEnsemble (members {list(members)}) has no single '
            'deployable segmentor: test it with tools/test.py; export or '
            'rank a member from its own config and checkpoint')


@MODELS.register_module()
class SegmentorEnsemble(BaseSegmentor):
    """Test-time ensemble of trained segmentors (AdvEnt+MinEnt, Vu et al.,
    CVPR 2019).

    AdvEnt's "AdvEnt+MinEnt" result combines two separately trained models
    by a weighted average of their main-head outputs at the input
    resolution (the official evaluation averages the raw scores with
    weights 0.5 / 0.5):

    .. math::

        \\hat{y} = \\arg\\max_c \\sum_k w_k\\, f_k(x)_c

    with ``fusion='logits'``; ``fusion='probs'`` averages the softmax
    probabilities instead. Members are ordinary mmseg segmentors
    (``EncoderDecoder`` or a subclass) with their own ``test_cfg`` (whole
    or slide inference); the fused scores go through the first member's
    post-processing (padding removal, flip, resize to the original shape).

    The ensemble is built for testing only: each member is trained with its
    own config, and ``tools/ensemble_checkpoints.py`` gathers their weights
    into one checkpoint whose keys are ``members.<name>.*``.

    In the method interface (:mod:`mmda.models.segmentors.deployable`) the
    ensemble is tested as it is (``tools/test.py``) but has no single
    deployable segmentor: :attr:`deployable` (and so export and entropy
    ranking) refuses it, naming the members; :func:`~mmda.models.
    member_segmentors` lists them.

    Args:
        members (dict[str, dict]): member name → segmentor config.
        weights (dict[str, float], optional): member name → weight ≥ 0 (not
            all zero), normalised to sum to 1. Defaults to equal weights.
        fusion (str): ``'logits'`` (AdvEnt's evaluation) or ``'probs'``.
        data_preprocessor (dict, optional): The ensemble's
            ``SegDataPreProcessor`` (the members' own are not used).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 members: Dict[str, ConfigType],
                 weights: Optional[Dict[str, float]] = None,
                 fusion: str = 'logits',
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(members, dict) or not members:
            raise ValueError('SegmentorEnsemble: members must be a non-empty '
                             'dict of name -> segmentor config')
        if fusion not in FUSIONS:
            raise ValueError(f'SegmentorEnsemble: fusion must be one of '
                             f'{FUSIONS}, got {fusion!r}')
        weights = dict.fromkeys(members, 1.) if weights is None else weights
        if set(weights) != set(members):
            raise KeyError(f'SegmentorEnsemble: weights name '
                           f'{sorted(weights)}, members are {sorted(members)}')
        if any(w < 0 for w in weights.values()) or not any(weights.values()):
            raise ValueError(f'SegmentorEnsemble: weights must be >= 0 and '
                             f'not all 0, got {dict(weights)}')
        total = float(sum(weights.values()))
        self.weights = {name: w / total for name, w in weights.items()}
        self.fusion = fusion
        self.members = nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in members.items()})

    #: No single child is the deployable segmentor (see :attr:`deployable`).
    deploy_child = None
    #: The child holding the member segmentors.
    members_child = 'members'

    @property
    def deployable(self) -> nn.Module:
        """Refused: an ensemble is not one ``EncoderDecoder``."""
        raise TypeError(no_single_segmentor(list(self.members)))

    @property
    def _first(self) -> BaseSegmentor:
        return next(iter(self.members.values()))

    @property
    def align_corners(self) -> bool:
        """Used by :meth:`postprocess_result` to resize the fused scores."""
        return self._first.align_corners

    @property
    def decode_head(self) -> nn.Module:
        return self._first.decode_head

    @property
    def out_channels(self) -> int:
        """Score channels (read by mmseg's ``SegTTAModel`` for ``--tta``)."""
        return self._first.out_channels

    def fuse(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """The weighted average of the members' scores (N×C×H×W at the
        members' inference size)."""
        fused = None
        for name, member in self.members.items():
            scores = member.inference(inputs, batch_img_metas)
            if self.fusion == 'probs':
                scores = scores.softmax(dim=1)
            scores = self.weights[name] * scores
            fused = scores if fused is None else fused + scores
        return fused

    def _img_metas(self, inputs: Tensor,
                   data_samples: OptSampleList) -> List[dict]:
        if data_samples is not None:
            return [sample.metainfo for sample in data_samples]
        shape = tuple(inputs.shape[2:])
        return [
            dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                 padding_size=[0, 0, 0, 0])
        ] * inputs.shape[0]

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Fused prediction, post-processed like a single segmentor's."""
        scores = self.fuse(inputs, self._img_metas(inputs, data_samples))
        return self.postprocess_result(scores, data_samples)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        return self.fuse(inputs, batch_img_metas)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        return self.fuse(inputs, self._img_metas(inputs, data_samples))

    def extract_feat(self, inputs: Tensor):
        raise NotImplementedError(
            'SegmentorEnsemble has no single feature map: use a member')

    def loss(self, inputs, data_samples) -> dict:
        raise NotImplementedError(
            'SegmentorEnsemble is for testing: train each member with its '
            'own config, then gather the checkpoints with '
            'tools/ensemble_checkpoints.py')
