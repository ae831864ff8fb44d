# RIPU, pixel-based annotating (PA) on the embedded benchmark. The original
# labels 40 pixels per image at 1280x640 with a 65x65 window at 1024x2048
# labels; both scale with the 256x128 labels here: the budget by area
# (40 * 0.04 = 1.6 -> 1 pixel per round, 5 per image) and the window by
# side (65 / 8 -> 9x9, radius 4).
_base_ = './ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
custom_hooks = [
    dict(_base_.custom_hooks[0], mode='pixel', pixels_per_image=40,
         pa_radius=4, pa_reference_size=(640, 1280))
]
del custom_hooks[0]['budget_ratio'], custom_hooks[0]['radius']  # RA's
