# The best trial (e8250_00002) of the search of
#   configs/ripu/ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes_tune.py
# in work_dirs/tune_ripu_sim2real:
# mIoU 23.3 at iteration 400, with
#   model.negative_loss.tau=0.01057823770127847
#   model.consistency_loss.loss_weight=0.03
# Its checkpoint: work_dirs/tune_ripu_sim2real/trials/e8250_00002/iter_400.pth
# Train it as any config: python tools/train.py THIS_FILE
custom_hooks = [
    dict(
        annotator=dict(type='SimulatedAnnotator'),
        budget_ratio=0.022,
        dataloader=dict(
            batch_size=4,
            dataset=dict(
                data_prefix=dict(
                    img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                data_root='data/sim2real/cityscapes',
                pipeline=[
                    dict(type='LoadDAImageFromFile'),
                    dict(keep_ratio=True, scale=(
                        256,
                        128,
                    ), type='Resize'),
                    dict(type='LoadDAAnnotations'),
                    dict(type='PackSegInputs'),
                ],
                type='CityscapesDADataset'),
            num_workers=2),
        mode='region',
        radius=1,
        select_iters=[
            100,
            120,
            140,
            160,
            180,
        ],
        type='ActiveSelectionHook'),
]
custom_imports = dict(
    allow_failed_imports=False, imports=[
        'mmda',
    ])
data_preprocessor = dict(
    bgr_to_rgb=True,
    mean=[
        123.675,
        116.28,
        103.53,
    ],
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8,
    std=[
        58.395,
        57.12,
        57.375,
    ],
    type='DADataPreprocessor')
data_root = 'data/sim2real'
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=100,
        max_keep_ckpts=1,
        save_last=True,
        type='CheckpointHook'),
    logger=dict(interval=50, log_metric_by_epoch=False, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'),
    visualization=dict(type='SegVisualizationHook'))
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
load_from = None
log_level = 'INFO'
log_processor = dict(by_epoch=False)
max_iters = 400
model = dict(
    backbone=dict(
        base_channels=16,
        contract_dilation=True,
        depth=18,
        dilations=(
            1,
            1,
            2,
            4,
        ),
        norm_cfg=dict(requires_grad=True, type='BN'),
        norm_eval=False,
        num_stages=4,
        out_indices=(
            2,
            3,
        ),
        stem_channels=16,
        strides=(
            1,
            2,
            1,
            1,
        ),
        style='pytorch',
        type='ResNetV1c'),
    consistency_loss=dict(
        loss_weight=0.03, region='boundary', type='LocalConsistencyLoss'),
    data_preprocessor=dict(
        bgr_to_rgb=True,
        mean=[
            123.675,
            116.28,
            103.53,
        ],
        pad_val=0,
        seg_pad_val=255,
        size_divisor=8,
        std=[
            58.395,
            57.12,
            57.375,
        ],
        type='DADataPreprocessor'),
    decode_head=dict(
        align_corners=False,
        dilations=(
            1,
            2,
            3,
            4,
        ),
        in_channels=128,
        in_index=1,
        loss_decode=dict(
            avg_non_ignore=True,
            loss_weight=1.0,
            type='CrossEntropyLoss',
            use_sigmoid=False),
        num_classes=19,
        type='DeepLabV2Head'),
    negative_loss=dict(
        loss_weight=1.0, tau=0.01057823770127847, type='NegativeLearningLoss'),
    target_loss_weight=1.0,
    test_cfg=dict(mode='whole'),
    train_cfg=dict(),
    type='RIPU')
norm_cfg = dict(requires_grad=True, type='BN')
optim_wrapper = dict(
    clip_grad=None,
    optimizer=dict(lr=0.01, momentum=0.9, type='SGD', weight_decay=0.0005),
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.0))),
    type='OptimWrapper')
param_scheduler = [
    dict(
        begin=0,
        by_epoch=False,
        end=400,
        eta_min=0.0,
        power=0.9,
        type='PolyLR'),
]
randomness = dict(seed=0)
resume = False
scoring_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        data_root='data/sim2real/cityscapes',
        pipeline=[
            dict(type='LoadDAImageFromFile'),
            dict(keep_ratio=True, scale=(
                256,
                128,
            ), type='Resize'),
            dict(type='LoadDAAnnotations'),
            dict(type='PackSegInputs'),
        ],
        type='CityscapesDADataset'),
    num_workers=2)
select_iters = [
    100,
    120,
    140,
    160,
    180,
]
source_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(keep_ratio=True, scale=(
        256,
        144,
    ), type='Resize'),
    dict(prob=0.5, type='RandomFlip'),
    dict(type='PackSegInputs'),
]
source_scale = (
    256,
    144,
)
source_train = dict(
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    data_root='data/sim2real/gta5',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(type='LoadDAAnnotations'),
        dict(keep_ratio=True, scale=(
            256,
            144,
        ), type='Resize'),
        dict(prob=0.5, type='RandomFlip'),
        dict(type='PackSegInputs'),
    ],
    type='GTA5Dataset')
target_active_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadActiveLabels'),
    dict(keep_ratio=True, scale=(
        256,
        128,
    ), type='Resize'),
    dict(prob=0.5, type='RandomFlip'),
    dict(type='PackSegInputs'),
]
target_labelled_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(keep_ratio=True, scale=(
        256,
        128,
    ), type='Resize'),
    dict(prob=0.5, type='RandomFlip'),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(keep_ratio=True, scale=(
        256,
        128,
    ), type='Resize'),
    dict(prob=0.5, type='RandomFlip'),
    dict(type='PackSegInputs'),
]
target_rank_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(keep_ratio=True, scale=(
        256,
        128,
    ), type='Resize'),
    dict(type='PackSegInputs'),
]
target_scale = (
    256,
    128,
)
target_train = dict(
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    data_root='data/sim2real/cityscapes',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(keep_ratio=True, scale=(
            256,
            128,
        ), type='Resize'),
        dict(prob=0.5, type='RandomFlip'),
        dict(type='PackSegInputs'),
    ],
    type='CityscapesDADataset')
target_train_labelled = dict(
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    data_root='data/sim2real/cityscapes',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(type='LoadDAAnnotations'),
        dict(keep_ratio=True, scale=(
            256,
            128,
        ), type='Resize'),
        dict(prob=0.5, type='RandomFlip'),
        dict(type='PackSegInputs'),
    ],
    type='CityscapesDADataset')
target_train_rank = dict(
    data_prefix=dict(img_path='leftImg8bit/train'),
    data_root='data/sim2real/cityscapes',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(keep_ratio=True, scale=(
            256,
            128,
        ), type='Resize'),
        dict(type='PackSegInputs'),
    ],
    type='CityscapesDADataset',
    with_labels=False)
target_train_scoring = dict(
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    data_root='data/sim2real/cityscapes',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(keep_ratio=True, scale=(
            256,
            128,
        ), type='Resize'),
        dict(type='LoadDAAnnotations'),
        dict(type='PackSegInputs'),
    ],
    type='CityscapesDADataset')
target_val = dict(
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    data_root='data/sim2real/cityscapes',
    pipeline=[
        dict(type='LoadDAImageFromFile'),
        dict(keep_ratio=True, scale=(
            256,
            128,
        ), type='Resize'),
        dict(type='LoadDAAnnotations'),
        dict(type='PackSegInputs'),
    ],
    type='CityscapesDADataset')
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        data_root='data/sim2real/cityscapes',
        pipeline=[
            dict(type='LoadDAImageFromFile'),
            dict(keep_ratio=True, scale=(
                256,
                128,
            ), type='Resize'),
            dict(type='LoadDAAnnotations'),
            dict(type='PackSegInputs'),
        ],
        type='CityscapesDADataset'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = dict(type='DAIoUMetric')
test_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(keep_ratio=True, scale=(
        256,
        128,
    ), type='Resize'),
    dict(type='LoadDAAnnotations'),
    dict(type='PackSegInputs'),
]
train_cfg = dict(
    max_iters=400, type='SeekableIterBasedTrainLoop', val_interval=100)
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        source=dict(
            data_prefix=dict(img_path='images', seg_map_path='labels'),
            data_root='data/sim2real/gta5',
            pipeline=[
                dict(type='LoadDAImageFromFile'),
                dict(type='LoadDAAnnotations'),
                dict(keep_ratio=True, scale=(
                    256,
                    144,
                ), type='Resize'),
                dict(prob=0.5, type='RandomFlip'),
                dict(type='PackSegInputs'),
            ],
            type='GTA5Dataset'),
        target=dict(
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            data_root='data/sim2real/cityscapes',
            pipeline=[
                dict(type='LoadDAImageFromFile'),
                dict(type='LoadActiveLabels'),
                dict(keep_ratio=True, scale=(
                    256,
                    128,
                ), type='Resize'),
                dict(prob=0.5, type='RandomFlip'),
                dict(type='PackSegInputs'),
            ],
            type='CityscapesDADataset'),
        type='TwoDomainDataset'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(
        shuffle=True,
        source_sampling='class_balanced',
        subepoch_size=3000,
        type='TwoDomainInfiniteSampler'))
tta_model = dict(type='SegTTAModel')
tta_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(
        transforms=[
            [
                dict(keep_ratio=True, scale=(
                    256,
                    128,
                ), type='Resize'),
            ],
            [
                dict(direction='horizontal', prob=0.0, type='RandomFlip'),
                dict(direction='horizontal', prob=1.0, type='RandomFlip'),
            ],
            [
                dict(type='LoadDAAnnotations'),
            ],
            [
                dict(type='PackSegInputs'),
            ],
        ],
        type='TestTimeAug'),
]
val_cfg = dict(type='ValLoop')
val_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        data_root='data/sim2real/cityscapes',
        pipeline=[
            dict(type='LoadDAImageFromFile'),
            dict(keep_ratio=True, scale=(
                256,
                128,
            ), type='Resize'),
            dict(type='LoadDAAnnotations'),
            dict(type='PackSegInputs'),
        ],
        type='CityscapesDADataset'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = dict(type='DAIoUMetric')
val_interval = 100
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    name='visualizer',
    type='SegLocalVisualizer',
    vis_backends=[
        dict(type='LocalVisBackend'),
    ])
