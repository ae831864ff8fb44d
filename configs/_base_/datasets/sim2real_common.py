# Pieces of the embedded sim2real benchmark (tools/make_sim2real.py): the
# source in the GTA5 layout, the target in the Cityscapes layout, read by the
# same dataset classes as the real data. Generate (and convert) it with
#   python tools/make_sim2real.py data/sim2real
_base_ = './da_common.py'
data_root = 'data/sim2real'
source_scale = (256, 144)
target_scale = (256, 128)
# The real benchmarks' pipelines (./da_common.py) with a keep-ratio
# resize to these small sizes and a random flip in training.
__resize = dict(type='Resize', scale=target_scale, keep_ratio=True)
__flip = dict(type='RandomFlip', prob=0.5)
target_pipeline, target_labelled_pipeline, target_active_pipeline = [
    pipeline[:-2] + [__resize, __flip, pipeline[-1]]
    for pipeline in (_base_.target_pipeline, _base_.target_labelled_pipeline,
                     _base_.target_active_pipeline)
]
source_pipeline = target_labelled_pipeline[:2] + [
    dict(__resize, scale=source_scale), __flip, target_labelled_pipeline[-1]
]
test_pipeline = [
    __resize if t['type'] == 'Resize' else t for t in _base_.test_pipeline
]
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0] = [__resize]
source_train = dict(
    type='GTA5Dataset',
    data_root=data_root + '/gta5',
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline)
__target_train = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
target_train = dict(__target_train, pipeline=target_pipeline)
target_train_labelled = dict(__target_train, pipeline=target_labelled_pipeline)
target_val = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
train_dataloader = dict(num_workers=2)
val_dataloader = dict(batch_size=4, num_workers=2, dataset=target_val)
test_dataloader = val_dataloader
# The target train split as the active-selection hook scores it: test-time
# resize, labels at full resolution (for the simulated annotator).
target_train_scoring = dict(__target_train, pipeline=test_pipeline)
# The target train split as IntraDA's entropy ranking reads it: unaugmented,
# no labels (tools/entropy_rank.py).
target_rank_pipeline = [
    t for t in target_pipeline if t['type'] != 'RandomFlip'
]
target_train_rank = dict(
    type='CityscapesDADataset',
    data_root=data_root + '/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/train'),
    with_labels=False,
    pipeline=target_rank_pipeline)
