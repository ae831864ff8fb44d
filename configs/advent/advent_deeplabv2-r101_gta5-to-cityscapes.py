# AdvEnt, GTA5 -> Cityscapes, DeepLab-v2 ResNet-101 (docs/methods.md#advent).
# Paper (Cityscapes val mIoU): 43.8; AdvEnt+MinEnt 45.5. Also IntraDA's
# stage 1 (configs/intrada/).
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py.
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel.py',
    '../_base_/datasets/advent_gta5_to_cityscapes.py',
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
