# AdvEnt, SYNTHIA -> Cityscapes (16-class protocol; mIoU16, mIoU13 also
# reported), DeepLab-v2 ResNet-101 (docs/methods.md#advent).
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel_16.py',
    '../_base_/datasets/advent_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_250k_stop120k.py',
    '../_base_/methods/advent.py',
]
model = dict(
    _delete_=True,
    data_preprocessor=_base_.data_preprocessor,
    segmentor=_base_.model,
    **_base_.pop('advent_model'))
optim_wrapper = dict(_delete_=True, **_base_.pop('advent_optim_wrapper'))
optim_wrapper['segmentor'].optimizer = _base_.optim_wrapper.optimizer
custom_hooks = _base_.pop('advent_custom_hooks')
for __level in model['discriminator'].discriminators.values():
    __level.in_channels = 16  # the 16-class maps
