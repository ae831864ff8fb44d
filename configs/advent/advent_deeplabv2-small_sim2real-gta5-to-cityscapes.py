# AdvEnt on the embedded sim2real benchmark (small DeepLab-v2 with a
# quarter-width discriminator per level, random init, 3000 iterations).
# The recipe of docs/methods.md#advent on a short schedule: source CE
# main + 0.1 aux; weighted self-information maps of the target to a
# fully-convolutional discriminator per level; BCE, source label 0, target
# label 1, the discriminator loss halved per domain; segmentor SGD
# (classifier 10x), discriminators Adam 1e-4 betas (0.9, 0.99), the same
# poly decay.
#
# The adversarial weights are 10x the original 0.001 / 0.0002 (tuned for an
# ImageNet-initialised ResNet-101 over 120k iterations) for this short run
# from scratch.
_base_ = [
    '../_base_/models/deeplabv2_small_multilevel.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
    '../_base_/methods/advent.py',
]
# ADVENT's best-snapshot protocol (docs/methods.md#advent): the
# checkpoint of the best validation mIoU is kept (best_mIoU_iter_N.pth)
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
model = dict(
    _delete_=True,
    data_preprocessor=_base_.data_preprocessor,
    segmentor=_base_.model,
    **_base_.pop('advent_model'))
optim_wrapper = dict(_delete_=True, **_base_.pop('advent_optim_wrapper'))
optim_wrapper['segmentor'].optimizer = _base_.optim_wrapper.optimizer
custom_hooks = _base_.pop('advent_custom_hooks')
for __level in model['discriminator'].discriminators.values():
    __level.channels = (16, 32, 64, 128)  # quarter width
model['adversarial_losses'].main.loss_weight = 0.01
model['adversarial_losses'].aux.loss_weight = 0.002
# IntraDA's ranking step reads the target train split from here
entropy_rank_dataloader = dict(
    batch_size=4,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.target_train_rank}})
