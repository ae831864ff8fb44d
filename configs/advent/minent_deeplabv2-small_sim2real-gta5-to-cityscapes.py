# MinEnt on the embedded sim2real benchmark (small DeepLab-v2, random init,
# 3000 iterations): source CE on both levels (main + 0.1 aux) and the
# target's mean normalised entropy (docs/methods.md#minent).
#
# The original weights (0.001 main / 0.0002 aux) are tuned for ImageNet-
# initialised ResNet-101 over 120k iterations; this short run from scratch
# uses 10x larger ones (see benchmarks/results/sim2real.md).
_base_ = [
    '../_base_/models/deeplabv2_small_multilevel.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
    '../_base_/methods/minent.py',
]
# ADVENT's best-snapshot protocol (docs/methods.md#advent): the
# checkpoint of the best validation mIoU is kept (best_mIoU_iter_N.pth)
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
model = _base_.pop('minent_model')
model.entropy_losses.main.loss_weight = 0.01
model.entropy_losses.aux.loss_weight = 0.002
# both classifiers at 10x lr, as the original
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.))))
