# GIO-Ada (Chen et al., CVPR 2019) on DeepLab-v2 ResNet-101. The paper's
# sizes are not known (its backbone is probably VGG-16, unverified); every
# value below is an mmda default with its provenance
# (docs/methods.md#gio-ada):
# - task network T: the segmentor (encoder + ASPP classifier) and a depth
#   head on layer4 as DADA's (valeoai/DADA dada/model/deeplabv2_depth.py:
#   1x1-3x3-1x1, 512-512-128; without DADA's feature fusion), regressing
#   DADA's inverse depth 65536 / (cm + 1);
# - G: CycleGAN's ResNet generator (ngf 64, 9 residual blocks, instance
#   norm, tanh), input image + one-hot label + depth, residual output;
# - D_in: CycleGAN's 70x70 PatchGAN (ndf 64) on images;
# - D_out: AdvEnt's fully-convolutional discriminator (64-128-256-512-1) on
#   softmax + normalised depth;
# - losses: berHu depth with DADA's lambda 0.001; lambda_in 1.0 (an image
#   GAN weight); lambda_out 0.001 (AdvEnt / DADA lambda_adv); BCE.
_base_ = './deeplabv2_r101.py'
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
    depth_head=dict(type='DepthHead', in_channels=2048, in_index=1),
    generator=dict(
        type='ImageTransformNet', num_classes=num_classes, with_depth=True),
    discriminator=dict(
        type='MultiLevelDiscriminator',
        discriminators=dict(
            input=dict(type='PatchDiscriminator', in_channels=3),
            output=dict(
                type='FCDiscriminator', in_channels=num_classes + 1))),
    depth_loss=dict(type='DepthLoss', mode='berhu', loss_weight=0.001),
    depth_repr='inverse',
    adversarial_losses=dict(
        input=dict(type='AdversarialLoss', loss_weight=1.0),
        output=dict(type='AdversarialLoss', loss_weight=0.001)),
    discriminator_loss=dict(type='AdversarialLoss', loss_weight=0.5))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
