# ADVENT's own DeepLab-v2 ResNet-101 (docs/methods.md#advent; official
# valeoai/ADVENT:advent/model/deeplabv2.py and
# advent/domain_adaptation/config.py), as parts that an AdvEnt / IntraDA
# experiment config puts into its two-level DeepLab-v2 model:
# CaffeDeepLabV2ResNet (stride on the first 1x1 conv of a bottleneck,
# dilations 2 / 4 in every block of layer3 / layer4, stem max-pool with
# ceil_mode=True) and the input in BGR with ADVENT's IMG_MEAN subtracted,
# no std. Batch norms as released: affine parameters frozen, the layers in
# training mode (ADVENT calls model.train(): batch statistics in training,
# running statistics updated), i.e. norm_eval=False; the torchvision-style
# base keeps them in eval mode.
#
# mmengine refuses one key in two bases, so the parts are named
# `advent_caffe_*` and an experiment config takes them out of its bases:
#
#   data_preprocessor = _base_.pop('advent_caffe_data_preprocessor')
#   model = dict(
#       data_preprocessor=data_preprocessor,
#       segmentor=dict(data_preprocessor=data_preprocessor,
#                      backbone=_base_.pop('advent_caffe_backbone')))
#
# ImageNet weights: ADVENT's DeepLab_resnet_pretrained_imagenet.pth (the
# Caffe DeepLab-v2 ResNet-101, keys under one prefix, `Scale.`, which the
# official training strips; its `layer5` classifier is not loaded) at the
# path below; nothing is downloaded at run time.
advent_caffe_data_preprocessor = dict(
    mean=[104.00698793, 116.66876762, 122.67891434],
    std=[1., 1., 1.],
    bgr_to_rgb=False)
advent_caffe_backbone = dict(
    type='CaffeDeepLabV2ResNet',
    style='caffe',
    contract_dilation=False,
    norm_eval=False,
    init_cfg=dict(
        checkpoint='checkpoints/DeepLab_resnet_pretrained_imagenet.pth',
        prefix='Scale.'))
