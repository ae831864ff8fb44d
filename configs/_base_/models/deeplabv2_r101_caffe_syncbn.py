# DeepLab-v2 ResNet-101 with PLCA's network choices (official
# kgl-prml/Pixel-Level-Cycle-Association model/resnet.py,
# model/segmentation/deeplabv2.py, tools/train.py), on ./deeplabv2_r101.py:
# caffe-style bottlenecks (stride on the first 1x1 conv), *trainable* SyncBN
# (BN on CPU, mmda.utils), the ASPP-sum classifier without bias, and Caffe
# input normalisation (BGR 0-255 minus the Caffe ImageNet mean, std 1).
# Differences that remain: the stem max-pool rounds down (official:
# ceil_mode=True; the same 183x183 at a 730 crop), and the ImageNet weights.
#
# ImageNet weights: a caffe-style ResNet-101 in mmseg/mmdet key names
# (e.g. mmdet's resnet101_caffe, converted from Detectron) at the path
# below; nothing is downloaded at run time. The official Google-Drive file
# is not available offline.
#   checkpoints/resnet101_caffe.pth
_base_ = './deeplabv2_r101.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    mean=[104.008, 116.669, 122.679], std=[1., 1., 1.], bgr_to_rgb=False)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='caffe',
        init_cfg=dict(checkpoint='checkpoints/resnet101_caffe.pth')),
    decode_head=dict(bias=False))
