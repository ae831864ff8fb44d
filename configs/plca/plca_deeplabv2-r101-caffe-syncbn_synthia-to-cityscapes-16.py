# PLCA, SYNTHIA -> Cityscapes (16 classes): the parity variant with the
# official network choices (caffe-style ResNet-101, trainable SyncBN, bias-free
# ASPP, Caffe BGR normalisation;
# ../_base_/models/deeplabv2_r101_caffe_syncbn.py) and the official recipe
# (docs/methods.md#plca). The variant on the project's base is
# ./plca_deeplabv2-r101_synthia-to-cityscapes-16.py.
_base_ = [
    '../_base_/models/deeplabv2_r101_caffe_syncbn.py',
    '../_base_/datasets/plca_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_plca_synthia.py',
    '../_base_/methods/plca.py',
]
# The official Lovasz weight 0.75 x 2 GPUs x ITER_SIZE 2 (the code scales
# it by world size and accumulation; here it is a plain weight)
model = _base_.pop('plca_model')
model['lovasz_loss']['loss_weight'] = 3.0
model['decode_head'] = dict(num_classes=16)
