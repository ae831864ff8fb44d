# RIPU, pixel-based annotating (PA), DeepLab-v2 ResNet-101,
# GTA5 -> Cityscapes. Paper (Cityscapes val mIoU): 65.5.
# 40 pixels per image in total at 1280x640, rescaled to the 1024x2048
# labels the hook scores (21 per round over 5 rounds); score = entropy x
# impurity over a 65x65 window (K = 32); only the centre pixel is labelled
# and its 65x65 window suppressed. Everything else as the RA-2.2 config
# (schedule, rounds at 10k-18k, sampling, losses).
#
# ImageNet weights are NOT downloaded: place them at the path named in
# ../_base_/models/deeplabv2_r101.py (checkpoints/resnet101-63fe2227.pth).
_base_ = './ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py'
custom_hooks = [
    dict(_base_.custom_hooks[0], mode='pixel', pixels_per_image=40,
         pa_radius=32, pa_reference_size=(640, 1280))
]
del custom_hooks[0]['budget_ratio'], custom_hooks[0]['radius']  # RA's
