# GIO-Ada on the small DeepLab-v2 of the embedded benchmark (ResNet-18 at
# quarter width, random init). The paper (Chen et al., CVPR 2019) gives the
# structure, not the sizes: every size below is an mmda default scaled to
# the quarter-width backbone (docs/methods.md#gio-ada):
# - task network T: the segmentor with a DADA-style depth head on layer4
#   (valeoai/DADA dada/model/deeplabv2_depth.py: 1x1-3x3-1x1, 512-512-128,
#   here 128-128-32 on the 128-channel layer4), regressing inverse depth;
# - G: CycleGAN's ResNet generator (ngf 64, 9 blocks in CycleGAN), here
#   ngf 8 with 4 residual blocks (G runs at full resolution and dominates
#   the CPU cost of an iteration: ngf 16 / 6 blocks took 1.9x as long);
#   input = image + one-hot label (19) + depth = 23 channels; starts as the
#   identity (residual output);
# - D_in: a PatchGAN (ndf 64 in CycleGAN, here 16) on images;
# - D_out: AdvEnt's fully-convolutional discriminator (quarter width, as the
#   AdvEnt sim2real config) on softmax (19) + normalised depth (1).
_base_ = './deeplabv2_small.py'
num_classes = 19
model = dict(
    _delete_=True,
    type='GIOAda',
    data_preprocessor={{_base_.data_preprocessor}},
    segmentor=dict(
        type='DepthAwareEncoderDecoder',
        data_preprocessor={{_base_.data_preprocessor}},
        backbone={{_base_.model.backbone}},
        decode_head={{_base_.model.decode_head}},
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    depth_head=dict(
        type='DepthHead', in_channels=128, in_index=1,
        channels=(128, 128, 32)),
    generator=dict(
        type='ImageTransformNet',
        num_classes=num_classes,
        with_depth=True,
        base_channels=8,
        n_res=4,
        residual=True),
    discriminator=dict(
        type='MultiLevelDiscriminator',
        discriminators=dict(
            input=dict(
                type='PatchDiscriminator', in_channels=3, base_channels=16),
            output=dict(
                type='FCDiscriminator',
                in_channels=num_classes + 1,
                channels=(16, 32, 64, 128)))),
    # berHu on inverse depth with DADA's lambda 0.001 (dada/domain_adaptation
    # /config.py); mode='l1' is the seed sketch's form
    depth_loss=dict(type='DepthLoss', mode='berhu', loss_weight=0.001),
    depth_repr='inverse',
    # lambda_in: a CycleGAN-style image GAN weight; lambda_out: AdvEnt /
    # DADA's lambda_adv (both not given by the paper)
    adversarial_losses=dict(
        input=dict(type='AdversarialLoss', loss_weight=1.0),
        output=dict(type='AdversarialLoss', loss_weight=0.001)),
    discriminator_loss=dict(type='AdversarialLoss', loss_weight=0.5))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
