# TGCF-DA stage A (Choi et al., ICCV 2019): the generator, the multi-scale
# PatchGAN discriminator, their optimisers and the semantic-constraint
# weight, independent of the frozen segmentor and the data. An experiment
# config adds
#   model = dict(segmentor=<source-trained segmentor config>,
#                segmentor_checkpoint=<its weights>)
# None of the sizes or weights is published; each value says where it is
# from. The runtime hooks are the sim2real schedule's (checkpoints every
# 1000 iterations, the last one kept); its optimiser and poly decay are
# replaced.
_base_ = '../schedules/sgd_poly_sim2real.py'
tgcf_model = dict(
    type='TGCFDA',
    # images in [-1, 1] (the generator's tanh range), RGB
    data_preprocessor=dict(
        type='DADataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3,
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size_divisor=8),
    # MUNIT-like content/style encoders, AdaIN at the bottleneck, a
    # norm-free decoder; spectral norm in G as the paper says. Widths and
    # depths: design defaults (unknown in the paper)
    generator=dict(
        type='TGCFGenerator',
        base_channels=64,
        n_downsample=2,
        n_res=4,
        spectral_norm=True),
    # pix2pixHD defaults (num_D 2, n_layers_D 3, ndf 64); spectral norm on
    # every conv (the paper), LSGAN (the paper)
    discriminator=dict(
        type='MultiScalePatchDiscriminator',
        base_channels=64,
        n_layers=3,
        num_scales=2),
    # lambda_sem: SE-GAN's semantic CE weight (YonghaoXu/SE-GAN
    # TGSTN_GTA.py); not published for TGCF-DA
    semantic_loss_weight=10.,
    gan_loss=dict(type='LSGANLoss', loss_weight=1.0))
# Adam 1e-4, betas (0.5, 0.999) for both (a design choice; AdaIN's
# reference uses Adam 1e-4, SE-GAN 5e-4 / 5e-5)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
param_scheduler = []
# 50k iterations of one source and one target image (about 2 GTA5 epochs;
# SE-GAN trains its style network 5 epochs): a design choice
max_iters = 50000
train_cfg = dict(
    type='SeekableIterBasedTrainLoop', max_iters=max_iters,
    val_interval=max_iters)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
# a generator stage: nothing to validate or test (an experiment config
# sets val_/test_ dataloader and evaluator to None after its dataset)
val_cfg = None
test_cfg = None
