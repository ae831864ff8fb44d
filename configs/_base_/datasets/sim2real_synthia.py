# The SYNTHIA side of the embedded benchmark (tools/make_sim2real.py writes
# data/sim2real/synthia in the SYNTHIA-RAND-CITYSCAPES layout: RGB/,
# GT/LABELS/, Depth/Depth/), source-only training with 19-class labels
# (DAIoUMetric reports mIoU16 / mIoU13 of the same predictions), validation
# on the Cityscapes-layout target. The images are 256x152 (kept).
_base_ = './sim2real_common.py'
synthia_scale = (256, 152)
synthia_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=synthia_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# with depth: the generator writes uint16 centimetres, one channel, sky
# 65535 (mmda/sim2real/writers.py), the SYNTHIA convention LoadDepthMap
# checks; scale 0.01 gives metres, the sky becomes 0 (no depth).
# (after the annotations, before the resize)
synthia_depth_pipeline = synthia_pipeline[:2] + [
    dict(
        type='LoadDepthMap',
        convention='synthia',
        scale=0.01,
        invalid_value=65535)
] + synthia_pipeline[2:]
synthia_train = dict(
    type='SynthiaDataset',
    data_root='data/sim2real/synthia',
    num_classes=19,
    pipeline=synthia_pipeline)
synthia_train_depth = dict(
    type='SynthiaDataset',
    data_root='data/sim2real/synthia',
    num_classes=19,
    with_depth=True,
    pipeline=synthia_depth_pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True),
    dataset=synthia_train)
