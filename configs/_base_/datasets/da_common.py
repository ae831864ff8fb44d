# What every benchmark's data shares: the loaders' settings (each data base
# names the datasets), the evaluator, and the target pipelines of the real
# benchmarks (RIPU's sizes): training images resized to 1280x640, no crop,
# no flip; testing at 1280x640 with the predictions scored against the
# labels at full resolution (1024x2048; mmseg resizes the logits to the
# original image size, and LoadDAAnnotations comes after Resize so the
# labels are not resized). The flip-averaging test-time augmentation is
# `tta_pipeline` (tools/test.py --tta). The embedded benchmark
# (sim2real_common.py) and AdvEnt's data (advent_*.py) edit the pipelines.
target_scale = (1280, 640)  # (w, h)
# Unlabelled target training images (UDA, RIPU before its first round).
target_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# Labelled target training images (target-oracle baseline).
target_labelled_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# Target training images of active domain adaptation: the labels of the
# pixels picked so far come from the active-label ledger (at full
# resolution, so LoadActiveLabels comes before Resize).
target_active_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadActiveLabels'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=target_scale, keep_ratio=False)],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadDAAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
# mIoU over the model's classes; for a 19-class model also mIoU16 / mIoU13
# (the SYNTHIA protocols on the same predictions), for 16 classes mIoU13.
val_evaluator = dict(type='DAIoUMetric')
test_evaluator = val_evaluator
