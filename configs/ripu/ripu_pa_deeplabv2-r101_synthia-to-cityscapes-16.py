# RIPU, pixel-based annotating (PA), DeepLab-v2 ResNet-101,
# SYNTHIA -> Cityscapes (16 classes). Paper (Cityscapes val mIoU16): 66.1.
# 40 pixels per image at 1280x640 (21 per round at 1024x2048), 65x65
# windows (K = 32); PA scores are unnormalised, so the class count does not
# enter them. Everything else as the RA-2.2 SYNTHIA config.
#
# ImageNet weights are NOT downloaded: place them at the path named in
# ../_base_/models/deeplabv2_r101.py (checkpoints/resnet101-63fe2227.pth).
_base_ = './ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py'
custom_hooks = [
    dict(_base_.custom_hooks[0], mode='pixel', pixels_per_image=40,
         pa_radius=32, pa_reference_size=(640, 1280))
]
del custom_hooks[0]['budget_ratio'], custom_hooks[0]['radius']  # RA's
