# Target-oracle baseline on the embedded benchmark: train on the labelled
# target train split, evaluate on the target val split (the upper bound).
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
