# Source-only baseline on the embedded benchmark: train on the GTA5-layout
# source only, evaluate on the Cityscapes-layout target.
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
