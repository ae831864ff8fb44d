# AdvEnt (docs/methods.md#advent): the multi-level DeepLab-v2 ResNet-101 as the
# segmentor and a fully-convolutional discriminator per level (5 convs,
# 4x4 stride 2, 64-128-256-512-1, LeakyReLU 0.2) on the weighted
# self-information maps; target adversarial losses 0.001 (main) / 0.0002
# (aux), BCE with source label 0 and target label 1, the discriminator loss
# halved per domain. Each trainable child gets its own DDP wrapper.
_base_ = './deeplabv2_r101_multilevel.py'
num_classes = 19
model = dict(
    _delete_=True,
    type='AdvEnt',
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor={{_base_.model}},
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
