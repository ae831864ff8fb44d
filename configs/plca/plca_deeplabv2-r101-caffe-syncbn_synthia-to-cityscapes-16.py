# PLCA, SYNTHIA -> Cityscapes (16 classes): the parity variant with the
# official network choices (caffe-style ResNet-101, trainable SyncBN, bias-free
# ASPP, Caffe BGR normalisation;
# ../_base_/models/deeplabv2_r101_caffe_syncbn.py) and the official recipe
# (docs/methods.md#plca). The variant on the project's base is
# ./plca_deeplabv2-r101_synthia-to-cityscapes-16.py.
_base_ = [
    '../_base_/models/deeplabv2_r101_caffe_syncbn.py',
    '../_base_/methods/plca_synthia_to_cityscapes.py',
]
model = _base_.pop('plca_model')
