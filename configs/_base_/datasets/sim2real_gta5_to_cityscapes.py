# The embedded sim2real benchmark (tools/make_sim2real.py): source in the
# GTA5 layout, target in the Cityscapes layout, read by the same dataset
# classes as the real data. Generate it with
#   python tools/make_sim2real.py data/sim2real
# (the converters run as part of the generation).
data_root = 'data/sim2real'
source_type = 'GTA5Dataset'
target_type = 'CityscapesDADataset'
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
test_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=True),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs'),
]
source_train = dict(
    type=source_type,
    data_root=f'{data_root}/gta5',
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline)
target_train = dict(
    type=target_type,
    data_root=f'{data_root}/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_pipeline)
target_val = dict(
    type=target_type,
    data_root=f'{data_root}/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TwoDomainInfiniteSampler', shuffle=True),
    dataset=dict(
        type='TwoDomainDataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
val_evaluator = dict(type='DAIoUMetric')
test_evaluator = val_evaluator
