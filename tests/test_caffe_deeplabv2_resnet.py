"""ADVENT's Caffe-style DeepLab-v2 ResNet (``CaffeDeepLabV2ResNet``): the
stride on the 1x1 convolution, dilations 2 / 4 in every block of layer3 /
layer4, and the stem max-pool rounding up, with exact feature sizes."""
import torch

from mmda.models import CaffeDeepLabV2ResNet
from mmseg.models.backbones import ResNet

#: the torchvision-style DeepLab-v2 backbone of the other configs
TORCHVISION_STYLE = dict(
    depth=50, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
    style='pytorch', contract_dilation=True)


def test_caffe_layout():
    net = CaffeDeepLabV2ResNet(depth=50)
    block = net.layer2[0]  # the stride on the first 1x1 convolution
    assert block.conv1.stride == (2, 2) and block.conv2.stride == (1, 1)
    for layer, dilation in ((net.layer3, 2), (net.layer4, 4)):
        # every block, the first one too (no contraction)
        assert [b.conv2.dilation for b in layer] == \
            [(dilation, dilation)] * len(layer)
        assert [b.conv2.padding for b in layer] == \
            [(dilation, dilation)] * len(layer)
    assert net.maxpool.ceil_mode
    other = ResNet(**TORCHVISION_STYLE)
    assert other.layer2[0].conv2.stride == (2, 2)
    assert other.layer3[0].conv2.dilation == (1, 1)
    assert not other.maxpool.ceil_mode


def test_ceil_mode_feature_sizes_on_an_odd_input():
    """63x63: the stem convolution gives 32x32, the max-pool 17x17 (not
    16x16), layer2 9x9 (not 8x8), kept by the dilated layer3/4."""
    x = torch.rand(1, 3, 63, 63)
    net = CaffeDeepLabV2ResNet(depth=50, out_indices=(0, 1, 2, 3))
    other = ResNet(out_indices=(0, 1, 2, 3), **TORCHVISION_STYLE)
    net.eval()  # (mmseg's ResNet.train returns None: no chaining)
    other.eval()
    with torch.no_grad():
        assert [tuple(f.shape) for f in net(x)] == [
            (1, 256, 17, 17), (1, 512, 9, 9), (1, 1024, 9, 9),
            (1, 2048, 9, 9)]
        assert [tuple(f.shape[2:]) for f in other(x)] == [(16, 16)] + \
            [(8, 8)] * 3


def test_ceil_mode_pool_values_and_advent_size():
    """The extra row and column of the ceil-mode pool cover the last input
    row / column; ADVENT's 1024x512 input gives 129x65 feature maps."""
    net = CaffeDeepLabV2ResNet(depth=50)
    net.eval()
    x = torch.arange(32 * 32, dtype=torch.float32).view(1, 1, 32, 32)
    pooled = net.maxpool(x)[0, 0]
    assert pooled.shape == (17, 17)
    assert pooled[16, 16] == 31 * 32 + 31  # the window of row/col 31 only
    assert pooled[16, 0] == 31 * 32 + 1  # rows 31, columns 0-1
    assert pooled[0, 0] == 32 + 1  # rows 0-1, columns 0-1 (padded)
    stem = torch.nn.Sequential(net.conv1, net.norm1, net.relu, net.maxpool)
    with torch.no_grad():
        y = stem(torch.zeros(1, 3, 512, 1024))
        assert tuple(y.shape[2:]) == (129, 257)
        # layer2's stride-2 1x1 convolution: 65x129
        assert tuple(net.layer2[0].conv1(net.layer1(y)).shape[2:]) == \
            (65, 129)
