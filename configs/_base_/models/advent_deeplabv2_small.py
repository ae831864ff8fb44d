# AdvEnt on the small DeepLab-v2 of the embedded benchmark, with quarter-
# width discriminators (16-32-64-128-1) to match the quarter-width
# backbone; otherwise as ./advent_deeplabv2_r101.py.
_base_ = './deeplabv2_small_multilevel.py'
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
        main=dict(type='AdversarialLoss', loss_weight=0.001),
        aux=dict(type='AdversarialLoss', loss_weight=0.0002)),
    discriminator_loss=dict(type='AdversarialLoss', loss_weight=0.5))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
