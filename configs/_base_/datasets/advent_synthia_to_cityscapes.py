# Two-domain data of AdvEnt / IntraDA for SYNTHIA -> Cityscapes in the
# 16-class protocol: SYNTHIA at 1280x760, Cityscapes at 1024x512, batch
# 1 + 1, no crop or flip (see ./advent_gta5_to_cityscapes.py).
_base_ = './synthia_to_cityscapes.py'
target_scale = (1024, 512)  # (w, h)
target_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
target_labelled_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs'),
]
# (the base's pipelines were built with its own target_scale)
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
target_train_rank = dict(
    type='CityscapesDADataset',
    data_root='data/cityscapes',
    subset='train',
    with_labels=False,
    num_classes=16,
    pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=1,
    dataset=dict(target=dict(pipeline=target_pipeline)))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
entropy_rank_dataloader = dict(
    batch_size=1,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_train_rank)
