# A small, randomly initialised DeepLab-v2 for the embedded sim2real
# benchmark and the tests: ./deeplabv2_r101.py with ResNet-18 at 1/4 width
# (16-32-64-128 channels, v1c stem), dilated layer3/layer4 (output stride
# 8), trainable BN, no ImageNet weights, and the ASPP-sum classifier's
# dilations scaled to the small feature maps.
_base_ = './deeplabv2_r101.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = _base_.model
model.backbone.pop('init_cfg')
model.backbone.update(
    type='ResNetV1c',
    depth=18,
    stem_channels=16,
    base_channels=16,
    norm_cfg=norm_cfg,
    norm_eval=False)
model.decode_head.update(in_channels=128, dilations=(1, 2, 3, 4))
