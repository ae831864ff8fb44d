# Pieces of the embedded sim2real benchmark (tools/make_sim2real.py): the
# source in the GTA5 layout, the target in the Cityscapes layout, read by the
# same dataset classes as the real data. Generate (and convert) it with
#   python tools/make_sim2real.py data/sim2real
data_root = 'data/sim2real'
source_scale = (256, 144)
target_scale = (256, 128)
source_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
target_labelled_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=target_scale, keep_ratio=True)],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadDAAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
source_train = dict(
    type='GTA5Dataset',
    data_root=data_root + '/gta5',
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline)
target_train = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_pipeline)
target_train_labelled = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_labelled_pipeline)
target_val = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='DAIoUMetric')
test_evaluator = val_evaluator
# The target train split as the active-selection hook scores it: test-time
# resize, labels at full resolution (for the simulated annotator).
target_train_scoring = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=test_pipeline)
# The target train pipeline of active domain adaptation: the labels of the
# pixels picked so far come from the active-label ledger.
target_active_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadActiveLabels'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# The target train split as IntraDA's entropy ranking reads it: unaugmented,
# no labels (tools/entropy_rank.py).
target_rank_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='PackSegInputs'),
]
target_train_rank = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/train'),
    with_labels=False,
    pipeline=target_rank_pipeline)
