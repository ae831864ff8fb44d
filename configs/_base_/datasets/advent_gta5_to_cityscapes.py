# Two-domain data of AdvEnt / IntraDA (docs/methods.md#advent): batch 1
# source + 1 target, GTA5 at 1280x720, Cityscapes at 1024x512, no crop or
# flip;
# validation at 1024x512 scored against the full-resolution labels.
_base_ = './gta5_to_cityscapes.py'
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
# the target train split as IntraDA's ranking reads it (no labels)
target_train_rank = dict(
    type='CityscapesDADataset',
    data_root='data/cityscapes',
    subset='train',
    with_labels=False,
    num_classes=19,
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
