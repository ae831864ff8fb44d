# PLCA, SYNTHIA -> Cityscapes (16 classes), on the project's DeepLab-v2
# ResNet-101 base (torchvision-style ResNet, frozen BN, ASPP with bias, RGB
# ImageNet normalisation): NOT the official network; the parity variant is
# ./plca_deeplabv2-r101-caffe-syncbn_synthia-to-cityscapes-16.py. Data,
# schedule and losses are the official recipe (docs/methods.md#plca): 730x730
# crops of a 760-988 short side with flips, 8 source + 8 target images per
# optimizer step by accumulation, SGD 2.5e-4 without a classifier multiplier,
# poly 0.9, test at 730x1460 with test-time aggregation.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/methods/plca_synthia_to_cityscapes.py',
]
model = _base_.pop('plca_model')
