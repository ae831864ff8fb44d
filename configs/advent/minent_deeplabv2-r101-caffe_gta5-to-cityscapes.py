# ./minent_deeplabv2-r101_gta5-to-cityscapes.py with ADVENT's own network
# (docs/methods.md#advent): the Caffe-style DeepLab-v2 ResNet-101 (stride
# on the 1x1 conv, dilations 2 / 4 without contraction, ceil-mode stem
# max-pool), BGR input minus ADVENT's mean, std 1, from ADVENT's ImageNet
# weights (see ../_base_/models/deeplabv2_r101_caffe_advent.py). MinEnt is
# the segmentor itself (no adversarial wrapper), so the parts go into it.
_base_ = [
    './minent_deeplabv2-r101_gta5-to-cityscapes.py',
    '../_base_/models/deeplabv2_r101_caffe_advent.py',
]
data_preprocessor = _base_.pop('advent_caffe_data_preprocessor')
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=_base_.pop('advent_caffe_backbone'))
