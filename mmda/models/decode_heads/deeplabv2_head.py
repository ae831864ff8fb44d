import torch.nn as nn
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """The DeepLab-v2 classifier: an ASPP *sum* of dilated 3×3 convolutions.

    `DeepLab: Semantic Image Segmentation with Deep Convolutional Nets, Atrous
    Convolution, and Fully Connected CRFs <https://arxiv.org/abs/1606.00915>`_.

    Unlike DeepLab-v3's ASPP (concatenation, BN, image pooling), each branch
    maps the backbone feature straight to class scores and the branch scores
    are summed. This is the segmentation model of AdvEnt, IntraDA, RIPU and
    PLCA (dilations 6/12/18/24 on ResNet-101 layer4). The weights are
    initialised from N(0, 0.01) as in the original Caffe/PyTorch releases.

    Args:
        dilations (tuple[int]): Dilation of each branch.
            Defaults to (6, 12, 18, 24).
        bias (bool): Whether the branches have a bias (True as in AdvEnt's
            DeepLab-v2; PLCA's classifier has none). Defaults to True.
        **kwargs: :class:`BaseDecodeHead` arguments. ``channels`` is not
            used (the branches output ``num_classes`` channels directly);
            ``dropout_ratio`` applies to the input feature.
    """

    def __init__(self, dilations=(6, 12, 18, 24), bias=True, **kwargs):
        kwargs.setdefault('channels', 1)
        kwargs.setdefault('dropout_ratio', 0.)
        # BaseDecodeHead's default init_cfg targets conv_seg, removed below.
        kwargs.setdefault('init_cfg', None)
        super().__init__(**kwargs)
        # The branches are the classifier: BaseDecodeHead's 1×1 conv_seg
        # would be an unused parameter (and break DDP without
        # find_unused_parameters).
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.aspp_branches = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                kernel_size=3,
                padding=d,
                dilation=d,
                bias=bias) for d in self.dilations)
        for branch in self.aspp_branches:
            nn.init.normal_(branch.weight, 0, 0.01)
            if bias:
                nn.init.zeros_(branch.bias)

    def forward(self, inputs) -> Tensor:
        """Sum the branch scores of the selected backbone feature."""
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        return sum(branch(x) for branch in self.aspp_branches)
