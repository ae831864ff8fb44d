# Two-domain data of PLCA (docs/methods.md#plca; official
# kgl-prml/Pixel-Level-Cycle-Association tools/train.py and
# experiments/config/g2c_{train,test}.yaml): both domains resized to a
# random short side in [760, 988] (760 x [1.0, 1.3]), flipped with
# probability 0.5 and randomly cropped to 730x730; 2 source + 2 target
# images per process and iteration (the recipe's 8 + 8 per optimizer step
# come from gradient accumulation, see the PLCA configs). Validation and
# test resize Cityscapes to 730x1460 and score against the full-resolution
# labels.
_base_ = './gta5_to_cityscapes.py'
crop_size = (730, 730)
# (w, h): RandomResize scales both by a ratio in [1.0, 1.3]; keeping the
# aspect ratio, the short side becomes 760 x ratio
short_side_scale = (100000, 760)
test_scale = (1460, 730)  # (w, h)
augmentation = [
    dict(
        type='RandomResize',
        scale=short_side_scale,
        ratio_range=(1.0, 1.3),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
]
source_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
] + augmentation + [dict(type='PackSegInputs')]
target_pipeline = [dict(type='LoadDAImageFromFile')] + augmentation + [
    dict(type='PackSegInputs')
]
# the base's test pipelines at the test size
test_pipeline = [
    dict(t, scale=test_scale) if t.type == 'Resize' else t
    for t in _base_.test_pipeline
]
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0][0].scale = test_scale
# (the base's datasets were built with its own pipelines)
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        source=dict(pipeline=source_pipeline),
        target=dict(pipeline=target_pipeline)))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
