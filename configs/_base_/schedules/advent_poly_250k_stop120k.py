# AdvEnt's schedule (docs/methods.md#advent): segmentor SGD 2.5e-4,
# momentum 0.9, wd 5e-4, both classifiers at 10x lr; discriminators Adam
# 1e-4, betas (0.9, 0.99); the same poly decay (power 0.9) over 250k
# iterations for both, training stopped at 120k.
horizon = 250000
max_iters = 120000
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=horizon,
        by_epoch=False)
]
train_cfg = dict(
    type='SeekableIterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=3,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
