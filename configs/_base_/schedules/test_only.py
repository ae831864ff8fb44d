# Hooks of a test-only config (an ensemble of trained models): no training
# loop, so no scheduler, checkpoint or sampler-seed hooks.
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    visualization=dict(type='SegVisualizationHook'))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
