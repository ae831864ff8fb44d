# AdvEnt on the embedded sim2real benchmark (small DeepLab-v2 with a
# quarter-width discriminator per level, random init, 3000 iterations).
# The recipe of METHODS.md §2 on a short schedule: source CE main + 0.1 aux;
# weighted self-information maps of the target to a fully-convolutional
# discriminator per level; BCE, source label 0, target label 1, the
# discriminator loss halved per domain; segmentor SGD (classifier 10x),
# discriminators Adam 1e-4 betas (0.9, 0.99), the same poly decay.
#
# The adversarial weights are 10x the original 0.001 / 0.0002 (tuned for an
# ImageNet-initialised ResNet-101 over 120k iterations) for this short run
# from scratch.
_base_ = [
    '../_base_/models/deeplabv2_small_multilevel.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
num_classes = 19
model = dict(
    _delete_=True,
    type='AdvEnt',
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
    discriminator=dict(
        type='MultiLevelDiscriminator',
        discriminators=dict(
            main=dict(
                type='FCDiscriminator',
                in_channels=num_classes,
                channels=(16, 32, 64, 128)),
            aux=dict(
                type='FCDiscriminator',
                in_channels=num_classes,
                channels=(16, 32, 64, 128)))),
    adversarial_losses=dict(
        main=dict(type='AdversarialLoss', loss_weight=0.01),
        aux=dict(type='AdversarialLoss', loss_weight=0.002)),
    discriminator_loss=dict(type='AdversarialLoss', loss_weight=0.5))
# each trainable child in its own DDP wrapper, the model's train_step runs
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
custom_hooks = [
    dict(
        type='AdversarialDiscriminatorHook',
        update_interval=1,
        warmup_iters=0,
        log_interval=50)
]
# IntraDA's ranking step reads the target train split from here
entropy_rank_dataloader = dict(
    batch_size=4,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.target_train_rank}})
