# Pieces of the Cityscapes target of the real benchmarks (GTA5 -> Cityscapes,
# SYNTHIA -> Cityscapes), 19-class protocol; cityscapes_da_common_16.py is
# the 16-class one. Sizes of RIPU: training images resized to 1280x640, no
# crop, no flip; testing at 1280x640 with the predictions scored against the
# labels at full resolution (1024x2048; mmseg resizes the logits to the
# original image size, and LoadDAAnnotations comes after Resize so the
# labels are not resized). The flip-averaging test-time augmentation is
# `tta_pipeline` (tools/test.py --tta).
#
# Layout (Cityscapes, converted with
#   python tools/dataset_converters/cityscapes.py data/cityscapes):
#   data/cityscapes/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
#   data/cityscapes/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
cityscapes_root = 'data/cityscapes'
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
target_train = dict(
    type='CityscapesDADataset',
    data_root=cityscapes_root,
    subset='train',
    with_labels=False,
    num_classes=19,
    pipeline=target_pipeline)
target_train_labelled = dict(
    type='CityscapesDADataset',
    data_root=cityscapes_root,
    subset='train',
    num_classes=19,
    pipeline=target_labelled_pipeline)
target_val = dict(
    type='CityscapesDADataset',
    data_root=cityscapes_root,
    subset='val',
    num_classes=19,
    pipeline=test_pipeline)
# The target train split as the active-selection hook scores it: test-time
# resize, labels at full resolution (for the simulated annotator).
target_train_scoring = dict(
    type='CityscapesDADataset',
    data_root=cityscapes_root,
    subset='train',
    num_classes=19,
    pipeline=test_pipeline)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val)
test_dataloader = val_dataloader
# mIoU over the model's classes; for a 19-class model also mIoU16 / mIoU13
# (the SYNTHIA protocols on the same predictions), for 16 classes mIoU13.
val_evaluator = dict(type='DAIoUMetric')
test_evaluator = val_evaluator
