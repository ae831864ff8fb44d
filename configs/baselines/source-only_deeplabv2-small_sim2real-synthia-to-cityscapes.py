# Source-only baseline on the SYNTHIA side of the embedded benchmark: train
# on the SYNTHIA-layout source only, evaluate on the Cityscapes-layout
# target (mIoU over 19 classes, plus mIoU16 / mIoU13).
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_synthia.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
