# GIO-Ada, SYNTHIA -> Cityscapes in the 16-class protocol (mIoU16, mIoU13
# also reported), DeepLab-v2 ResNet-101, AdvEnt's data (SYNTHIA 1280x760,
# Cityscapes 1024x512, batch 1 + 1) with SYNTHIA depth:
# data/synthia/Depth/Depth/*.png read in the SYNTHIA convention (16-bit,
# one channel or equal channels, centimetres, sky 65535 -> no depth;
# LoadDepthMap(convention='synthia') refuses other files).
_base_ = [
    '../_base_/models/gio_ada_deeplabv2_r101.py',
    '../_base_/datasets/advent_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/gio_ada_poly_250k_stop120k.py',
]
num_classes = 16
model = dict(
    segmentor=dict(decode_head=dict(num_classes=num_classes)),
    generator=dict(num_classes=num_classes),
    discriminator=dict(
        discriminators=dict(output=dict(in_channels=num_classes + 1))))
# the base's SYNTHIA source pipeline with the depth maps (after the
# annotations, before the resize to 1280x760)
source_depth_pipeline = _base_.source_pipeline[:2] + [
    dict(type='LoadDepthMap', convention='synthia', scale=0.01,
         invalid_value=65535)
] + _base_.source_pipeline[2:]
train_dataloader = dict(
    dataset=dict(
        source=dict(with_depth=True, pipeline=source_depth_pipeline)))
