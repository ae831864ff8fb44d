# MinEnt, SYNTHIA -> Cityscapes (16-class protocol), DeepLab-v2 ResNet-101.
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel_16.py',
    '../_base_/datasets/advent_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_250k_stop120k.py',
    '../_base_/methods/minent.py',
]
model = _base_.pop('minent_model')
