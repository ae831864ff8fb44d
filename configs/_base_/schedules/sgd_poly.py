# What the SGD schedules share: SGD with momentum 0.9 and wd 5e-4 (the
# classifier at 10x lr), poly decay of power 0.9 to 0, an iteration-based
# loop that can seek to a resumed iteration, and the default hooks. Each
# schedule sets the lr, the horizon (param_scheduler end), max_iters and
# the checkpoint interval.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.))),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, by_epoch=False)
]
train_cfg = dict(type='SeekableIterBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
