# AdvEnt, GTA5 -> Cityscapes, DeepLab-v2 ResNet-101 (docs/methods.md#advent).
# Paper (Cityscapes val mIoU): 43.8; AdvEnt+MinEnt 45.5. Also IntraDA's
# stage 1 (configs/intrada/).
#
# ImageNet weights are NOT downloaded: place torchvision's ResNet-101
# weights at the path named in ../_base_/models/deeplabv2_r101.py.
_base_ = [
    '../_base_/models/advent_deeplabv2_r101.py',
    '../_base_/datasets/advent_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/advent_poly_250k_stop120k.py',
]
