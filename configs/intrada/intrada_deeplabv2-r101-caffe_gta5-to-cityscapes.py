# ./intrada_deeplabv2-r101_gta5-to-cityscapes.py with ADVENT's own network
# (the Caffe-style DeepLab-v2 ResNet-101, BGR input minus ADVENT's mean;
# docs/methods.md#intrada), ranked with the stage-1 model of
# configs/advent/advent_deeplabv2-r101-caffe_gta5-to-cityscapes.py:
#   python tools/intrada_pipeline.py \
#       configs/advent/advent_deeplabv2-r101-caffe_gta5-to-cityscapes.py \
#       configs/intrada/intrada_deeplabv2-r101-caffe_gta5-to-cityscapes.py
_base_ = [
    './intrada_deeplabv2-r101_gta5-to-cityscapes.py',
    '../_base_/models/deeplabv2_r101_caffe_advent.py',
]
entropy_rank_dir = 'work_dirs/advent_deeplabv2-r101-caffe_gta5-to-' \
    'cityscapes/entropy_rank'
train_dataloader = dict(dataset=dict(
    source=dict(manifest=entropy_rank_dir),
    target=dict(manifest=entropy_rank_dir)))
data_preprocessor = _base_.pop('advent_caffe_data_preprocessor')
model = dict(
    data_preprocessor=data_preprocessor,
    segmentor=dict(data_preprocessor=data_preprocessor,
                   backbone=_base_.pop('advent_caffe_backbone')))
