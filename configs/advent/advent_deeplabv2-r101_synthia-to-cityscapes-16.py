# AdvEnt, SYNTHIA -> Cityscapes (16-class protocol; mIoU16, mIoU13 also
# reported), DeepLab-v2 ResNet-101 (docs/methods.md#advent).
_base_ = [
    '../_base_/models/advent_deeplabv2_r101.py',
    '../_base_/datasets/advent_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/advent_poly_250k_stop120k.py',
]
model = dict(
    segmentor=dict(
        decode_head=dict(num_classes=16), auxiliary_head=dict(num_classes=16)),
    discriminator=dict(
        discriminators=dict(
            main=dict(in_channels=16), aux=dict(in_channels=16))))
