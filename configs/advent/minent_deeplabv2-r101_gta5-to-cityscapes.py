# MinEnt, GTA5 -> Cityscapes, DeepLab-v2 ResNet-101 (docs/methods.md#minent):
# source CE main + 0.1 aux, target entropy 0.001 (main) / 0.0002 (aux),
# AdvEnt's data and schedule with one optimizer.
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel.py',
    '../_base_/datasets/advent_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_250k_stop120k.py',
    '../_base_/methods/minent.py',
]
model = _base_.pop('minent_model')
