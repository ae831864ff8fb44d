# SYNTHIA-RAND-CITYSCAPES source pieces: images (1280x760) resized to
# 1280x760 (RIPU; a no-op for the original files), no crop, no flip.
# `source_train` is the 16-class protocol (combine with
# cityscapes_da_common_16.py and a 16-class model), `source_train_19` keeps
# the 19 Cityscapes classes (combine with cityscapes_da_common.py; the
# 16-class score of a 19-class head is DAIoUMetric's mIoU16).
#
# Layout (converted with python tools/dataset_converters/synthia.py
# data/synthia, which also writes data/synthia/class_stats.json):
#   data/synthia/RGB/0000001.png
#   data/synthia/GT/LABELS/0000001_labelTrainIds.png
synthia_root = 'data/synthia'
source_scale = (1280, 760)  # (w, h)
source_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
source_train = dict(
    type='SynthiaDataset',
    data_root=synthia_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    num_classes=16,
    pipeline=source_pipeline)
source_train_19 = dict(source_train, num_classes=19)
