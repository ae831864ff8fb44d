# AdvEnt (Vu et al., CVPR 2019; docs/methods.md): adversarial entropy
# minimisation on both levels of a multi-level model base (a
# MultiLevelEncoderDecoder: `decode_head` the main classifier, exactly one
# `auxiliary_head`). The segmentor is wrapped with a fully-convolutional
# discriminator per level (5 convs, 4x4 stride 2, 64-128-256-512-1,
# LeakyReLU 0.2) fed the weighted self-information maps; target
# adversarial losses 0.001 (main) / 0.0002 (aux), BCE with source label 0
# and target label 1, the discriminator loss halved per domain. Two
# optimizers: the schedule's SGD for the segmentor (both classifiers at 10x
# lr) and Adam 1e-4, betas (0.9, 0.99) for the discriminators, each
# trainable child under its own DDP wrapper.
#
# mmengine refuses one key in two bases, so the parts that replace the
# model base's `model` and the schedule's `optim_wrapper` are named
# `advent_*` here and an experiment config takes them out of its bases (a
# part left there would show in its resolved config):
#
#   model = dict(
#       _delete_=True,
#       data_preprocessor=_base_.data_preprocessor,
#       segmentor=_base_.model,
#       **_base_.pop('advent_model'))
#   optim_wrapper = dict(_delete_=True, **_base_.pop('advent_optim_wrapper'))
#   optim_wrapper['segmentor'].optimizer = _base_.optim_wrapper.optimizer
#   custom_hooks = _base_.pop('advent_custom_hooks')
num_classes = 19
advent_model = dict(
    type='AdvEnt',
    discriminator=dict(
        type='MultiLevelDiscriminator',
        discriminators=dict(
            main=dict(type='FCDiscriminator', in_channels=num_classes),
            aux=dict(type='FCDiscriminator', in_channels=num_classes))),
    adversarial_losses=dict(
        main=dict(type='AdversarialLoss', loss_weight=0.001),
        aux=dict(type='AdversarialLoss', loss_weight=0.0002)),
    discriminator_loss=dict(type='AdversarialLoss', loss_weight=0.5))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
advent_optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
advent_custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
