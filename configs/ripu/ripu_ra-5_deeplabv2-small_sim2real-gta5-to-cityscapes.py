# RIPU RA with 5 % of the target pixels on the embedded benchmark.
_base_ = './ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
custom_hooks = [dict(_base_.custom_hooks[0], budget_ratio=0.05)]
