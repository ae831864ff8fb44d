# GTA5 source pieces (combine with cityscapes_da_common.py): images resized
# to 1280x720 (RIPU; the originals are mostly 1914x1052), no crop, no flip.
#
# Layout (converted with python tools/dataset_converters/gta5.py data/gta5,
# which also writes the class statistics data/gta5/class_stats.json that
# class-balanced sampling reads):
#   data/gta5/images/00001.png
#   data/gta5/labels/00001_labelTrainIds.png
gta5_root = 'data/gta5'
source_scale = (1280, 720)  # (w, h)
source_pipeline = [
    dict(type='LoadDAImageFromFile'),
    dict(type='LoadDAAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
source_train = dict(
    type='GTA5Dataset',
    data_root=gta5_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    num_classes=19,
    pipeline=source_pipeline)
